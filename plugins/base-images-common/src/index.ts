/**
 * Shared by every base-images package: annotation keys, types,
 * image-reference parsing, config reading and the policy engine.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './config';
export * from './inputRules';
export * from './patterns';
export * from './permissions';
export * from './image/imageReference';
export * from './policy/types';
export * from './policy/defaults';
export * from './policy/errors';
export * from './policy/compliance';
export * from './policy/images';
export * from './policy/selectImages';
export * from './policy/verdict';
export * from './policy/evidence';
export * from './policy/newService';
export * from './status';
export * from './dockerfile';
