import { Entity } from '@backstage/catalog-model';
import {
  AttestationStatus,
  BaseImageStatusResponse,
} from '@internal/backstage-plugin-base-images-common';
import { BaseImagesApi } from '../api';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'patient-portal',
    namespace: 'default',
    annotations: {
      'base-image/ref': 'dhi.io/python:3.13-fips',
      'base-image/runtime': 'python',
    },
  },
  spec: {
    type: 'service',
    owner: 'records-team',
    lifecycle: 'production',
    system: 'patient-records',
  },
};

export function statusResponse(
  status: AttestationStatus,
  overrides: Partial<BaseImageStatusResponse> = {},
): BaseImageStatusResponse {
  return {
    entityRef: 'component:default/patient-portal',
    runtime: 'python',
    variant: 'dhi-fips',
    image: {
      ref: 'dhi.io/python:3.13-fips',
      registry: 'dhi.io',
      repository: 'python',
      tag: '3.13-fips',
      digest: `sha256:${'ab'.repeat(32)}`,
    },
    policy: {
      frameworks: [
        { id: 'hipaa', source: 'system:default/patient-records', known: true },
      ],
      compliant: true,
      violations: [],
      reasons: [],
      required: 'dhi.io/python:3.13-fips',
    },
    attestation: {
      status,
      checkedAt: new Date(Date.now() - 120_000).toISOString(),
      message: `${status} message`,
      signatures: [
        {
          source: 'referrers',
          subjectDigest: `sha256:${'cd'.repeat(32)}`,
          format: 'cosign',
          verified: true,
          signer: '118ba556aaaa',
        },
      ],
      attestations: [
        {
          predicateType: 'https://slsa.dev/provenance/v1',
          verified: true,
          signer: '118ba556aaaa',
        },
        {
          predicateType: 'https://cyclonedx.org/bom/v1.6',
          verified: false,
          message: 'unsigned (buildkit)',
        },
      ],
    },
    ...overrides,
  };
}

export function mockApi(
  overrides: Partial<BaseImagesApi> = {},
): jest.Mocked<BaseImagesApi> {
  return {
    getEntityStatus: jest.fn(async () => statusResponse('verified')),
    refreshEntityStatus: jest.fn(async () => statusResponse('verified')),
    getOverview: jest.fn(async () => ({ items: [], totalCount: 0 })),
    preview: jest.fn(),
    ...overrides,
  } as jest.Mocked<BaseImagesApi>;
}
