/**
 * Fleet page benchmark: 10,000 components in the real catalog (the portal's
 * backend on the embedded default, SQLite), half declaring their base image,
 * half only naming it in a Dockerfile beside their catalog-info.yaml.
 *  1. the fleet refresh: how long it takes, from the scheduler trigger;
 *  2. the first page of GET /api/base-images/overview?limit=50 against the
 *     catalog's own GET /api/catalog/entities/by-query?limit=50 on the same
 *     backend (goal: median and p90 <= 3x);
 *  3. in Chromium, from the moment the overview answer arrives to the first
 *     table row on screen (goal < 1 s).
 * Ports 7307/3307, so it runs beside the portal suite. Results go to
 * bench/results/overview.json; with BENCH_DATABASE=postgres the portal runs
 * on the PostgreSQL of BASE_IMAGES_TEST_POSTGRES instead (databases of its
 * own, dropped afterwards) and the results go to overview-postgres.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import yaml from 'yaml';
import { launchBrowser } from '../packages/e2e-tests/src/browser';
import { startDemoRegistry } from '../packages/e2e-tests/src/demoRegistry';
import {
  backendClient,
  ROOT,
  Service,
  startService,
  waitUntil,
} from '../packages/e2e-tests/src/processes';
import { round, stats, time, writeResult } from './lib';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 10_000);
const REPOSITORIES = 20;
const RUNS = Number(process.env.BENCH_OVERVIEW_RUNS ?? 200);
const BROWSER_RUNS = Number(process.env.BENCH_BROWSER_RUNS ?? 10);
const PAGE = 50;
const BACKEND_PORT = 7307;
const FRONTEND_PORT = 3307;
const BACKEND = `http://localhost:${BACKEND_PORT}`;
const POSTGRES =
  process.env.BENCH_DATABASE === 'postgres'
    ? process.env.BASE_IMAGES_TEST_POSTGRES
    : undefined;
/** Database names of this run's plugins: `<prefix><pluginId>`. */
const DATABASE_PREFIX = `bench_overview_${process.pid}_`;
const FRONTEND = `http://localhost:${FRONTEND_PORT}`;

const OWNERS = [
  'payments-team',
  'records-team',
  'web-team',
  'platform-team',
  'security-team',
];
const SYSTEMS = [
  'payments',
  'billing',
  'internal-tools',
  'patient-records',
  'marketing-site',
];
/** What the demo registry holds: signed DHI, unsigned slim and a tampered image. */
const IMAGES = [
  'dhi.io/python:3.13',
  'dhi.io/python:3.13-fips',
  'dhi.io/node:22',
  'dhi.io/node:22-fips',
  'python:3.13-slim',
  'node:22-slim',
];

/**
 * 20 repositories of 500 components each: a catalog-info.yaml and a
 * Dockerfile. Components of even repositories declare `base-image/ref`; those
 * of odd ones are only discovered from the Dockerfile.
 */
function writeFleet(dir: string, registryHost: string) {
  const perRepository = Math.ceil(COMPONENTS / REPOSITORIES);
  const images = [...IMAGES, `${registryHost}/demo/tampered:1`];
  for (let r = 0; r < REPOSITORIES; r++) {
    const repo = path.join(dir, `repo-${String(r).padStart(2, '0')}`);
    fs.mkdirSync(repo, { recursive: true });
    const declared = r % 2 === 0;
    fs.writeFileSync(
      path.join(repo, 'Dockerfile'),
      [
        `ARG RUNTIME=${images[r % images.length]}`,
        'FROM dhi.io/python:3.13-dev AS build',
        'RUN true',
        'FROM ${RUNTIME} AS runtime',
        '',
      ].join('\n'),
    );
    const docs = [];
    for (let i = 0; i < perRepository; i++) {
      const n = r * perRepository + i;
      if (n >= COMPONENTS) break;
      docs.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `svc-${String(n).padStart(5, '0')}`,
          annotations: declared
            ? { 'base-image/ref': images[n % images.length] }
            : {},
        },
        spec: {
          type: 'service',
          lifecycle: 'production',
          owner: OWNERS[n % OWNERS.length],
          system: SYSTEMS[n % SYSTEMS.length],
        },
      });
    }
    fs.writeFileSync(
      path.join(repo, 'catalog-info.yaml'),
      docs.map(doc => yaml.stringify(doc)).join('---\n'),
    );
  }
}

const { guestToken } = backendClient(BACKEND);

