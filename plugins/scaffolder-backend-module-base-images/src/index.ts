/**
 * Scaffolder actions that choose compliant base images and render services on them.
 *
 * @packageDocumentation
 */
export { scaffolderModuleBaseImages as default } from './module';
export { createResolveBaseImagesAction } from './actions/resolve';
export { createRenderServiceAction } from './actions/render';
export { createPublishLocalAction } from './actions/publishLocal';
export { createRegisterLocalAction } from './actions/registerLocal';
export { createUpdateDockerfileAction } from './actions/updateDockerfile';
export { createDigestLookup } from './digests/digestLookup';
export type { DigestLookup, DigestAnswer } from './digests/digestLookup';
export { checkDockerfile } from './render/checkDockerfile';
export type {
  DockerfilePolicy,
  DockerfileViolation,
} from './render/checkDockerfile';
export type { PublishSettings } from './settings';
