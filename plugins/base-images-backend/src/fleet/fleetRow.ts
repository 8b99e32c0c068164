import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_BASE_IMAGE_REF,
  AttestationStatus,
  BaseImageStatusResponse,
} from '@internal/backstage-plugin-base-images-common';

/** The policy verdict of a fleet row: meets its compliance, drifts from it, or cannot be judged. */
export type FleetVerdict = 'compliant' | 'drift' | 'error';
export const FLEET_VERDICTS: readonly FleetVerdict[] = [
  'compliant',
  'drift',
  'error',
];

/** One component's line in the fleet: what GET /overview filters, sorts and counts on. */
export interface FleetRow {
  entityRef: string;
  title?: string;
  owner?: string;
  /** Has a base image (declared, or a Dockerfile): shown in the fleet. */
  listed: boolean;
  status: AttestationStatus;
  variant?: string;
  verdict: FleetVerdict;
  frameworks: string[];
  /** 0 is the most severe; the fleet lists rows by this, then by ref. */
  severity: number;
  response: BaseImageStatusResponse;
}

/**
 * The fleet's order, most severe first: a signature that does not verify,
 * then drift from the policy (or a verdict that cannot be made), then what
 * could not be checked or is missing, and verified images last.
 */
const STATUS_SEVERITY: Record<AttestationStatus, number> = {
  invalid: 0,
  unavailable: 2,
  incomplete: 3,
  unsigned: 4,
  'not-checked': 5,
  verified: 6,
};
const DRIFT_SEVERITY = 1;

export function severityOf(status: AttestationStatus, verdict: FleetVerdict) {
  if (status === 'invalid') return STATUS_SEVERITY.invalid;
  if (verdict !== 'compliant') return DRIFT_SEVERITY;
  return STATUS_SEVERITY[status];
}

export function verdictOf(response: BaseImageStatusResponse): FleetVerdict {
  if (response.policy.error || !response.image) return 'error';
  return response.policy.compliant ? 'compliant' : 'drift';
}

/** The owner as a full entity ref (`group:default/team`), as the catalog relations name it. */
function ownerRef(entity: Entity): string | undefined {
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return owner;
  }
}

export function fleetRowOf(
  entity: Entity,
  response: BaseImageStatusResponse,
): FleetRow {
  const verdict = verdictOf(response);
  const status = response.attestation.status;
  return {
    entityRef: response.entityRef,
    title: entity.metadata.title,
    owner: ownerRef(entity),
    listed:
      !!entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_REF] ||
      !!response.image ||
      !!response.findings?.some(f => f.kind === 'dockerfile-unreadable'),
    status,
    variant: response.variant,
    verdict,
    frameworks: response.policy.frameworks.map(f => f.id),
    severity: severityOf(status, verdict),
    response,
  };
}
