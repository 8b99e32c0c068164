export {
  DOCKERFILE_INSTRUCTIONS,
  dockerfileBaseImage,
  DockerfileError,
  MAX_DOCKERFILE_LENGTH,
  parseDockerfile,
  replaceStageImages,
  rootStage,
} from './parseDockerfile';
export type {
  DockerfileBaseImage,
  DockerfileFinding,
  DockerfileProblem,
  DockerfileStage,
  ParsedDockerfile,
} from './parseDockerfile';
export { UnresolvedVariableError } from './expandVariables';
export type { ArgValues } from './expandVariables';
export {
  dockerfileLocation,
  InvalidDockerfilePathError,
} from './dockerfileLocation';
export type { DockerfileLocation } from './dockerfileLocation';
