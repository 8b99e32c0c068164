import type {
  Capability,
  FrameworkPolicy,
  Runtime,
  RuntimeCatalog,
  Situation,
} from './types';

/**
 * The policy the seed (Docker's DHI reference) describes, used for every key
 * that `baseImages` in app-config leaves out.
 */
export const DEFAULT_FRAMEWORKS: FrameworkPolicy[] = [
  {
    id: 'soc2',
    requires: ['hardened'],
    aliases: ['soc-2'],
    description: 'SOC 2: any Docker Hardened Image (low CVE count)',
  },
  {
    id: 'hipaa',
    requires: ['hardened', 'fips'],
    aliases: [],
    description: 'HIPAA: FIPS-enabled hardened image',
  },
  {
    id: 'pci-dss',
    requires: ['hardened', 'fips'],
    aliases: ['pci', 'pcidss'],
    description: 'PCI-DSS: FIPS-enabled hardened image',
  },
  {
    id: 'cis',
    requires: ['hardened', 'enterprise'],
    aliases: ['cis-benchmark'],
    description: 'CIS Benchmark: DHI Enterprise',
  },
];

/** The seed's "when to use DHI" table: only security-sensitive work needs DHI without a framework. */
export const DEFAULT_SITUATIONS: Record<Situation, Capability[]> = {
  production: [],
  prototype: [],
  'open-source': [],
  'security-sensitive': ['hardened'],
};

/** The seed's list of available DHI tags. */
export const DEFAULT_RUNTIMES: Record<Runtime, RuntimeCatalog> = {
  python: {
    defaultVersion: '3.13',
    dhiTags: [
      '3.13',
      '3.12',
      '3.11',
      '3.13-alpine3.21',
      '3.13-fips',
      '3.13-dev',
    ],
  },
  node: {
    defaultVersion: '22',
    dhiTags: ['22', '20', '22-alpine', '22-fips'],
  },
};

export const DEFAULT_DHI_REGISTRY = 'dhi.io';

/** Predicate-type prefixes a "verified" image must carry: provenance, SBOM, VEX. */
export const DEFAULT_REQUIRED_ATTESTATIONS = [
  'https://slsa.dev/provenance/',
  'https://cyclonedx.org/bom',
  'https://openvex.dev/ns',
];
