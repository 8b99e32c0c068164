import {
  AttestationStatus,
  BaseImageFinding,
  BaseImageStatusResponse,
} from '@internal/backstage-plugin-base-images-common';

type Policy = 'compliant' | 'drift' | 'error';

/** A status response with the given verdict. */
export function statusOf(
  attestation: AttestationStatus,
  policy: Policy = 'compliant',
  findings: BaseImageFinding['kind'][] = [],
  entityRef = 'component:default/svc',
): BaseImageStatusResponse {
  return {
    entityRef,
    image: {
      ref: 'dhi.io/python:3.13',
      registry: 'dhi.io',
      repository: 'python',
      tag: '3.13',
    },
    variant: 'dhi',
    policy: {
      frameworks: [],
      compliant: policy === 'compliant',
      violations:
        policy === 'drift'
          ? ['hipaa requires a FIPS-enabled (-fips) image']
          : [],
      reasons: [],
      ...(policy === 'error' && { error: "unknown framework 'soc3'" }),
    },
    attestation: {
      status: attestation,
      message: `image is ${attestation}`,
      signatures: [],
      attestations: [],
    },
    findings: findings.map(kind => ({ kind, message: `finding ${kind}` })),
  };
}
