import {
  RegistryConfig,
  RepositoryScope,
} from '@internal/backstage-plugin-base-images-common';

/** What applies to one repository of a registry: its keys, required attestations and where its attestations live. */
export interface RepositoryTrust {
  /** `<host>` or `<host>/<prefix>`: the scope whose settings apply, for messages. */
  scope: string;
  /** Docker's DHI keys are trusted for this repository. */
  dhiKeys: boolean;
  /** PEM keys trusted for this repository: the registry's, then the prefix's. */
  publicKeys: string[];
  requiredAttestations: string[];
  /** A second copy of the attestations (Docker Scout's registry), read after the image's own registry. */
  attestations?: { host: string; repository: string };
}

/**
 * Whether `prefix` covers `repository`: the first path component of the
 * prefix (a Docker Hub namespace, which anyone can register) must be the
 * repository's whole first component; after that '/', it is plain text.
 * So `example-org/dhi-` covers `example-org/dhi-python`, while `python`
 * covers `python` and `python/x` but not `python-evil`.
 */
export function prefixCovers(prefix: string, repository: string): boolean {
  if (!repository.startsWith(prefix)) return false;
  return (
    prefix.includes('/') ||
    repository.length === prefix.length ||
    repository[prefix.length] === '/'
  );
}

/** The most specific scope of `registry.repositories` that covers `repository`. */
export function scopeFor(
  registry: RegistryConfig,
  repository: string,
): RepositoryScope | undefined {
  return registry.repositories
    .filter(scope => prefixCovers(scope.prefix, repository))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

/**
 * Resolves what applies to `repository` on `registry`: the longest matching
 * `repositories[].prefix` wins; what it leaves out comes from the registry
 * entry, then from `defaultRequired`. Keys add up (the registry's keys are
 * trusted for all of its repositories); `dhiKeys` and the attestation
 * location are the most specific setting.
 */
export function resolveRepositoryTrust(
  registry: RegistryConfig,
  repository: string,
  defaultRequired: string[],
): RepositoryTrust {
  const scope = scopeFor(registry, repository);
  const host = scope?.attestationsHost ?? registry.attestationsHost;
  const template =
    scope?.attestationsRepository ??
    (scope?.attestationsHost ? undefined : registry.attestationsRepository) ??
    '{repository}';
  const attestationsRepository = template.replaceAll(
    '{repository}',
    repository,
  );
  const sameAsImage =
    host === registry.host && attestationsRepository === repository;
  return {
    scope: scope ? `${registry.host}/${scope.prefix}` : registry.host,
    dhiKeys: scope?.dhiKeys ?? registry.dhiKeys,
    publicKeys: [...registry.publicKeys, ...(scope?.publicKeys ?? [])],
    requiredAttestations:
      scope?.requiredAttestations ??
      registry.requiredAttestations ??
      defaultRequired,
    attestations:
      host && !sameAsImage
        ? { host, repository: attestationsRepository }
        : undefined,
  };
}

/** Every scope configured, with the keys it trusts: to say where a key that signed something is trusted. */
export function configuredScopes(
  registries: RegistryConfig[],
): Array<{ scope: string; dhiKeys: boolean; publicKeys: string[] }> {
  return registries.flatMap(registry => [
    {
      scope: registry.host,
      dhiKeys: registry.dhiKeys,
      publicKeys: registry.publicKeys,
    },
    ...registry.repositories.map(scope => ({
      scope: `${registry.host}/${scope.prefix}`,
      dhiKeys: scope.dhiKeys ?? registry.dhiKeys,
      publicKeys: [...registry.publicKeys, ...scope.publicKeys],
    })),
  ]);
}
