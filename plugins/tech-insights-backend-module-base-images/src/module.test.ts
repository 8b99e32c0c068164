import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  ATTESTATION_STATUSES,
  AttestationStatus,
  OverviewRow,
} from '@internal/backstage-plugin-base-images-common';
import techInsightsPlugin from '@backstage-community/plugin-tech-insights-backend';
import express from 'express';
import request from 'supertest';
import {
  BASE_IMAGES_COMPLIANT_CHECK_ID,
  BASE_IMAGES_VERIFIED_CHECK_ID,
} from './checks';
import { BASE_IMAGES_FACT_RETRIEVER_ID } from './factRetriever';
import { techInsightsModuleBaseImages } from './module';

jest.setTimeout(60_000);

const VERDICTS = ['compliant', 'drift', 'error'] as const;
type Verdict = (typeof VERDICTS)[number];

/** The most rows the fake status backend returns per page, so the retriever has to page. */
const SERVER_PAGE_LIMIT = 5;

/** An overview row as the status backend serves it, for one verdict. */
function row(
  name: string,
  status: AttestationStatus,
  verdict: Verdict,
  extra: { outdated?: boolean; evidence?: 'verified' | 'missing' } = {},
): OverviewRow {
  const checked = status !== 'not-checked';
  return {
    entityRef: `component:default/${name}`,
    owner: 'group:default/web-team',
    image: checked
      ? {
          ref: 'dhi.io/python:3.13',
          registry: 'dhi.io',
          repository: 'python',
          tag: '3.13',
          digest: `sha256:${'a'.repeat(64)}`,
          ...(extra.outdated && {
            outdated: {
              pinnedDigest: `sha256:${'a'.repeat(64)}`,
              currentDigest: `sha256:${'b'.repeat(64)}`,
            },
          }),
        }
      : undefined,
    variant: checked ? 'dhi' : undefined,
    policy: {
      frameworks: [
        { id: 'soc2', source: 'system:default/billing', known: true },
      ],
      compliant: verdict === 'compliant',
      violations:
        verdict === 'drift'
          ? [
              'soc2 (from system:default/billing) requires a Docker Hardened Image',
            ]
          : [],
      reasons: [],
      ...(verdict === 'error' && {
        error: "framework 'soc3' is not in baseImages.policy.frameworks",
      }),
      ...(extra.evidence && {
        evidence: [
          {
            framework: 'soc2',
            predicateType: 'https://slsa.dev/provenance/',
            status: 'verified' as const,
          },
          {
            framework: 'soc2',
            predicateType: 'https://cyclonedx.org/bom',
            status: extra.evidence,
          },
        ],
      }),
    },
    attestation: {
      status,
      message: `the image is ${status}`,
      signatures: [],
      attestations: [],
    },
  };
}

const MATRIX = ATTESTATION_STATUSES.flatMap(status =>
  VERDICTS.map(verdict => ({
    name: `svc-${status}-${verdict}`,
    status,
    verdict,
  })),
);

/**
 * Stands in for the base-images status backend: the overview, paged at most
 * SERVER_PAGE_LIMIT rows at a time, and who asked.
 */
function fakeStatusBackend(fleet: {
  rows: OverviewRow[];
  callers: string[];
  failing?: boolean;
}) {
  return createBackendPlugin({
    pluginId: 'base-images',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
        },
        async init({ httpRouter, httpAuth }) {
          const router = express.Router();
          router.get('/overview', (req, res, next) => {
            httpAuth
              .credentials(req, { allow: ['service'] })
              .then(credentials => {
                fleet.callers.push(credentials.principal.subject);
                if (fleet.failing) {
                  res.status(503).json({
                    error: { name: 'ServiceUnavailableError', message: 'down' },
                  });
                  return;
                }
                const limit = Math.min(
                  Number(req.query.limit),
                  SERVER_PAGE_LIMIT,
                );
                const offset = Number(req.query.offset);
                res.json({
                  items: fleet.rows.slice(offset, offset + limit),
                  totalCount: fleet.rows.length,
                });
              })
              .catch(next);
          });
          httpRouter.use(router);
        },
      });
    },
  });
}

