import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, Response } from 'playwright-core';
import { locationSpecToMetadataName } from '@backstage/plugin-catalog-node';
import { Client } from 'pg';
import yaml from 'yaml';
import { launchBrowser } from './browser';
import { createImageLayout, logLines, startBuiltBackend } from './builtBackend';
import {
  exampleFleet,
  FleetRegistry,
  startFleetRegistry,
} from './fleetRegistry';
import { ROOT, Service, waitUntil } from './processes';

/**
 * The portal as its image runs it: the output of `yarn build:backend`
 * unpacked into a directory laid out like the image (packages/backend/Dockerfile),
 * started with the image's CMD on app-config.yaml + app-config.production.yaml
 * against PostgreSQL (Debian's, started by scripts/test.sh, whose URL arrives
 * in BASE_IMAGES_TEST_POSTGRES), then a second replica on the same database.
 * Registries: an in-memory one standing in for dhi.io and docker.io, which
 * records every request and which replica sent it. Ports 7107/7108 keep
 * clear of the portal suite's (7007/3000).
 */
jest.setTimeout(300_000);

const OUTPUT = path.join(ROOT, 'e2e-output', 'production');
const LOG_DIR = path.join(OUTPUT, 'logs');
/** Fleet refresh interval here; production's default is 6 hours. */
const REFRESH_SECONDS = 10;
/** After this long, another replica may take a refresh over. */
const REFRESH_TIMEOUT_SECONDS = 10;
/** A replica's first refresh: once the example catalog is in. */
const REFRESH_INITIAL_DELAY_SECONDS = 10;
/** Images no example uses: what a newly registered service brings in. */
const NEW_IMAGES = ['dhi.io/python:3.11', 'dhi.io/node:20', 'node:20-slim'];

const FLEET = exampleFleet();
const FLEET_IMAGES = [...new Set(FLEET.map(c => c.ref))];

interface Replica {
  name: string;
  url: string;
  service: Service;
}

interface RefreshRun {
  replica: string;
  /** When the run logged its result (its end). */
  at: number;
  images: number;
  components: number;
}

/** The fleet refresh's closing log line. */
const REFRESHED = /^Refreshed (\d+) distinct base images used by (\d+)/;

function refreshRuns(replicas: Replica[]): RefreshRun[] {
  return replicas
    .flatMap(replica =>
      logLines(replica.service)
        .filter(l => l.plugin === 'base-images' && REFRESHED.test(l.message))
        .map(l => {
          const [, images, components] = REFRESHED.exec(l.message)!;
          return {
            replica: replica.name,
            at: Date.parse(l.timestamp),
            images: Number(images),
            components: Number(components),
          };
        }),
    )
    .sort((a, b) => a.at - b.at);
}

