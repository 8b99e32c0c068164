import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { Browser, Page } from 'playwright-core';
import {
  Pusher,
  pushImage,
} from '@internal/backstage-plugin-base-images-backend/testUtils';
import { launchBrowser } from './browser';
import { DemoRegistry, startDemoRegistry } from './demoRegistry';
import {
  backendClient,
  ROOT,
  Service,
  startService,
  waitUntil,
} from './processes';

/**
 * Services the templates never made: a repository in the local publish
 * directory with a Dockerfile and a catalog-info.yaml that declares no base
 * image, a declaration that disagrees with its Dockerfile, a pin whose tag
 * moves; and the fleet page. The portal (backend and frontend) runs on ports
 * 7207/3207 so it does not clash with the portal suite's.
 */
jest.setTimeout(300_000);

const BACKEND = 'http://localhost:7207';
const FRONTEND = 'http://localhost:3207';
const OUTPUT = path.join(ROOT, 'e2e-output', 'fleet');
/** The repositories this test writes into the publish directory. */
const SERVICES = [
  'discovered-service',
  'drifted-service',
  'declared-drifted-service',
  'disagreeing-service',
  'pinned-service',
];
/** How long what a tag points at is trusted here (5 minutes by default). */
const TAG_TTL_SECONDS = 2;

/** A git repository in the publish directory, as publish-local leaves one. */
function writeRepository(
  publishDir: string,
  name: string,
  files: {
    dockerfile: string;
    annotations?: Record<string, string>;
    system?: string;
  },
) {
  const dir = path.join(publishDir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), files.dockerfile);
  fs.writeFileSync(
    path.join(dir, 'catalog-info.yaml'),
    yaml.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name, annotations: files.annotations ?? {} },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'web-team',
        system: files.system ?? 'marketing-site',
      },
    }),
  );
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git(
    '-c',
    'user.name=e2e',
    '-c',
    'user.email=e2e@example.com',
    'commit',
    '-q',
    '-m',
    'Initial commit',
  );
}

