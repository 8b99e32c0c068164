/**
 * Base-image status backend: policy verdicts and signature/attestation
 * checks of each component's base image, at /api/base-images.
 *
 * @packageDocumentation
 */
export { baseImagesPlugin as default } from './plugin';
export { attestationServiceRef } from './service/attestationServiceRef';
export type {
  AttestationService,
  ImageStatus,
} from './service/AttestationService';