describe('the built backend, run as its image runs it', () => {
  const url = process.env.BASE_IMAGES_TEST_POSTGRES;
  const prefix = `e2e_prod_${crypto.randomBytes(4).toString('hex')}_`;
  const token = crypto.randomBytes(24).toString('base64url');
  /** One for all replicas, as a deployment's replicas share their secrets. */
  const backendSecret = crypto.randomBytes(24).toString('base64');
  const replicas: Replica[] = [];
  let work: string;
  let overlay: string;
  let fleet: FleetRegistry;
  let admin: Client;
  let primary: Replica;
  let browser: Browser | undefined;
  /** Registry requests of the first refresh cycle, with one replica. */
  let oneReplicaRequests: number;

  const call = async (
    replica: Replica,
    pathname: string,
    init: RequestInit = {},
  ) => {
    const response = await fetch(`${replica.url}${pathname}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  };

  const newServicesFile = () => path.join(work, 'new-services.yaml');

  /**
   * Starts a replica of the image. All replicas run from one layout: as in
   * two containers of one image, every path is the same (the catalog names
   * its configured locations by absolute path, so replicas in two folders
   * would replace each other's). Unlike containers, they also share the
   * files they write (.generated-repos).
   */
  async function startReplica(name: string, port: number): Promise<Replica> {
    const replicaUrl = `http://127.0.0.1:${port}`;
    // this replica's own: its port, and its own path to the registry
    const own = path.join(work, `${name}.yaml`);
    fs.writeFileSync(
      own,
      yaml.stringify({
        backend: { listen: `127.0.0.1:${port}` },
        baseImages: { registries: await fleet.registriesConfig(name) },
      }),
    );
    const pg = new URL(url!);
    const service = startBuiltBackend(name, {
      layout: path.join(work, 'image'),
      overlays: [overlay, own],
      logDir: LOG_DIR,
      env: {
        POSTGRES_HOST: pg.hostname,
        POSTGRES_PORT: pg.port || '5432',
        POSTGRES_USER: decodeURIComponent(pg.username),
        POSTGRES_PASSWORD: decodeURIComponent(pg.password),
        BACKEND_SECRET: backendSecret,
        // the app is served by the backend
        APP_BASE_URL: replicaUrl,
        BACKEND_BASE_URL: replicaUrl,
        AUTH_GITHUB_CLIENT_ID: 'production-test',
        AUTH_GITHUB_CLIENT_SECRET: 'production-test',
        DHI_USERNAME: 'production-test',
        GITHUB_ORG: 'production-test',
        GITHUB_TOKEN: 'production-test',
        DHI_TOKEN: 'production-test',
      },
    });
    const replica = { name, url: replicaUrl, service };
    replicas.push(replica);
    // a plugin that fails to start leaves the process up, serving the rest
    let startupFailure: string | undefined;
    await waitUntil(
      `${name} with the example catalog`,
      async () => {
        startupFailure = logLines(service).find(
          l => l.level === 'error' && /startup failed/i.test(l.message),
        )?.message;
        if (startupFailure) return true;
        const { status } = await call(
          replica,
          '/api/catalog/entities/by-name/component/default/patient-portal',
        );
        return status === 200;
      },
      180_000,
      service,
    );
    if (startupFailure)
      throw new Error(`${name} failed to start: ${startupFailure}`);
    return replica;
  }

  beforeAll(async () => {
    if (!url)
      throw new Error(
        'BASE_IMAGES_TEST_POSTGRES is not set: run the tests through scripts/test.sh, which starts PostgreSQL',
      );
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    fs.mkdirSync(OUTPUT, { recursive: true });
    admin = new Client({ connectionString: url });
    await admin.connect();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-prod-'));
    fleet = await startFleetRegistry([...FLEET_IMAGES, ...NEW_IMAGES]);
    // Test-only additions to the production config: a database prefix to
    // drop afterwards, a static token to call the API with, the registries
    // and a refresh every few seconds.
    overlay = path.join(work, 'app-config.test.yaml');
    fs.writeFileSync(
      overlay,
      yaml.stringify({
        backend: {
          database: { prefix },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token, subject: 'production-test' },
              },
            ],
          },
        },
        // Test-only: the example organisation and services (production
        // reads its org from its own sources), the same templates location
        // as production (config arrays replace), and local publishing (no
        // GitHub here).
        catalog: {
          locations: [
            {
              type: 'file',
              target: path.join(ROOT, 'examples/all.yaml'),
              rules: [
                { allow: ['Location', 'Group', 'User', 'Domain', 'System'] },
              ],
            },
            {
              type: 'file',
              target: './templates/all.yaml',
              rules: [{ allow: ['Location', 'Template'] }],
            },
            {
              type: 'file',
              target: './.generated-repos/*/catalog-info.yaml',
              rules: [{ allow: ['Component'] }],
            },
            // services the takeover test adds (written then)
            { type: 'file', target: newServicesFile() },
          ],
        },
        baseImages: {
          publish: { target: 'local' },
          status: {
            refresh: { seconds: REFRESH_SECONDS },
            refreshTimeout: { seconds: REFRESH_TIMEOUT_SECONDS },
            refreshInitialDelay: { seconds: REFRESH_INITIAL_DELAY_SECONDS },
          },
        },
      }),
    );
    createImageLayout(path.join(work, 'image'));
    primary = await startReplica('replica-a', 7107);
  });

  afterAll(async () => {
    await browser?.close();
    for (const replica of replicas) await replica.service.stop();
    if (fleet) {
      fs.writeFileSync(
        path.join(OUTPUT, 'registry-requests.json'),
        JSON.stringify(fleet.requests, null, 1),
      );
      await fleet.stop();
    }
    if (admin) {
      const { rows } = await admin.query(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${prefix}%`],
      );
      for (const { datname } of rows)
        await admin.query(
          `DROP DATABASE IF EXISTS "${datname.replace(/"/g, '')}" WITH (FORCE)`,
        );
      await admin.end();
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /**
   * The first registry check of every fleet image since `from`, and the end
   * of the refresh run that completed them (undefined until then).
   */
  function checkCycle(
    from: number,
  ): { start: number; end: number } | undefined {
    const firstChecks = FLEET_IMAGES.map(
      ref => fleet.checks(ref, { from })[0]?.at,
    );
    if (firstChecks.some(at => at === undefined)) return undefined;
    const last = Math.max(...(firstChecks as number[]));
    const run = refreshRuns(replicas).find(r => r.at >= last);
    return run && { start: from, end: run.at };
  }

  /** Each refresh run since `from` with the registry work done in its interval. */
  function runReport(from: number) {
    const runs = refreshRuns(replicas);
    return runs
      .map((run, i) => ({ run, since: i > 0 ? runs[i - 1].at : 0 }))
      .filter(({ run }) => run.at > from)
      .map(({ run, since }) => {
        // the interval: after the previous run ended, up to this one's end
        const after = Math.max(since, from) + 1;
        const requests = fleet.requests.filter(
          r => r.at >= after && r.at <= run.at,
        );
        return {
          ...run,
          at: new Date(run.at).toISOString(),
          checks: Object.fromEntries(
            FLEET_IMAGES.concat(NEW_IMAGES).map(ref => [
              ref,
              fleet.checks(ref, { from: after, to: run.at }).length,
            ]),
          ),
          requestsBy: [...new Set(requests.map(r => r.replica))],
          requests: requests.length,
        };
      });
  }

  /** In every refresh interval since `from`, each image checked at most once, by one replica. */
  function expectOneCheckPerInterval(from: number) {
    const violations = runReport(from).flatMap(run => [
      ...(run.requestsBy.length > 1
        ? [`${run.at}: registry asked by ${run.requestsBy.join(' and ')}`]
        : []),
      ...Object.entries(run.checks)
        .filter(([, checks]) => checks > 1)
        .map(([ref, checks]) => `${run.at}: ${ref} checked ${checks} times`),
    ]);
    expect(violations).toEqual([]);
  }

  /** Registry requests of one check cycle, with each fleet image checked exactly once in it. */
  function cycleRequests(cycle: { start: number; end: number }): number {
    for (const ref of FLEET_IMAGES)
      expect({
        ref,
        checks: fleet.checks(ref, { from: cycle.start, to: cycle.end }).length,
      }).toEqual({ ref, checks: 1 });
    return fleet.requests.filter(r => r.at >= cycle.start && r.at <= cycle.end)
      .length;
  }

  // first: the status requests of the tests after it read what it stored
  it('refreshes the fleet on schedule, one registry check per image', async () => {
    await waitUntil(
      'a refresh that checked every fleet image',
      async () => checkCycle(0) !== undefined,
      REFRESH_INITIAL_DELAY_SECONDS * 1000 + 60_000,
      primary.service,
    );
    oneReplicaRequests = cycleRequests(checkCycle(0)!);
    expect(oneReplicaRequests).toBeGreaterThan(FLEET_IMAGES.length);
    expectOneCheckPerInterval(0);
  });

  it('serves the built frontend with the production config', async () => {
    const response = await fetch(primary.url);
    expect(response.status).toBe(200);
    const html = await response.text();
    // the app backend injects the frontend's share of the runtime config
    const injected =
      /<script type="backstage\.io\/config">([\s\S]*?)<\/script>/.exec(html);
    expect(injected).not.toBeNull();
    const configs: Array<{ data: any }> = JSON.parse(injected![1]);
    expect(configs.map(c => c.data?.app?.baseUrl)).toContain(primary.url);
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map(
      m => m[1],
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const js = await fetch(new URL(script, primary.url));
      expect({ script, status: js.status }).toEqual({ script, status: 200 });
      expect(js.headers.get('content-type')).toMatch(/javascript/);
    }
  });

  it('renders the sign-in page in Chromium and refuses guest sign-in', async () => {
    const guest = await fetch(`${primary.url}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    expect(guest.ok).toBe(false);

    browser = await launchBrowser();
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    const scripts: Response[] = [];
    page.on('response', r => {
      if (r.url().endsWith('.js')) scripts.push(r);
    });
    const dialogs: string[] = [];
    page.on('dialog', dialog => {
      dialogs.push(dialog.message());
      // "fall back to the legacy guest token?": no
      dialog.dismiss().catch(() => undefined);
    });
    try {
      await page.goto(primary.url);
      const enter = page.getByRole('button', { name: 'Enter' });
      await enter.waitFor();
      await page.screenshot({ path: path.join(OUTPUT, 'sign-in.png') });
      expect(scripts.length).toBeGreaterThan(0);
      expect(scripts.filter(r => r.status() !== 200)).toEqual([]);

      await enter.click();
      await page.getByText('You cannot sign in as a guest').waitFor();
      await waitUntil(
        'the guest sign-in answer',
        async () => dialogs.length > 0,
        30_000,
      );
      expect(dialogs[0]).toMatch(/Failed to sign in as a guest/);
      // still on the sign-in page: nothing of the portal behind it
      await enter.waitFor();
      expect(await page.getByText('Catalog').count()).toBe(0);
      await page.screenshot({
        path: path.join(OUTPUT, 'guest-refused.png'),
      });
    } finally {
      await context.close();
    }
  });

  it('answers the catalog and the base-image status API', async () => {
    const components = await call(
      primary,
      '/api/catalog/entities/by-query?filter=kind=component&limit=100',
    );
    expect(components.status).toBe(200);
    expect(components.body.items.map((e: any) => e.metadata.name)).toEqual(
      expect.arrayContaining(FLEET.map(c => c.name)),
    );
    expect((await fetch(`${primary.url}/api/catalog/entities`)).status).toBe(
      401,
    );

    const portal = await call(
      primary,
      '/api/base-images/entities/component/default/patient-portal',
    );
    expect(portal.status).toBe(200);
    expect(portal.body.policy.compliant).toBe(false);
    // the refresh asked the registry: the slim image carries no signature
    expect(portal.body.attestation.status).toBe('unsigned');
    const payments = await call(
      primary,
      '/api/base-images/entities/component/default/payments-api',
    );
    expect(payments.status).toBe(200);
    expect(payments.body.attestation.status).toBe('verified');
    expect(
      (await fetch(`${primary.url}/api/base-images/overview`)).status,
    ).toBe(401);
  });

  it('keeps the catalog, scaffolder and base-images data in PostgreSQL', async () => {
    const { rows } = await admin.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname',
      [`${prefix}%`],
    );
    expect(rows.map(r => r.datname)).toEqual(
      expect.arrayContaining([
        `${prefix}catalog`,
        `${prefix}base-images`,
        `${prefix}scaffolder`,
      ]),
    );
    const pluginDatabase = new URL(url!);
    pluginDatabase.pathname = `/${prefix}base-images`;
    const plugin = new Client({ connectionString: pluginDatabase.toString() });
    await plugin.connect();
    try {
      const tables = await plugin.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables.rows.map(r => r.tablename)).toEqual(
        expect.arrayContaining(['base_images_results', 'base_images_tags']),
      );
    } finally {
      await plugin.end();
    }
  });

  describe('two replicas on one database', () => {
    let secondary: Replica;
    let started: number;

    beforeAll(async () => {
      secondary = await startReplica('replica-b', 7108);
      started = Date.now();
    });

    it('serves what the other replica checked from the shared cache, without asking the registry', async () => {
      for (const { name } of FLEET) {
        const pathname = `/api/base-images/entities/component/default/${name}`;
        const fromPrimary = await call(primary, pathname);
        const fromSecondary = await call(secondary, pathname);
        expect(fromSecondary.status).toBe(200);
        expect(fromSecondary.body.attestation.status).toBe(
          fromPrimary.body.attestation.status,
        );
        expect(['verified', 'unsigned']).toContain(
          fromSecondary.body.attestation.status,
        );
      }
      // every answer a registry check's, none of them by this replica
      expect(fleet.requests.filter(r => r.replica === secondary.name)).toEqual(
        [],
      );
    });

    it('runs each scheduled refresh on one replica only, with the registry work of one', async () => {
      // An image is re-checked a minute after its last check (the limit on
      // forced checks, which the refresh obeys): wait for the next cycle of
      // checks, and for at least three refresh intervals with both replicas.
      let cycle: { start: number; end: number } | undefined;
      await waitUntil(
        'a check cycle with two replicas',
        async () => {
          cycle = checkCycle(started);
          return (
            !!cycle &&
            refreshRuns(replicas).filter(r => r.at > started).length >= 3
          );
        },
        120_000,
        secondary.service,
      );
      const elapsed = (Date.now() - started) / 1000;
      const runs = refreshRuns(replicas).filter(r => r.at > started);
      // one run per interval across both replicas, where each replica
      // running its own would make two
      expect(runs.length).toBeLessThanOrEqual(
        Math.ceil(elapsed / REFRESH_SECONDS) + 1,
      );
      expectOneCheckPerInterval(started);
      const twoReplicaRequests = cycleRequests(cycle!);
      expect(twoReplicaRequests).toBe(oneReplicaRequests);
      fs.writeFileSync(
        path.join(OUTPUT, 'refresh-runs.json'),
        JSON.stringify(
          {
            refreshSeconds: REFRESH_SECONDS,
            fleetImages: FLEET_IMAGES.length,
            registryRequestsPerCheckCycle: {
              oneReplica: oneReplicaRequests,
              twoReplicas: twoReplicaRequests,
            },
            oneReplica: runReport(0).filter(r => Date.parse(r.at) <= started),
            twoReplicas: runReport(started),
          },
          null,
          2,
        ),
      );
    });

    it('hands the refresh over when the replica running it dies', async () => {
      // a slow registry: a check now takes many seconds
      const slowSince = Date.now();
      fleet.setFault(() => ({ delayMs: 2_000 }));
      // services on images never checked: the next refresh checks them
      fs.writeFileSync(
        newServicesFile(),
        NEW_IMAGES.map((ref, i) =>
          yaml.stringify({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: `new-service-${i}`,
              annotations: { 'base-image/ref': ref },
            },
            spec: {
              type: 'service',
              lifecycle: 'production',
              owner: 'web-team',
            },
          }),
        ).join('---\n'),
      );
      // read the location configured for it (test overlay) again now
      const refreshed = await call(primary, '/api/catalog/refresh', {
        method: 'POST',
        body: JSON.stringify({
          entityRef: `location:default/${locationSpecToMetadataName({
            type: 'file',
            target: newServicesFile(),
          })}`,
        }),
      });
      expect(refreshed.status).toBe(200);

      let firstCheck: { replica: string } | undefined;
      await waitUntil(
        'a refresh checking a new image',
        async () => {
          firstCheck = NEW_IMAGES.flatMap(ref =>
            fleet.checks(ref, { from: slowSince }),
          )[0];
          return !!firstCheck;
        },
        60_000,
      );
      const victim = replicas.find(r => r.name === firstCheck!.replica)!;
      const survivor = replicas.find(r => r !== victim)!;
      const killedAt = Date.now();
      process.kill(-victim.service.process.pid!, 'SIGKILL');
      fleet.setFault(undefined);

      await waitUntil(
        `${survivor.name} completing a refresh of the new images`,
        async () =>
          refreshRuns([survivor]).some(
            run =>
              run.at > killedAt &&
              run.images >= FLEET_IMAGES.length + NEW_IMAGES.length,
          ),
        REFRESH_TIMEOUT_SECONDS * 1000 + 90_000,
        survivor.service,
      );
      // the dead replica's run timed out, and the refresh went on
      expect(
        logLines(survivor.service).some(
          l =>
            l.plugin === 'base-images' &&
            l.message === 'Task timed out and was lost: base-images-refresh',
        ),
      ).toBe(true);
      for (let i = 0; i < NEW_IMAGES.length; i++) {
        const { status, body } = await call(
          survivor,
          `/api/base-images/entities/component/default/new-service-${i}`,
        );
        expect(status).toBe(200);
        expect(['verified', 'unsigned']).toContain(body.attestation.status);
        expect(Date.parse(body.attestation.checkedAt)).toBeGreaterThan(
          killedAt,
        );
      }
      const takeover = refreshRuns([survivor]).find(run => run.at > killedAt)!;
      fs.writeFileSync(
        path.join(OUTPUT, 'takeover.json'),
        JSON.stringify(
          {
            killed: victim.name,
            survivor: survivor.name,
            secondsFromKillToCompletedRun: (takeover.at - killedAt) / 1000,
            runs: runReport(slowSince),
          },
          null,
          2,
        ),
      );
    });
  });

  it('runs a template on the replica left: a new service, pinned, published and registered', async () => {
    // last, so that its digest lookup and its new service stay out of the
    // refresh measurements; the takeover test has killed one replica
    const replica = replicas.find(
      r =>
        r.service.process.exitCode === null &&
        r.service.process.signalCode === null,
    )!;
    // A static external-access token is a service principal: the scaffolder
    // lets it create tasks (with no user), and the permission policy is not
    // asked for services.
    const created = await call(replica, '/api/scaffolder/v2/tasks', {
      method: 'POST',
      body: JSON.stringify({
        templateRef: 'template:default/python-service',
        values: {
          name: 'production-probe',
          description: 'Created by the production test',
          owner: 'group:default/web-team',
          system: 'system:default/marketing-site',
          version: '3.13',
          flavor: 'standard',
          situation: 'production',
        },
      }),
    });
    expect(created.status).toBe(201);
    let task: any;
    await waitUntil(
      'the template run',
      async () => {
        task = (
          await call(replica, `/api/scaffolder/v2/tasks/${created.body.id}`)
        ).body;
        return ['completed', 'failed', 'cancelled'].includes(task.status);
      },
      60_000,
      replica.service,
    );
    if (task.status !== 'completed') {
      const events = await call(
        replica,
        `/api/scaffolder/v2/tasks/${created.body.id}/events`,
      );
      throw new Error(
        `the template run ${task.status}:\n${events.body
          .map((e: any) => e.body.message)
          .join('\n')}`,
      );
    }
    const entity = await call(
      replica,
      '/api/catalog/entities/by-name/component/default/production-probe',
    );
    expect(entity.status).toBe(200);
    // pinned to the digest the registry gives for the policy's tag
    expect(entity.body.metadata.annotations['base-image/ref']).toBe(
      `python:3.13-slim@${fleet.digestOf('python:3.13-slim')}`,
    );
  });
});
