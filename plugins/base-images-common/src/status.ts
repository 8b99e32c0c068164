import type { EffectiveFramework, Variant } from './policy/types';

/**
 * Attestation statuses, as the status API reports them.
 * @public
 */
export const ATTESTATION_STATUSES = [
  'verified',
  'incomplete',
  'unsigned',
  'invalid',
  'unavailable',
  'not-checked',
] as const;
/** @public */
export type AttestationStatus = (typeof ATTESTATION_STATUSES)[number];

/** @public */
export interface SignatureResult {
  /** How it was found: `referrers`, `referrers-tag`, `cosign-tag`, `buildkit`. */
  source: string;
  /** What it signs: the image digest or an attestation manifest digest. */
  subjectDigest: string;
  format: 'cosign' | 'dsse' | 'sigstore-bundle';
  verified: boolean;
  /** Key id (SHA-256 of the SPKI DER, first 16 hex) of the key that verified it. */
  signer?: string;
  message?: string;
}

/** @public */
export interface AttestationResult {
  predicateType: string;
  verified: boolean;
  signer?: string;
  /** Digest of the attestation manifest or layer. */
  digest?: string;
  message?: string;
}

/**
 * What the verified attestations say about the image, the figures of the
 * seed's "Security Benefits" table (issue 10). Absent when no verified
 * attestation (or manifest) carries them.
 * @public
 */
export interface ImageFigures {
  /** Packages in the verified SBOM (CycloneDX or SPDX), the image itself not counted. */
  packages?: number;
  /**
   * Set when `packages` comes from an SBOM no trusted key signed (BuildKit's,
   * on images nobody signs such as the slim ones): bound to the image by
   * digest only.
   */
  unsignedSbom?: boolean;
  /** Known vulnerabilities after VEX (not_affected / fixed suppressed), by severity. */
  vulnerabilities?: {
    total: number;
    critical?: number;
    high?: number;
    medium?: number;
    low?: number;
    /** Vulnerabilities the VEX statements suppressed. */
    suppressedByVex?: number;
  };
  /** Compressed size of the selected platform's layers, in bytes. */
  sizeBytes?: number;
  /** When the image was built (its config's `created`), ISO time. */
  createdAt?: string;
}

/** @public */
export interface AttestationReport {
  status: AttestationStatus;
  /** ISO time of the check that produced this report. */
  checkedAt?: string;
  message: string;
  signatures: SignatureResult[];
  attestations: AttestationResult[];
  /** For `unavailable`: the last result obtained and when. */
  lastKnown?: {
    status: AttestationStatus;
    checkedAt: string;
    ageSeconds: number;
  };
  figures?: ImageFigures;
}

/**
 * The report for an image that is never checked: no usable reference, or a
 * registry outside `baseImages.registries`. `message` says which.
 * @public
 */
export function notCheckedReport(message: string): AttestationReport {
  return { status: 'not-checked', message, signatures: [], attestations: [] };
}

/**
 * Whether one attestation a framework requires is there: `policy.evidence` (DESIGN.md).
 * @public
 */
export interface FrameworkEvidence {
  framework: string;
  /** The predicate type (prefix) the framework requires. */
  predicateType: string;
  status: 'verified' | 'unverified' | 'missing';
  /** The predicate type of the attestation that proves it, when one does. */
  provenBy?: string;
}

/**
 * Something about a service's base image that its owners should look at.
 * @public
 */
export interface BaseImageFinding {
  /**
   * `declared-differs`: `base-image/ref` and the Dockerfile disagree;
   * `dockerfile-unreadable`: the Dockerfile could not be read or parsed;
   * `outdated`: the pinned digest is no longer what the tag points at.
   */
  kind: 'declared-differs' | 'dockerfile-unreadable' | 'outdated';
  message: string;
}

/** @public */
export interface BaseImageStatusResponse {
  entityRef: string;
  image?: {
    ref: string;
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
    /** `<file>:<line>` when the reference was read from the service's Dockerfile rather than `base-image/ref`. */
    discoveredFrom?: string;
    /** Set when the pinned digest is no longer what the tag resolves to. */
    outdated?: {
      pinnedDigest: string;
      currentDigest: string;
      /** When the pinned image was built, ISO time (its age is the pin's age). */
      pinnedCreatedAt?: string;
    };
  };
  runtime?: string;
  variant?: Variant;
  policy: {
    frameworks: EffectiveFramework[];
    required?: string;
    requiredVariant?: Variant;
    compliant: boolean;
    violations: string[];
    reasons: string[];
    error?: string;
    /** Per framework, the attestations it requires and whether they are verified. */
    evidence?: FrameworkEvidence[];
  };
  attestation: AttestationReport;
  findings?: BaseImageFinding[];
}

/** @public */
export interface OverviewRow extends BaseImageStatusResponse {
  title?: string;
  /** The owner entity ref of the component. */
  owner?: string;
}

/**
 * Counts over the whole filtered fleet, not only the page.
 * @public
 */
export interface OverviewSummary {
  total: number;
  byStatus: Record<AttestationStatus, number>;
  byVerdict: { compliant: number; drift: number; error: number };
  byOwner: Array<{
    owner: string;
    total: number;
    drift: number;
    byStatus: Partial<Record<AttestationStatus, number>>;
  }>;
}

/** @public */
export interface OverviewResponse {
  items: OverviewRow[];
  /** Rows matching the filters (all pages). */
  totalCount: number;
  summary: OverviewSummary;
}
