import { VARIANTS } from '../patterns';

/**
 * Runtimes the policy knows images for.
 * @public
 */
export const RUNTIMES = ['python', 'node'] as const;
/** @public */
export type Runtime = (typeof RUNTIMES)[number];

/**
 * Image flavors: the Debian-based default or Alpine.
 * @public
 */
export const FLAVORS = ['standard', 'alpine'] as const;
/** @public */
export type Flavor = (typeof FLAVORS)[number];

/**
 * What a framework (or situation) demands of a base image. The image chosen
 * must satisfy the union of the demands of every effective framework.
 * - `hardened`: a Docker Hardened Image instead of the standard slim image
 * - `fips`: a `-fips` tag
 * - `enterprise`: DHI Enterprise, pulled from the organisation's mirror namespace
 * - `extended-support`: DHI ELS, which comes with DHI Enterprise
 * @public
 */
export const CAPABILITIES = [
  'hardened',
  'fips',
  'enterprise',
  'extended-support',
] as const;
/** @public */
export type Capability = (typeof CAPABILITIES)[number];

/**
 * How a base image is classified: standard slim, DHI, or DHI with FIPS.
 * @public
 */
export type Variant = (typeof VARIANTS)[number];

/**
 * Where a DHI image comes from: `dhi.io` or the organisation's Select/Enterprise mirror.
 * @public
 */
export type DhiEdition = 'community' | 'enterprise';

/**
 * Why a service is being built, from the seed's "when to use DHI" table.
 * @public
 */
export const SITUATIONS = [
  'production',
  'prototype',
  'open-source',
  'security-sensitive',
] as const;
/** @public */
export type Situation = (typeof SITUATIONS)[number];

/** @public */
export interface FrameworkPolicy {
  id: string;
  requires: Capability[];
  aliases: string[];
  description?: string;
  /**
   * Predicate types (prefixes, matched as {@link matchesPredicateType} does)
   * of the attestations that prove the framework's requirements: the image
   * must carry a verified attestation of each.
   */
  evidence: string[];
}

/** @public */
export interface RuntimeCatalog {
  /** Version used when none is asked for: `3.13`, `22`. */
  defaultVersion: string;
  /** Tags published for the hardened image (`3.13`, `3.13-fips`, `3.13-dev`, …). */
  dhiTags: string[];
}

/** @public */
export interface DhiMirrorConfig {
  /** Registry of the mirror, `docker.io` unless configured. */
  registry: string;
  /** The organisation namespace the DHI repositories are mirrored into. */
  namespace: string;
  /** Prefix of mirrored repository names: `dhi-` gives `<namespace>/dhi-python`. */
  repositoryPrefix: string;
  /** Pull every hardened image from the mirror, not only those that need Enterprise. */
  useForAll: boolean;
  /** The subscription includes DHI ELS (extended lifecycle support). */
  extendedSupport: boolean;
}

/**
 * Trust and attestation settings for the repositories of a registry whose
 * name starts with `prefix` (`baseImages.registries[].repositories[]`). The
 * most specific (longest) matching prefix wins; the registry's own settings
 * apply to every repository, as the prefix ''.
 * @public
 */
export interface RepositoryScope {
  /**
   * Repository-name prefix: the first path component (a Docker Hub
   * namespace) is matched whole, the rest as plain text
   * (`example-org/dhi-` covers `example-org/dhi-python`).
   */
  prefix: string;
  /** Trust Docker's DHI keys for these repositories. */
  dhiKeys?: boolean;
  /** More keys trusted for these repositories (added to the registry's own). */
  publicKeys: string[];
  /** Registry whose copy of the attestations is read as well (for example registry.scout.docker.com). */
  attestationsHost?: string;
  /** Repository path on `attestationsHost`; `{repository}` is the image's. Default `{repository}`. */
  attestationsRepository?: string;
  requiredAttestations?: string[];
}

/** @public */
export interface RegistryConfig {
  host: string;
  insecure: boolean;
  /** Keys trusted for every repository of this registry. */
  publicKeys: string[];
  /** Trust Docker's DHI keys for every repository of this registry (default: for dhi.io). */
  dhiKeys: boolean;
  credentials?: { username: string; password: string };
  attestationsHost?: string;
  /** Repository path on `attestationsHost`; `{repository}` is the image's. Default `{repository}`. */
  attestationsRepository?: string;
  requiredAttestations?: string[];
  /** Overrides by repository-name prefix; longest prefix wins. */
  repositories: RepositoryScope[];
  /** Other hosts this registry sends clients to: token realm, blob storage. */
  extraHosts: string[];
  /** Where to reach this registry instead of https://<host> (a mirror or pull-through cache). */
  endpoint?: string;
}

/**
 * The validated `baseImages` configuration.
 * @public
 */
export interface BaseImagesConfig {
  defaultFlavor: Flavor;
  runtimes: Record<Runtime, RuntimeCatalog>;
  dhi: {
    registry: string;
    mirror?: DhiMirrorConfig;
  };
  frameworks: FrameworkPolicy[];
  situations: Record<Situation, Capability[]>;
  registries: RegistryConfig[];
  requiredAttestations: string[];
  /** Normalised `user:` and `group:` refs from `baseImages.admins`; empty means nobody. */
  admins: string[];
}

/**
 * A framework that applies to an entity, with the entity it came from.
 * @public
 */
export interface EffectiveFramework {
  id: string;
  /** Entity ref the framework was inherited from (or the entity itself). */
  source: string;
  /** False when no `baseImages.policy.frameworks` entry defines it. */
  known: boolean;
}

/** @public */
export interface EffectiveCompliance {
  frameworks: EffectiveFramework[];
  /** Set when some entity in the chain asks for extended support. */
  extendedSupport?: { source: string };
  /** Entity refs that the chain points at but the catalog does not have. */
  missing: string[];
  /** Human-readable notes on how the compliance was gathered. */
  notes: string[];
}

/**
 * One required capability with the reason it is required.
 * @public
 */
export interface Requirement {
  capability: Capability;
  /** `framework:hipaa`, `support:extended` or `situation:security-sensitive`. */
  because: string;
  /** Entity ref the requirement came from, when it came from the catalog. */
  source?: string;
}

/** @public */
export interface ImageSelection {
  runtime: Runtime;
  version: string;
  flavor: Flavor;
  /** Image of the final (runtime) stage. */
  runtimeImage: string;
  /** Image of the build stage: the `-dev` variant, or the slim image. */
  builderImage: string;
  /** Image of the `debug` target: the `-dev` variant (has a shell). */
  debugImage: string;
  variant: Variant;
  edition?: DhiEdition;
  /** True when the runtime image ships no shell (no `RUN` allowed in its stage). */
  shellless: boolean;
  /** True when pulling needs `docker login` (dhi.io or a private mirror). */
  authRequired: boolean;
  /** Registry hosts that need `docker login` before pulling (for CI login steps). */
  loginRegistries: string[];
  requirements: Requirement[];
  frameworks: EffectiveFramework[];
  reasons: string[];
}
