/**
 * Status backend benchmarks, through the plugin's public surface only (the
 * plugin in a test backend, or the real portal), against registries on loopback:
 *  1. cold status check (resolve + find + verify) vs `skopeo inspect` of the same image (goal <= 1.5x);
 *  2. warm status p50/p99 at 50 concurrent clients vs the catalog's by-name endpoint on the same backend (goal p99 <= 1.2x);
 *  3. fleet refresh of 10,000 components sharing 12 images (goal: 12 checks, counted at the registry).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ServiceFactory } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import baseImagesPlugin from '@internal/backstage-plugin-base-images-backend';
import {
  createTestKey,
  Pusher,
  pushImage,
  startFakeRegistry,
} from '@internal/backstage-plugin-base-images-backend/testUtils';
import { startDemoRegistry } from '../packages/e2e-tests/src/demoRegistry';
import {
  api,
  BACKEND,
  guestToken,
  startService,
  waitUntil,
} from '../packages/e2e-tests/src/processes';
import { round, stats, time, writeResult } from './lib';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);
const WARM_REQUESTS = Number(process.env.BENCH_WARM_REQUESTS ?? 3000);
const CONCURRENCY = 50;

async function load(url: string, token: string): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < WARM_REQUESTS) {
        latencies.push(
          await time(async () => {
            const response = await fetch(url, {
              headers: { authorization: `Bearer ${token}` },
            });
            if (!response.ok)
              throw new Error(`${url}: HTTP ${response.status}`);
            await response.arrayBuffer();
          }),
        );
      }
    }),
  );
  return latencies;
}

type MockScheduler = {
  factory(options: { skipTaskRunOnStartup: boolean }): ServiceFactory;
};

const component = (name: string, ref: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'base-image/ref': ref },
  },
  spec: { type: 'service', owner: 'team', lifecycle: 'production' },
});

/** The plugin alone in a test backend: nothing cached, as on a fresh replica. */
function pluginBackend(
  entities: Entity[],
  registries: object[],
  scheduler = mockServices.scheduler(),
) {
  return startTestBackend({
    features: [
      baseImagesPlugin,
      catalogServiceMock.factory({ entities }),
      // the mock's type leaves out factory(), which its docs show
      (scheduler as unknown as MockScheduler).factory({
        skipTaskRunOnStartup: true,
      }),
      mockServices.rootConfig.factory({ data: { baseImages: { registries } } }),
    ],
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-status-'));
  const demo = await startDemoRegistry(work);
  const { registry, key } = demo;
  const image = `${registry.host}/demo/signed:1`;
  const registryConfig = {
    host: registry.host,
    insecure: true,
    publicKeys: [key.pem],
    credentials: registry.credentials,
    extraHosts: [registry.tokenHost],
  };
  // 1. cold: a new client each time (no token or result cache), against skopeo doing token auth + manifest
  // async: the token server the registry trusts runs in this process
  const skopeo = () =>
    promisify(execFile)(
      'skopeo',
      [
        'inspect',
        '--tls-verify=false',
        '--creds',
        `${registry.credentials.username}:${registry.credentials.password}`,
        `docker://${image}`,
      ],
      { timeout: 30_000 },
    );
  await skopeo();
  const oursCold: number[] = [];
  const skopeoCold: number[] = [];
  let status = '';
  for (let i = 0; i < COLD_RUNS; i++) {
    // a new backend each run: no token, result or database cache
    const backend = await pluginBackend(
      [component('signed', image)],
      [registryConfig],
    );
    oursCold.push(
      await time(async () => {
        const response = await fetch(
          `http://localhost:${
            (backend.server.address() as any).port
          }/api/base-images/entities/component/default/signed`,
          { headers: { authorization: mockCredentials.user.header() } },
        );
        status = ((await response.json()) as any).attestation.status;
      }),
    );
    await backend.stop();
    skopeoCold.push(await time(skopeo));
  }
  if (status !== 'verified')
    throw new Error(`expected a verified image, got ${status}`);

  // 3. fleet: 10,000 components over 12 images in an in-memory registry that
  // counts requests; each check of a tag fetches that tag's manifest once.
  const fleetRegistry = await startFakeRegistry();
  const pusher = new Pusher(fleetRegistry);
  const repositories = ['python', 'node', 'demo/signed', 'demo/other'];
  const tags = ['1', '2', '3'];
  for (const repository of repositories)
    for (const tag of tags) await pushImage(pusher, repository, tag);
  const refs = repositories.flatMap(r =>
    tags.map(t => `${fleetRegistry.host}/${r}:${t}`),
  );
  const components = Array.from({ length: 10_000 }, (_, i) =>
    component(`svc-${i}`, refs[i % refs.length]),
  );
  const scheduler = mockServices.scheduler();
  const fleetBackend = await pluginBackend(
    components,
    [
      {
        host: fleetRegistry.host,
        insecure: true,
        publicKeys: [createTestKey().pem],
      },
    ],
    scheduler,
  );
  const tagFetches = () =>
    fleetRegistry.requests.filter(r => /\/manifests\/\d+$/.test(r)).length;
  const before = tagFetches();
  const fleetMs = await time(() =>
    scheduler.triggerTask('base-images-refresh'),
  );
  const fleetChecks = tagFetches() - before;
  await fleetBackend.stop();
  await fleetRegistry.stop();

  // 2. warm: the real backend, status of a cached image vs the catalog's by-name
  const backend = startService(
    'bench-backend',
    [
      'workspace',
      'backend',
      'start',
      '--config',
      '../../app-config.yaml',
      '--config',
      demo.configPath,
    ],
    { logDir: path.join(work, 'logs') },
  );
  let warm: Record<string, unknown> = {};
  try {
    await waitUntil(
      'the backend',
      async () =>
        (
          await fetch(`${BACKEND}/api/auth/guest/refresh`, {
            headers: { 'x-requested-with': 'XMLHttpRequest' },
          })
        ).ok,
      240_000,
      backend,
    );
    const token = await guestToken();
    await waitUntil(
      'the demo catalog',
      async () =>
        (
          await api(
            token,
            '/api/catalog/entities/by-name/component/default/signed-service',
          )
        ).status === 200,
      120_000,
      backend,
    );
    const statusUrl = `${BACKEND}/api/base-images/entities/component/default/signed-service`;
    const catalogUrl = `${BACKEND}/api/catalog/entities/by-name/component/default/signed-service`;
    await load(statusUrl, token);
    await load(catalogUrl, token);
    const s = stats(await load(statusUrl, token));
    const c = stats(await load(catalogUrl, token));
    warm = {
      statusMs: { p50: round(s.median), p99: round(s.p99) },
      catalogByNameMs: { p50: round(c.median), p99: round(c.p99) },
      p99Ratio: round(s.p99 / c.p99),
      requests: WARM_REQUESTS,
      concurrency: CONCURRENCY,
      goal: 'p99 ratio <= 1.2',
    };
  } finally {
    await backend.stop();
    await registry.stop();
  }

  const o = stats(oursCold);
  const k = stats(skopeoCold);
  writeResult('status', {
    cold: {
      image: 'demo/signed:1 (index, cosign signature, 3 DSSE attestations)',
      oursMs: { median: round(o.median), p90: round(o.p90) },
      skopeoInspectMs: { median: round(k.median), p90: round(k.p90) },
      ratioOfMedians: round(o.median / k.median),
      runs: COLD_RUNS,
      goal: 'ratio <= 1.5 while also verifying',
    },
    warm,
    fleet: {
      components: components.length,
      distinctImages: refs.length,
      registryChecks: fleetChecks,
      ms: round(fleetMs),
      goal: '12 checks',
    },
  });
}

main().then(
  // Forty stopped test backends leave timers (database pools, schedulers)
  // that would keep the process up for minutes after the results are written.
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
