import type {
  Capability,
  FrameworkPolicy,
  Runtime,
  RuntimeCatalog,
  Situation,
} from './types';

/**
 * DHI's SLSA verification summary, which every DHI carries (docs.docker.com
 * dhi/core-concepts/attestations: `https://slsa.dev/verification_summary/v1`).
 * @public
 */
export const VERIFICATION_SUMMARY_ATTESTATION =
  'https://slsa.dev/verification_summary/';
/**
 * DHI's FIPS attestation on `-fips` images (dhi/explore/security-concepts/fips: `https://docker.com/dhi/fips/v0.1`).
 * @public
 */
export const FIPS_ATTESTATION = 'https://docker.com/dhi/fips/';
/**
 * DHI's STIG scan, on the STIG variants only (dhi/explore/security-concepts/stig:
 * `https://docker.com/dhi/stig/v0.1`): evidence for a framework that asks for
 * STIG (FedRAMP, DoD), which is not among the defaults. CIS has no
 * attestation: Docker marks CIS images with a catalog label only.
 * @public
 */
export const STIG_ATTESTATION = 'https://docker.com/dhi/stig/';

/**
 * The policy the seed (Docker's DHI reference) describes, used for every key
 * that `baseImages` in app-config leaves out. Evidence: the verification
 * summary for every DHI requirement, the FIPS attestation where FIPS is
 * required.
 * @public
 */
export const DEFAULT_FRAMEWORKS: FrameworkPolicy[] = [
  {
    id: 'soc2',
    requires: ['hardened'],
    aliases: ['soc-2'],
    description: 'SOC 2: any Docker Hardened Image (low CVE count)',
    evidence: [VERIFICATION_SUMMARY_ATTESTATION],
  },
  {
    id: 'hipaa',
    requires: ['hardened', 'fips'],
    aliases: [],
    description: 'HIPAA: FIPS-enabled hardened image',
    evidence: [VERIFICATION_SUMMARY_ATTESTATION, FIPS_ATTESTATION],
  },
  {
    id: 'pci-dss',
    requires: ['hardened', 'fips'],
    aliases: ['pci', 'pcidss'],
    description: 'PCI-DSS: FIPS-enabled hardened image',
    evidence: [VERIFICATION_SUMMARY_ATTESTATION, FIPS_ATTESTATION],
  },
  {
    id: 'cis',
    requires: ['hardened', 'enterprise'],
    aliases: ['cis-benchmark'],
    description: 'CIS Benchmark: DHI Enterprise',
    evidence: [VERIFICATION_SUMMARY_ATTESTATION],
  },
];

/**
 * The seed's "when to use DHI" table: only security-sensitive work needs DHI without a framework.
 * @public
 */
export const DEFAULT_SITUATIONS: Record<Situation, Capability[]> = {
  production: [],
  prototype: [],
  'open-source': [],
  'security-sensitive': ['hardened'],
};

/**
 * The seed's list of available DHI tags.
 * @public
 */
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

/** @public */
export const DEFAULT_DHI_REGISTRY = 'dhi.io';
/**
 * The registry whose repositories trust Docker's DHI keys unless configured otherwise (`dhiKeys`).
 * @public
 */
export const DEFAULT_DHI_KEYS_HOST = 'dhi.io';

/**
 * Predicate-type prefixes a "verified" image must carry: provenance, SBOM, VEX.
 * Each matches its own type with or without a trailing version segment
 * (matchesPredicateType).
 * @public
 */
export const DEFAULT_REQUIRED_ATTESTATIONS = [
  'https://slsa.dev/provenance/',
  'https://cyclonedx.org/bom',
  'https://openvex.dev/ns',
];
