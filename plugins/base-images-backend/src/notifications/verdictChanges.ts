import {
  AttestationStatus,
  BaseImageStatusResponse,
} from '@internal/backstage-plugin-base-images-common';

/** Attestation statuses that say something about the image, least severe first (the fleet view's order). */
const KNOWN_ATTESTATION_SEVERITY = [
  'verified',
  'unsigned',
  'incomplete',
  'invalid',
] as const;
type KnownAttestationStatus = (typeof KNOWN_ATTESTATION_SEVERITY)[number];

/**
 * What the notifier remembers of a component's verdict. A dimension is left
 * out while nothing is known about it: `unavailable` and `not-checked` say
 * nothing about the image, and a policy error nothing about the service.
 */
export interface VerdictState {
  attestation?: KnownAttestationStatus;
  policy?: 'compliant' | 'drift';
  /** Kinds of the open findings, sorted. */
  findings: string[];
}

/** One way a verdict got worse. */
export type VerdictWorsening =
  | {
      kind: 'attestation';
      from: KnownAttestationStatus;
      to: KnownAttestationStatus;
    }
  | { kind: 'policy' }
  | { kind: 'finding'; finding: string };

/** What the notifier stores per component. */
export interface NotifierState {
  verdict: VerdictState;
  /**
   * Set while a worsening is unresolved: the verdict before it, which the
   * component has to get back to (in every dimension) to count as resolved.
   */
  openSince?: VerdictState;
}

/**
 * The verdict the fleet refresh had stored for a component before this
 * refresh (its fleet row): attestation status and policy verdict.
 */
export interface PreviousVerdict {
  status: AttestationStatus;
  verdict: 'compliant' | 'drift' | 'error';
}

export type NotifierDecision = {
  next: NotifierState;
  notify?:
    | { kind: 'worsened'; worsenings: VerdictWorsening[] }
    | { kind: 'resolved' };
};

function isKnown(status: AttestationStatus): status is KnownAttestationStatus {
  return (KNOWN_ATTESTATION_SEVERITY as readonly string[]).includes(status);
}

/**
 * The verdict of a status response; dimensions it says nothing about keep
 * their value from `before`, so an outage between "verified" and "invalid"
 * still counts as that worsening.
 */
export function verdictOf(
  status: BaseImageStatusResponse,
  before?: VerdictState,
): VerdictState {
  const attestation = isKnown(status.attestation.status)
    ? status.attestation.status
    : before?.attestation;
  // without an image there is nothing to judge (compliant stays false)
  let policy = before?.policy;
  if (status.image !== undefined && !status.policy.error) {
    policy = status.policy.compliant ? 'compliant' : 'drift';
  }
  return {
    ...(attestation && { attestation }),
    ...(policy && { policy }),
    findings: [...new Set((status.findings ?? []).map(f => f.kind))].sort(),
  };
}

/** How `after` is worse than `before`; empty when it is not. */
export function worseningsBetween(
  before: VerdictState,
  after: VerdictState,
): VerdictWorsening[] {
  const worsenings: VerdictWorsening[] = [];
  if (
    before.attestation &&
    after.attestation &&
    KNOWN_ATTESTATION_SEVERITY.indexOf(after.attestation) >
      KNOWN_ATTESTATION_SEVERITY.indexOf(before.attestation)
  ) {
    worsenings.push({
      kind: 'attestation',
      from: before.attestation,
      to: after.attestation,
    });
  }
  if (before.policy === 'compliant' && after.policy === 'drift') {
    worsenings.push({ kind: 'policy' });
  }
  for (const finding of after.findings) {
    if (!before.findings.includes(finding))
      worsenings.push({ kind: 'finding', finding });
  }
  return worsenings;
}

/**
 * Whether to notify, judged from the stored state (or, the first time the
 * notifier sees a component, the previous verdict the refresh reports, whose
 * findings it takes as unchanged) and the current verdict. A component seen
 * for the first time with neither is only remembered: its owners hear about
 * changes, not about the state the notifier found.
 */
export function decideNotification(
  stored: NotifierState | undefined,
  previous: PreviousVerdict | undefined,
  current: BaseImageStatusResponse,
): NotifierDecision {
  const currentFindings = verdictOf(current).findings;
  const before =
    stored?.verdict ??
    (previous && {
      ...(isKnown(previous.status) && { attestation: previous.status }),
      ...(previous.verdict !== 'error' && { policy: previous.verdict }),
      findings: currentFindings,
    });
  const verdict = verdictOf(current, before);
  if (!before) return { next: { verdict } };
  const worsenings = worseningsBetween(before, verdict);
  if (worsenings.length > 0) {
    return {
      next: { verdict, openSince: stored?.openSince ?? before },
      notify: { kind: 'worsened', worsenings },
    };
  }
  if (
    stored?.openSince &&
    worseningsBetween(stored.openSince, verdict).length === 0
  ) {
    return { next: { verdict }, notify: { kind: 'resolved' } };
  }
  return {
    next: {
      verdict,
      ...(stored?.openSince && { openSince: stored.openSince }),
    },
  };
}
