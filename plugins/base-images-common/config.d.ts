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
          /**
           * Predicate types of the attestations that prove this framework
           * (`policy.evidence` in the status API). A type matches itself and
           * itself plus one version segment (`https://docker.com/dhi/fips/`
           * matches `…/fips/v0.1`); a type that already ends in a version
           * matches only itself. Default for the built-in frameworks, from
           * Docker's DHI documentation: the SLSA verification summary
           * (`https://slsa.dev/verification_summary/`) for each, and the FIPS
           * attestation (`https://docker.com/dhi/fips/`) for hipaa and
           * pci-dss. A framework that asks for STIG can name
           * `https://docker.com/dhi/stig/` (STIG variants only); CIS has no
           * attestation. Empty for frameworks you add.
           */
          evidence?: string[];
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
      /**
       * PEM public keys trusted for every repository of this registry. On
       * docker.io that is every Docker Hub namespace: trust keys for yours
       * under `repositories` instead.
       */
      publicKeys?: string[];
      /** Trust Docker's two DHI keys for every repository of this registry. Default: true for dhi.io only. */
      dhiKeys?: boolean;
      credentials?: {
        /** Docker ID (or organisation name with an organisation access token) for Docker's registries. */
        username: string;
        /** @visibility secret */
        password: string;
      };
      /**
       * Registry whose copy of this registry's attestations is read too (for
       * example registry.scout.docker.com); it must be listed here as well.
       * The image's own registry is always read first.
       */
      attestationsHost?: string;
      /** Repository on `attestationsHost`, `{repository}` standing for the image's. Default `{repository}`. */
      attestationsRepository?: string;
      /** Overrides `baseImages.requiredAttestations` for this registry. */
      requiredAttestations?: string[];
      /**
       * Settings for the repositories whose name starts with `prefix`; the
       * longest matching prefix wins. Keys listed here are trusted for these
       * repositories only (added to the registry's own `publicKeys`).
       */
      repositories?: Array<{
        /**
         * Repository-name prefix: the first path component (a Docker Hub
         * namespace) is matched whole, the rest as text, so
         * `example-org/dhi-` covers `example-org/dhi-python`.
         */
        prefix: string;
        /** Trust Docker's two DHI keys for these repositories (a DHI Select/Enterprise mirror). */
        dhiKeys?: boolean;
        /** More PEM public keys trusted for these repositories only. */
        publicKeys?: string[];
        /** As the registry's `attestationsHost`, for these repositories. */
        attestationsHost?: string;
        /** As the registry's `attestationsRepository`, for these repositories (for example 'dhi/{repository}'). */
        attestationsRepository?: string;
        /** Overrides the registry's and the global `requiredAttestations` for these repositories. */
        requiredAttestations?: string[];
      }>;
      /**
       * Other hosts this registry sends clients to (token realm, blob storage),
       * added to the built-in ones (for docker.io: auth.docker.io,
       * registry-1.docker.io and Docker's blob CDN hosts); only these are followed.
       */
      extraHosts?: string[];
      /** Contact this URL for the registry instead of https://<host>: a mirror or pull-through cache (http only for loopback, with insecure). */
      endpoint?: string;
    }>;
    /**
     * Predicate types a verified image must carry (each matches itself and
     * itself plus one version segment, as `evidence` does).
     */
    requiredAttestations?: string[];
  };
}
