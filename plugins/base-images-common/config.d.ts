export interface Config {
  /**
   * Base-image policy and registry trust. Read and validated once at start-up
   * by the base-images backend and the scaffolder module; an unknown key fails
   * start-up with the key's name. Nothing here is visible to the frontend.
   */
  baseImages?: {
    /**
     * Who may use the Template Editor and dry-run, force base-image re-checks
     * and delete catalog entities and locations: user and group entity refs
     * with their kind, for example `user:development/guest` or
     * `group:default/platform-team` (members of a listed group count).
     * Enforced by the portal's permission policy (packages/backend).
     * Default: an empty list, so nobody is an admin.
     */
    admins?: string[];
    defaults?: {
      /** Image flavor when a template does not ask for one. Default `standard` (Debian). */
      flavor?: 'standard' | 'alpine';
    };
    /** Per runtime: default version and the DHI tags that exist (the tag catalog). */
    runtimes?: {
      [runtime: string]: {
        /** For example `3.13` or `22`. */
        defaultVersion?: string;
        /** Tags of the hardened image, for example `3.13`, `3.13-fips`, `3.13-dev`. */
        dhiTags?: string[];
      };
    };
    dhi?: {
      /** Registry of DHI Community images. Default `dhi.io`. */
      registry?: string;
      /** The organisation's DHI Select/Enterprise mirror on Docker Hub (`<namespace>/<prefix><image>`). */
      mirror?: {
        /** Default `docker.io`. */
        registry?: string;
        namespace: string;
        /** Default `dhi-`. */
        repositoryPrefix?: string;
        /** Pull every hardened image from the mirror, not only Enterprise ones. */
        useForAll?: boolean;
        /** The subscription includes DHI ELS. */
        extendedSupport?: boolean;
      };
    };
    policy?: {
      /** Framework id -> what it requires of the base image. Merged over the built-in soc2, hipaa, pci-dss, cis. */
      frameworks?: {
        [framework: string]: {
          requires: Array<
            'hardened' | 'fips' | 'enterprise' | 'extended-support'
          >;
          aliases?: string[];
          description?: string;
        };
      };
      /** Situation -> requirements when no framework applies. */
      situations?: {
        [situation: string]: Array<
          'hardened' | 'fips' | 'enterprise' | 'extended-support'
        >;
      };
    };
    /** The registries the status backend may contact; no other host is ever contacted. */
    registries?: Array<{
      host: string;
      /** Plain HTTP; refused for anything but loopback hosts. */
      insecure?: boolean;
      /** PEM public keys whose signatures count as trusted for this registry. */
      publicKeys?: string[];
      credentials?: {
        username: string;
        /** @visibility secret */
        password: string;
      };
      /** Registry where this registry's attestations live (for example registry.scout.docker.com). */
      attestationsHost?: string;
      /** Overrides `baseImages.requiredAttestations` for this registry. */
      requiredAttestations?: string[];
      /** Other hosts this registry sends clients to (token realm, blob storage); only these are followed. */
      extraHosts?: string[];
      /** Contact this URL for the registry instead of https://<host>: a mirror or pull-through cache (http only for loopback, with insecure). */
      endpoint?: string;
    }>;
    /** Predicate-type prefixes a verified image must carry. */
    requiredAttestations?: string[];
  };
}
