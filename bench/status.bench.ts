/**
 * Issue 4 benchmarks, against Debian's docker-registry on loopback:
 *  1. cold status check (resolve + find + verify) vs `skopeo inspect` of the same image (goal <= 1.5x);
 *  2. warm status p50/p99 at 50 concurrent clients vs the catalog's by-name endpoint on the same backend (goal p99 <= 1.2x);
 *  3. fleet refresh of 10,000 components sharing 12 images (goal: 12 checks).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import knexFactory from 'knex';
import { ConfigReader } from '@backstage/config';
import {
  parseImageReference,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import {
  AttestationService,
  ImageChecker,
  RegistryClient,
  refreshFleet,
} from '@internal/backstage-plugin-base-images-backend';
import { ResultStore } from '../plugins/base-images-backend/src/database/ResultStore';
import { startDemoRegistry } from '../packages/e2e-tests/src/demoRegistry';
import {
  api,
  BACKEND,
  guestToken,
  startService,
  waitUntil,
} from '../packages/e2e-tests/src/processes';
import { round, silentLogger, stats, time, writeResult } from './lib';

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
  const config = readBaseImagesConfig(
    new ConfigReader({ baseImages: { registries: [registryConfig] } }),
  );
  const newChecker = () => {
    const client = new RegistryClient({
      registries: config.registries,
      timeoutMs: 10_000,
      maxBytes: 4 * 1024 * 1024,
    });
    return {
      client,
      checker: new ImageChecker(client, {
        requiredAttestations: config.requiredAttestations,
        platform: 'linux/amd64',
      }),
    };
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
    oursCold.push(
      await time(async () => {
        status = (await newChecker().checker.check(parseImageReference(image)))
          .report.status;
      }),
    );
    skopeoCold.push(await time(skopeo));
  }
  if (status !== 'verified')
    throw new Error(`expected a verified image, got ${status}`);

  // 3. fleet: 10,000 components over 12 images (the 5 demo images plus 7 tags of them)
  const refs = [
    `${registry.host}/demo/signed:1`,
    `${registry.host}/demo/tampered:1`,
    `${registry.host}/python:3.13`,
    `${registry.host}/python:3.13-fips`,
    `${registry.host}/python:3.13-dev`,
    `${registry.host}/node:22`,
    `${registry.host}/node:22-fips`,
    `${registry.host}/library/python:3.13-slim`,
    `${registry.host}/library/node:22-slim`,
    `${registry.host}/demo/signed:1@sha256:${'0'.repeat(64)}`,
    `${registry.host}/demo/missing:1`,
    `${registry.host}/python:3.12`,
  ];
  const components = Array.from({ length: 10_000 }, (_, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `svc-${i}`,
      namespace: 'default',
      annotations: { 'base-image/ref': refs[i % refs.length] },
    },
    spec: { type: 'service', owner: 'team', lifecycle: 'production' },
  }));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const store = await ResultStore.create({
    getClient: async () => knex,
  } as any);
  const { client, checker } = newChecker();
  const attestations = new AttestationService({
    client,
    checker,
    store,
    logger: silentLogger,
    tagTtlMs: 300_000,
  });
  const catalog: any = { getEntities: async () => ({ items: components }) };
  let fleet = { components: 0, images: 0 };
  const fleetMs = await time(async () => {
    fleet = await refreshFleet({
      catalog,
      credentials: {} as any,
      attestations,
    });
  });
  await knex.destroy();

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
      components: fleet.components,
      distinctImages: fleet.images,
      registryChecks: attestations.checksStarted,
      ms: round(fleetMs),
      goal: '12 checks',
    },
  });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
