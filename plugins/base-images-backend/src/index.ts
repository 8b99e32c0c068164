/**
 * Base-image status backend: policy verdicts and signature/attestation checks.
 *
 * @packageDocumentation
 */
export { baseImagesPlugin as default } from './plugin';
export { RegistryClient } from './registry/RegistryClient';
export { RegistryError } from './registry/errors';
export { ImageChecker } from './service/ImageChecker';
export { AttestationService } from './service/AttestationService';
export { refreshFleet } from './service/fleet';
