/**
 * What went wrong talking to a registry. `unavailable`: the registry could not
 * be asked (network, timeout, 5xx, auth, refused host) or the check ran out of
 * its budget (CheckLimitError); the last known result stands. `integrity`: it
 * answered with content that cannot be trusted (digest mismatch, malformed)
 * and the image counts as invalid.
 */
export class RegistryError extends Error {
  readonly name: string = 'RegistryError';
  constructor(
    readonly kind: 'unavailable' | 'integrity',
    message: string,
    /** The HTTP status the registry (or its token service) answered, when that is the reason. */
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/**
 * One object (manifest, statement, blob) larger than it may be. A manifest
 * over the limit makes the image invalid; an attestation over it is reported
 * as not read, so a large SBOM never turns a good image into an invalid one.
 */
export class ObjectTooLargeError extends RegistryError {
  readonly name = 'ObjectTooLargeError';
  constructor(message: string) {
    super('integrity', message);
  }
}

/** Why an image on `host` is not checked: annotations are user input, so only configured registries are contacted. */
export const notInAllowListMessage = (host: string) =>
  `${host} is not in baseImages.registries, so it is never contacted`;

/** Docker's registries take a Docker ID (or organisation name) and an access token. */
const DOCKER_REGISTRIES = new Set([
  'dhi.io',
  'docker.io',
  'registry.scout.docker.com',
]);

/** What to configure when `host` demands credentials the config does not have. */
export const needsCredentialsMessage = (host: string) =>
  `${host} needs credentials: set baseImages.registries[${host}].credentials (${
    DOCKER_REGISTRIES.has(host)
      ? 'Docker ID and access token'
      : 'user name and password or access token'
  })`;