describe('techInsightsModuleBaseImages', () => {
  async function startBackend(rows: OverviewRow[]) {
    const fleet = { rows, callers: [] as string[], failing: false };
    const scheduler = mockServices.scheduler();
    const backend = await startTestBackend({
      features: [
        techInsightsPlugin,
        techInsightsModuleBaseImages,
        fakeStatusBackend(fleet),
        createServiceFactory({
          service: coreServices.scheduler,
          deps: {},
          factory: () => scheduler,
        }),
        mockServices.rootConfig.factory({
          data: {
            techInsights: {
              factRetrievers: {
                [BASE_IMAGES_FACT_RETRIEVER_ID]: { cadence: '0 */6 * * *' },
              },
            },
          },
        }),
      ],
    });
    return { backend, fleet, scheduler };
  }

  async function latestFacts(
    server: Parameters<typeof request>[0],
    name: string,
  ) {
    const response = await request(server)
      .get('/api/tech-insights/facts/latest')
      .query({
        entity: `component:default/${name}`,
        'ids[]': BASE_IMAGES_FACT_RETRIEVER_ID,
      });
    expect(response.status).toBe(200);
    return response.body[BASE_IMAGES_FACT_RETRIEVER_ID];
  }

  async function checkResults(
    server: Parameters<typeof request>[0],
    name: string,
  ): Promise<Record<string, boolean>> {
    const response = await request(server)
      .post(`/api/tech-insights/checks/run/default/component/${name}`)
      .send({});
    expect(response.status).toBe(200);
    return Object.fromEntries(
      response.body.map((r: { check: { id: string }; result: boolean }) => [
        r.check.id,
        r.result,
      ]),
    );
  }

  it('stores the facts and check results of every verdict, read page by page with its own service credentials', async () => {
    const { backend, fleet, scheduler } = await startBackend(
      MATRIX.map(({ name, status, verdict }) => row(name, status, verdict)),
    );
    try {
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);

      // 18 rows at most 5 a page: 4 requests, each with tech-insights' own service token
      expect(fleet.callers).toEqual(Array(4).fill('plugin:tech-insights'));
      for (const { name, status, verdict } of MATRIX) {
        const stored = await latestFacts(backend.server, name);
        expect({ name, facts: stored?.facts }).toEqual({
          name,
          facts: {
            variant: status === 'not-checked' ? '' : 'dhi',
            compliant: verdict === 'compliant',
            attestationStatus: status,
            verified: status === 'verified',
            outdated: false,
            evidenceComplete: true,
          },
        });
        expect(stored.timestamp).toEqual(expect.any(String));
        expect({
          name,
          results: await checkResults(backend.server, name),
        }).toEqual({
          name,
          results: {
            [BASE_IMAGES_COMPLIANT_CHECK_ID]: verdict === 'compliant',
            [BASE_IMAGES_VERIFIED_CHECK_ID]: status === 'verified',
          },
        });
      }
    } finally {
      await backend.stop();
    }
  });

  it('reports a moved tag and missing compliance evidence as facts', async () => {
    const { backend, scheduler } = await startBackend([
      row('svc-outdated', 'verified', 'compliant', { outdated: true }),
      row('svc-evidence-missing', 'verified', 'compliant', {
        evidence: 'missing',
      }),
      row('svc-evidence-verified', 'verified', 'compliant', {
        evidence: 'verified',
      }),
    ]);
    try {
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);
      const facts = async (name: string) =>
        (await latestFacts(backend.server, name)).facts;
      expect(await facts('svc-outdated')).toMatchObject({
        outdated: true,
        evidenceComplete: true,
      });
      expect(await facts('svc-evidence-missing')).toMatchObject({
        outdated: false,
        evidenceComplete: false,
      });
      expect(await facts('svc-evidence-verified')).toMatchObject({
        evidenceComplete: true,
      });
    } finally {
      await backend.stop();
    }
  });

  it('follows the status service when a verdict changes', async () => {
    const rows = [row('svc-a', 'verified', 'compliant')];
    const { backend, fleet, scheduler } = await startBackend(rows);
    try {
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);
      expect(await checkResults(backend.server, 'svc-a')).toEqual({
        [BASE_IMAGES_COMPLIANT_CHECK_ID]: true,
        [BASE_IMAGES_VERIFIED_CHECK_ID]: true,
      });
      // facts with the same timestamp second would tie for "latest"
      await new Promise(resolve => setTimeout(resolve, 1100));
      fleet.rows = [row('svc-a', 'invalid', 'drift')];
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);
      expect(await checkResults(backend.server, 'svc-a')).toEqual({
        [BASE_IMAGES_COMPLIANT_CHECK_ID]: false,
        [BASE_IMAGES_VERIFIED_CHECK_ID]: false,
      });
    } finally {
      await backend.stop();
    }
  });

  it('keeps the last facts when the status service cannot be read', async () => {
    const { backend, fleet, scheduler } = await startBackend([
      row('svc-a', 'verified', 'compliant'),
    ]);
    try {
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);
      const first = await latestFacts(backend.server, 'svc-a');
      await new Promise(resolve => setTimeout(resolve, 1100));
      fleet.failing = true;
      fleet.rows = [row('svc-a', 'invalid', 'drift')];
      await scheduler.triggerTask(BASE_IMAGES_FACT_RETRIEVER_ID);
      expect(fleet.callers).toHaveLength(2);
      expect(await latestFacts(backend.server, 'svc-a')).toEqual(first);
    } finally {
      await backend.stop();
    }
  });

  it('lists its checks by the names the scorecard shows', async () => {
    const { backend } = await startBackend([]);
    try {
      const response = await request(backend.server).get(
        '/api/tech-insights/checks',
      );
      expect(response.status).toBe(200);
      expect(
        response.body.map((c: { id: string; name: string }) => [c.id, c.name]),
      ).toEqual([
        [BASE_IMAGES_COMPLIANT_CHECK_ID, 'Meets its compliance'],
        [BASE_IMAGES_VERIFIED_CHECK_ID, 'Base image verified'],
      ]);
    } finally {
      await backend.stop();
    }
  });
});
