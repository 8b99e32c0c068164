/**
 * What went wrong talking to a registry. `unavailable`: the registry could not
 * be asked (network, timeout, 5xx, auth, refused host) or the check ran out of
 * its budget (CheckLimitError); the last known result stands. `integrity`: it
 * answered with content that cannot be trusted (digest mismatch, a single
 * object over its size limit, malformed) and the image counts as invalid.
 */
export class RegistryError extends Error {
  readonly name = 'RegistryError';
  constructor(readonly kind: 'unavailable' | 'integrity', message: string) {
    super(message);
  }
}

/** Why an image on `host` is not checked: annotations are user input, so only configured registries are contacted. */
export const notInAllowListMessage = (host: string) =>
  `${host} is not in baseImages.registries, so it is never contacted`;
