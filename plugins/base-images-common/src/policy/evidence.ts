import type {
  AttestationReport,
  AttestationStatus,
  FrameworkEvidence,
} from '../status';
import type { EffectiveFramework, FrameworkPolicy } from './types';

/** A version as the last segment of a predicate type: `v1`, `v0.2`, `v0.2.0`. */
const VERSION_SEGMENT = /^v\d+(\.\d+){0,2}$/;

/**
 * Whether `predicateType` is of the kind that `prefix` (from config) names.
 * in-toto type URIs are opaque and carry their version as the last segment,
 * so the prefix matches itself, or itself followed by one version segment:
 * `https://slsa.dev/provenance/` matches `…/provenance/v1` and
 * `…/provenance/v0.2`, never `…/provenance/evil` or `…/provenance-v1`. A
 * prefix that already ends in a version (`…/bom/v1.6`) matches only itself.
 * Case-sensitive, as in-toto's TypeURI is.
 * @public
 */
export function matchesPredicateType(
  prefix: string,
  predicateType: string,
): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (base.length === 0) return false;
  if (predicateType === base) return true;
  return (
    predicateType.startsWith(`${base}/`) &&
    VERSION_SEGMENT.test(predicateType.slice(base.length + 1))
  );
}

/**
 * Statuses under which a verified attestation proves anything: the image
 * itself (the index the tag resolves to) carries a trusted signature. Under
 * any other status an attestation signed on its own may describe a platform
 * manifest that someone else's index wraps.
 */
const IMAGE_SIGNED: ReadonlySet<AttestationStatus> = new Set([
  'verified',
  'incomplete',
]);

/**
 * `policy.evidence`: for each framework that applies and each attestation its
 * policy names as evidence, whether the image carries it verified, carries it
 * unverified (unsigned, not read, or on an image whose own signature does not
 * verify), or not at all. An `unavailable` report is judged by its last known
 * result, whose attestations it carries.
 * @public
 */
export function frameworkEvidence(
  frameworks: EffectiveFramework[],
  report: Pick<AttestationReport, 'status' | 'attestations' | 'lastKnown'>,
  policies: FrameworkPolicy[],
): FrameworkEvidence[] {
  const status =
    report.status === 'unavailable' ? report.lastKnown?.status : report.status;
  const trusted = status !== undefined && IMAGE_SIGNED.has(status);
  const evidence: FrameworkEvidence[] = [];
  for (const framework of frameworks) {
    const policy = policies.find(p => p.id === framework.id);
    for (const predicateType of policy?.evidence ?? []) {
      const matching = report.attestations.filter(a =>
        matchesPredicateType(predicateType, a.predicateType),
      );
      const proof = trusted ? matching.find(a => a.verified) : undefined;
      if (proof) {
        evidence.push({
          framework: framework.id,
          predicateType,
          status: 'verified',
          provenBy: proof.predicateType,
        });
      } else {
        evidence.push({
          framework: framework.id,
          predicateType,
          status: matching.length ? 'unverified' : 'missing',
        });
      }
    }
  }
  return evidence;
}