async function getJson(token: string, pathname: string, init?: RequestInit) {
  const response = await fetch(`${BACKEND}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok)
    throw new Error(
      `${pathname}: HTTP ${response.status} ${await response.text()}`,
    );
  const text = await response.text();
  return { body: text ? JSON.parse(text) : undefined, bytes: text.length };
}

/**
 * Runs the fleet refresh now and waits for it to end; returns its duration.
 * A run already going (the one after start-up) is waited out first: the
 * scheduler refuses to trigger a running task.
 */
async function refreshFleet(token: string, backend: Service): Promise<number> {
  const tasks = `${BACKEND}/api/base-images/.backstage/scheduler/v1/tasks`;
  const headers = { authorization: `Bearer ${token}` };
  const lastEnd = async () =>
    ((await (await fetch(tasks, { headers })).json()) as any).tasks.find(
      (t: any) => t.taskId === 'base-images-refresh',
    )?.taskState?.lastRunEndedAt as string | undefined;
  let before: string | undefined;
  let started = 0;
  await waitUntil(
    'the fleet refresh to be triggered',
    async () => {
      before = await lastEnd();
      started = Date.now();
      const response = await fetch(`${tasks}/base-images-refresh/trigger`, {
        method: 'POST',
        headers,
      });
      return response.ok; // 409 while a run is going
    },
    600_000,
    backend,
  );
  await waitUntil(
    'the fleet refresh',
    async () => {
      const end = await lastEnd();
      return !!end && end !== before;
    },
    600_000,
    backend,
  );
  return Date.now() - started;
}

/** Drops the databases this run's backend created. */
async function dropDatabases(connectionString: string) {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${DATABASE_PREFIX}%`],
    );
    for (const { datname } of rows)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Alternates the two requests, so both see the same background load. */
async function compare(token: string, urls: Record<string, string>) {
  const samples: Record<string, number[]> = {};
  const bytes: Record<string, number> = {};
  for (const name of Object.keys(urls)) samples[name] = [];
  for (let i = 0; i < RUNS + 20; i++) {
    for (const [name, url] of Object.entries(urls)) {
      const ms = await time(async () => {
        bytes[name] = (await getJson(token, url)).bytes;
      });
      if (i >= 20) samples[name].push(ms); // the first 20 warm up
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => {
      const s = stats(values);
      return [
        name,
        { medianMs: round(s.median), p90Ms: round(s.p90), bytes: bytes[name] },
      ];
    }),
  );
}

/**
 * Opens the fleet page `BROWSER_RUNS` times and, in the page's own clock,
 * takes the end of the overview response and the moment the first table
 * row (a component link) is in the DOM and visible.
 */
