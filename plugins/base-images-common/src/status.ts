import type { EffectiveFramework, Variant } from './policy/types';

/** Attestation statuses, as the status API reports them. */
export const ATTESTATION_STATUSES = [
  'verified',
  'incomplete',
  'unsigned',
  'invalid',
  'unavailable',
  'not-checked',
] as const;
export type AttestationStatus = (typeof ATTESTATION_STATUSES)[number];

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

export interface AttestationResult {
  predicateType: string;
  verified: boolean;
  signer?: string;
  /** Digest of the attestation manifest or layer. */
  digest?: string;
  message?: string;
}

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
}

/**
 * The report for an image that is never checked: no usable reference, or a
 * registry outside `baseImages.registries`. `message` says which.
 */
export function notCheckedReport(message: string): AttestationReport {
  return { status: 'not-checked', message, signatures: [], attestations: [] };
}

export interface BaseImageStatusResponse {
  entityRef: string;
  image?: {
    ref: string;
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
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
  };
  attestation: AttestationReport;
}

export interface OverviewRow extends BaseImageStatusResponse {
  title?: string;
}

export interface OverviewResponse {
  items: OverviewRow[];
  totalCount: number;
}