describe('services without a declared base image, and the fleet page', () => {
  let work: string;
  let demo: DemoRegistry;
  let backend: Service;
  let frontend: Service;
  let browser: Browser;
  let token: string;
  let pinnedDigest: string;

  const client = backendClient(BACKEND);
  const api = (pathname: string, init: RequestInit = {}) =>
    client.api(token, pathname, init);

  const card = async (name: string) =>
    (await api(`/api/base-images/entities/component/default/${name}`)).body;

  /** A signed-in page; a screenshot of it stays in e2e-output/fleet. */
  async function withPage(name: string, run: (page: Page) => Promise<void>) {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    try {
      await page.goto(FRONTEND);
      await page.getByRole('button', { name: 'Enter' }).click();
      await page.getByText('Catalog').first().waitFor({ timeout: 60_000 });
      await run(page);
      await page.screenshot({
        path: path.join(OUTPUT, `${name}.png`),
        fullPage: true,
      });
    } catch (error) {
      await page
        .screenshot({
          path: path.join(OUTPUT, `${name}.failed.png`),
          fullPage: true,
        })
        .catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  }

  const baseImageCard = (page: Page) =>
    page.locator('[data-testid="base-image-card"]');

  beforeAll(async () => {
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    fs.mkdirSync(OUTPUT, { recursive: true });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-fleet-e2e-'));
    demo = await startDemoRegistry(work);
    const pushed = await pushImage(
      new Pusher(demo.registry),
      'demo/movable',
      '1',
    );
    pinnedDigest = pushed.indexDigest;

    writeRepository(demo.publishDir, 'discovered-service', {
      dockerfile: [
        '# syntax=docker/dockerfile:1',
        'ARG PYTHON=3.13',
        'FROM dhi.io/python:${PYTHON}-dev AS build',
        'RUN pip install --target /deps flask',
        '',
        'FROM --platform=linux/amd64 dhi.io/python:${PYTHON} AS runtime',
        'COPY --from=build /deps /deps',
        'USER nonroot',
        '',
      ].join('\n'),
    });
    writeRepository(demo.publishDir, 'drifted-service', {
      dockerfile: 'FROM python:3.13-slim\n',
      system: 'patient-records',
    });
    writeRepository(demo.publishDir, 'declared-drifted-service', {
      dockerfile: 'FROM python:3.13-slim\n',
      annotations: { 'base-image/ref': 'python:3.13-slim' },
      system: 'patient-records',
    });
    writeRepository(demo.publishDir, 'disagreeing-service', {
      dockerfile: 'FROM dhi.io/python:3.13-fips\n',
      annotations: { 'base-image/ref': 'dhi.io/python:3.13' },
    });
    writeRepository(demo.publishDir, 'pinned-service', {
      dockerfile: `FROM ${demo.registry.host}/demo/movable:1@${pinnedDigest}\n`,
      annotations: {
        'base-image/ref': `${demo.registry.host}/demo/movable:1@${pinnedDigest}`,
      },
    });

    const overlay = path.join(work, 'app-config.fleet.yaml');
    fs.writeFileSync(
      overlay,
      yaml.stringify({
        app: { baseUrl: FRONTEND },
        backend: {
          baseUrl: BACKEND,
          listen: { port: 7207 },
          cors: { origin: FRONTEND },
        },
        baseImages: {
          status: {
            tagTtl: { seconds: TAG_TTL_SECONDS },
            // the scheduler takes triggers only after the initial delay
            refreshInitialDelay: { seconds: 1 },
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
    const logDir = path.join(OUTPUT, 'logs');
    // node with the CLI's transform, as `backstage-cli package start` runs
    // it, without its watcher: an edit elsewhere in the tree must not restart
    // the backend (and empty its in-memory catalog) mid-test
    backend = startService(
      'backend',
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
    frontend = startService(
      'frontend',
      ['workspace', 'app', 'start', ...config],
      {
        logDir,
        env: { BROWSER: 'none' },
      },
    );
    await waitUntil(
      'the backend',
      async () => {
        token = await client.guestToken();
        return true;
      },
      240_000,
      backend,
    );
    await waitUntil(
      'the services in the publish directory',
      async () => {
        for (const name of SERVICES) {
          const { status } = await api(
            `/api/catalog/entities/by-name/component/default/${name}`,
          );
          if (status !== 200) return false;
        }
        return true;
      },
      120_000,
      backend,
    );
    await waitUntil(
      'the frontend',
      async () => (await fetch(FRONTEND)).ok,
      240_000,
      frontend,
    );
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await frontend?.stop();
    await backend?.stop();
    await demo?.registry.stop();
  });

  it('reads the base image of a service that declares none from its Dockerfile', async () => {
    const status = await card('discovered-service');
    expect(status).toMatchObject({
      image: {
        ref: 'dhi.io/python:3.13',
        discoveredFrom: 'Dockerfile:6',
      },
      variant: 'dhi',
      policy: { compliant: true },
      attestation: { status: 'verified' },
    });
    expect(status.findings).toBeUndefined();
  });

  it('shows that base image, where it was read and its status on the card', async () => {
    await withPage('card-discovered', async page => {
      await page.goto(
        `${FRONTEND}/catalog/default/component/discovered-service`,
      );
      const cardOnPage = baseImageCard(page);
      const ref = cardOnPage.getByTestId('base-image-ref');
      await ref.waitFor({ timeout: 60_000 });
      expect(await ref.textContent()).toBe('dhi.io/python:3.13');
      expect(
        await cardOnPage.getByTestId('base-image-source').textContent(),
      ).toMatch(/^Read from Dockerfile:6 \(the final stage\)/);
      await cardOnPage
        .locator('span[aria-label^="Status"]', { hasText: 'Verified' })
        .first()
        .waitFor();
    });
  });

  it('reports a declaration that disagrees with the Dockerfile, on the card', async () => {
    const status = await card('disagreeing-service');
    expect(status.image.ref).toBe('dhi.io/python:3.13');
    expect(status.findings).toEqual([
      {
        kind: 'declared-differs',
        message:
          "'base-image/ref' says dhi.io/python:3.13, but the final stage of Dockerfile (line 1) starts FROM dhi.io/python:3.13-fips; the annotation is what is checked here. Make them agree.",
      },
    ]);
    await withPage('card-disagreeing', async page => {
      await page.goto(
        `${FRONTEND}/catalog/default/component/disagreeing-service`,
      );
      await baseImageCard(page)
        .getByText(
          /^'base-image\/ref' says dhi\.io\/python:3\.13, but the final stage/,
        )
        .waitFor({ timeout: 60_000 });
    });
  });

  it('shows "outdated" once the local registry moves the pinned tag', async () => {
    const before = await card('pinned-service');
    expect(before.image.digest).toBe(pinnedDigest);
    expect(before.image.outdated).toBeUndefined();

    const moved = await pushImage(
      new Pusher(demo.registry),
      'demo/movable',
      '1',
    );
    await new Promise(resolve =>
      setTimeout(resolve, (TAG_TTL_SECONDS + 1) * 1000),
    );
    const after = await card('pinned-service');
    expect(after.image.outdated).toMatchObject({
      pinnedDigest,
      currentDigest: moved.indexDigest,
    });
    expect(after.findings).toEqual([
      expect.objectContaining({ kind: 'outdated' }),
    ]);
    await withPage('card-outdated', async page => {
      await page.goto(`${FRONTEND}/catalog/default/component/pinned-service`);
      await baseImageCard(page)
        .getByText(/^Outdated: tag 1 now points at/)
        .waitFor({ timeout: 60_000 });
    });
  });

  it('the fleet page shows the summary of the whole fleet above one page of rows', async () => {
    const tasks = '/api/base-images/.backstage/scheduler/v1/tasks';
    const lastEnd = async () =>
      (await api(tasks)).body.tasks.find(
        (t: any) => t.taskId === 'base-images-refresh',
      )?.taskState?.lastRunEndedAt;
    let before: string | undefined;
    // a run already going (the one after start-up) answers 409: wait it out
    await waitUntil(
      'the fleet refresh to be triggered',
      async () => {
        before = await lastEnd();
        return (
          (
            await api(`${tasks}/base-images-refresh/trigger`, {
              method: 'POST',
            })
          ).status === 200
        );
      },
      120_000,
      backend,
    );
    await waitUntil(
      'the fleet refresh',
      async () => (await lastEnd()) !== before,
      120_000,
      backend,
    );

    const { body: overview } = await api('/api/base-images/overview?limit=20');
    const total = overview.totalCount;
    expect(total).toBeGreaterThanOrEqual(6);
    expect(overview.summary.total).toBe(total);
    expect(overview.items.map((i: any) => i.entityRef)).toContain(
      'component:default/drifted-service',
    );

    await withPage('fleet-page', async page => {
      const asked: string[] = [];
      page.on('request', request => {
        if (request.url().includes('/api/base-images/overview'))
          asked.push(request.url());
      });
      await page.goto(`${FRONTEND}/base-images`);
      const summary = page.getByTestId('fleet-summary');
      await summary
        .getByText(`${total} components`)
        .waitFor({ timeout: 60_000 });
      await summary
        .getByRole('button', {
          name: `Drift: ${overview.summary.byVerdict.drift}`,
        })
        .waitFor();
      await page
        .getByRole('link', { name: 'drifted-service', exact: true })
        .waitFor();
      // one page: at most 20 component rows (the table pads with empty ones)
      expect(
        await page
          .locator('tbody tr', {
            has: page.locator('a[href*="/catalog/default/component/"]'),
          })
          .count(),
      ).toBeLessThanOrEqual(20);
      expect(asked).toHaveLength(1);
      expect(new URL(asked[0]).searchParams.get('limit')).toBe('20');

      // a count filters on the server
      await summary
        .getByRole('button', {
          name: `Drift: ${overview.summary.byVerdict.drift}`,
        })
        .click();
      await page.waitForURL(/verdict=drift/);
      await page
        .getByRole('link', { name: 'drifted-service', exact: true })
        .waitFor();
      expect(
        await page
          .getByRole('link', { name: 'discovered-service', exact: true })
          .count(),
      ).toBe(0);
    });
  });

  it("the drift row's button opens update-base-image prefilled for the service", async () => {
    for (const name of ['drifted-service', 'declared-drifted-service']) {
      expect((await card(name)).policy).toMatchObject({
        compliant: false,
        required: 'dhi.io/python:3.13-fips',
      });
    }
    await withPage('drift-button', async page => {
      await page.goto(
        `${FRONTEND}/catalog/default/component/declared-drifted-service`,
      );
      await baseImageCard(page)
        .getByRole('button', { name: 'Move to dhi.io/python:3.13-fips' })
        .click({ timeout: 60_000 });
      await page.waitForURL(
        /\/create\/templates\/default\/update-base-image\?/,
      );
      const url = new URL(page.url());
      expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
        entity: 'component:default/declared-drifted-service',
      });
    });
  });
});