async function firstRowInBrowser(): Promise<number[]> {
  const browser = await launchBrowser();
  const samples: number[] = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
    });
    await context.addInitScript(() => {
      const w = window as any;
      const observer = new MutationObserver(() => {
        const link = document.querySelector(
          'tbody a[href*="/catalog/default/component/"]',
        ) as HTMLElement | null;
        if (link && link.offsetParent !== null && !w.__firstRowAt) {
          w.__firstRowAt = performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    await page.goto(FRONTEND);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByText('Catalog').first().waitFor({ timeout: 120_000 });
    for (let i = 0; i < BROWSER_RUNS + 1; i++) {
      await page.goto(`${FRONTEND}/base-images`);
      await page
        .locator('tbody a[href*="/catalog/default/component/"]')
        .first()
        .waitFor({ timeout: 60_000 });
      const { responseEnd, firstRowAt } = await page.evaluate(() => {
        const entry = performance
          .getEntriesByType('resource')
          .find(e => e.name.includes('/api/base-images/overview')) as
          | PerformanceResourceTiming
          | undefined;
        return {
          responseEnd: entry?.responseEnd,
          firstRowAt: (window as any).__firstRowAt as number | undefined,
        };
      });
      if (responseEnd === undefined || firstRowAt === undefined)
        throw new Error('the overview request or the first row was not seen');
      if (i > 0) samples.push(firstRowAt - responseEnd); // the first loads the bundle
    }
  } finally {
    await browser.close();
  }
  return samples;
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-overview-'));
  const fleetDir = path.join(work, 'fleet');
  const demo = await startDemoRegistry(work, {
    extraLocations: [
      {
        type: 'file',
        target: path.join(fleetDir, '*', 'catalog-info.yaml'),
        rules: [{ allow: ['Component'] }],
      },
    ],
  });
  writeFleet(fleetDir, demo.registry.host);
  const overlay = path.join(work, 'app-config.bench.yaml');
  fs.writeFileSync(
    overlay,
    yaml.stringify({
      app: { baseUrl: FRONTEND },
      backend: {
        baseUrl: BACKEND,
        listen: { port: BACKEND_PORT },
        cors: { origin: FRONTEND },
        ...(POSTGRES
          ? {
              database: {
                client: 'pg',
                connection: POSTGRES,
                prefix: DATABASE_PREFIX,
              },
            }
          : {}),
      },
      // ingest once; no reprocessing churn while measuring
      catalog: { processingInterval: { minutes: 60 } },
      baseImages: {
        status: {
          refresh: { hours: 6 },
          // the scheduler starts taking triggers after the initial delay
          refreshInitialDelay: { seconds: 1 },
          refreshTimeout: { minutes: 30 },
        },
      },
    }),
  );
  const config = [
    '--config',
    '../../app-config.yaml',
    '--config',
    demo.configPath,
    '--config',
    overlay,
  ];
  const logDir = path.join(work, 'logs');
  // node with the CLI's transform, as `backstage-cli package start` runs it,
  // but without its file watcher: an edit elsewhere in the tree would restart
  // the backend and empty its in-memory catalog mid-run
  const backend = startService(
    'bench-overview-backend',
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      'src/index.ts',
      ...config,
    ],
    {
      logDir,
      command: process.execPath,
      cwd: path.join(ROOT, 'packages', 'backend'),
    },
  );
  const frontend = startService(
    'bench-overview-frontend',
    ['workspace', 'app', 'start', ...config],
    { logDir, env: { BROWSER: 'none' } },
  );
  try {
    await waitUntil(
      'the backend',
      async () => !!(await guestToken()),
      300_000,
      backend,
    );
    const token = await guestToken();
    const ingestStarted = Date.now();
    let components = 0;
    await waitUntil(
      `${COMPONENTS} components in the catalog`,
      async () => {
        const { body } = await getJson(
          token,
          '/api/catalog/entities/by-query?filter=kind=component&limit=1',
        );
        components = body.totalItems;
        return components >= COMPONENTS;
      },
      1_200_000,
      backend,
    );
    const ingestMs = Date.now() - ingestStarted;
    const refreshMs = await refreshFleet(token, backend);
    const { body: first } = await getJson(
      token,
      `/api/base-images/overview?limit=${PAGE}`,
    );
    if (first.totalCount < COMPONENTS)
      throw new Error(`the fleet lists ${first.totalCount} components`);

    const api = await compare(token, {
      overview: `/api/base-images/overview?limit=${PAGE}`,
      catalogByQuery: `/api/catalog/entities/by-query?limit=${PAGE}`,
      overviewFiltered: `/api/base-images/overview?limit=${PAGE}&status=unsigned&verdict=drift`,
      overviewDeepPage: `/api/base-images/overview?limit=${PAGE}&offset=9000`,
    });

    await waitUntil(
      'the frontend',
      async () => (await fetch(FRONTEND)).ok,
      300_000,
      frontend,
    );
    const browser = stats(await firstRowInBrowser());

    writeResult(POSTGRES ? 'overview-postgres' : 'overview', {
      fleet: {
        components: first.totalCount,
        catalogComponents: components,
        declared: 'even repositories (base-image/ref)',
        discovered: 'odd repositories (Dockerfile, ARG default, stage alias)',
        summary: first.summary.byStatus,
        ingestMs,
        refreshMs,
      },
      firstPage: {
        limit: PAGE,
        runs: RUNS,
        ...api,
        ratioOfMedians: round(
          api.overview.medianMs / api.catalogByQuery.medianMs,
        ),
        ratioOfP90s: round(api.overview.p90Ms / api.catalogByQuery.p90Ms),
        goal: 'overview <= 3x catalog by-query (same page size, same backend)',
      },
      browser: {
        runs: browser.runs,
        responseToFirstRowMs: {
          median: round(browser.median),
          p90: round(browser.p90),
          max: round(browser.max),
        },
        goal: 'first row visible < 1000 ms after the overview answer',
      },
      database: POSTGRES
        ? 'PostgreSQL (plugin databases of their own)'
        : 'SQLite (embedded default)',
    });
  } finally {
    await frontend.stop();
    await backend.stop();
    await demo.registry.stop();
    if (POSTGRES) await dropDatabases(POSTGRES);
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
