import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { Browser, Page } from 'playwright-core';
import {
  pushImage,
  Pusher,
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
 * What a platform engineer sees of base-image compliance outside the
 * base-image card: the Tech Insights scorecard on an entity page, and a
 * notification to the owner group when a service's base image turns bad.
 * Its own portal (backend and frontend) on ports clear of the portal suite's
 * (7007/3000) and the production suite's (7107-7109), with the local demo
 * registry; every refresh and fact collection is triggered by the test.
 */
jest.setTimeout(600_000);

const OUTPUT = path.join(ROOT, 'e2e-output', 'scorecards');
const BACKEND = 'http://localhost:7207';
const FRONTEND = 'http://localhost:3207';

/**
 * A forced re-check of an image within this long of the last one gets the
 * last result (the status backend's FORCED_CHECK_INTERVAL_MS), plus a margin.
 */
const RECHECK_AFTER_MS = 62_000;

const SIGNED = 'component:default/signed-service';
const TAMPERED = 'component:default/tampered-service';
const SIGNED_PAGE = `${FRONTEND}/catalog/default/component/signed-service`;
const TAMPERED_PAGE = `${FRONTEND}/catalog/default/component/tampered-service`;
const WORSENED_TITLE = 'signed-service: base image is now unsigned';

const { guestToken, api } = backendClient(BACKEND);

interface TaskState {
  status: 'idle' | 'running';
  lastRunEndedAt?: string;
  lastRunError?: string;
}

/**
 * Runs a plugin's scheduled task now through the scheduler's trigger
 * endpoint and waits until that run has ended. (A task still in its initial
 * delay ignores triggers, hence the short delays in the test's config.)
 */
async function runTask(token: string, pluginId: string, taskId: string) {
  const tasksPath = `/api/${pluginId}/.backstage/scheduler/v1/tasks`;
  const state = async (): Promise<TaskState | undefined> =>
    (await api(token, tasksPath)).body.tasks.find(
      (t: { taskId: string }) => t.taskId === taskId,
    )?.taskState ?? undefined;
  let before: TaskState | undefined;
  await waitUntil(
    `the ${taskId} trigger`,
    async () => {
      before = await state();
      if (before?.status !== 'idle') return false;
      // runs end on whole seconds in SQLite: this run's end must differ from the last's
      await new Promise(resolve => setTimeout(resolve, 1100));
      const { status } = await api(token, `${tasksPath}/${taskId}/trigger`, {
        method: 'POST',
      });
      if (status !== 200 && status !== 409)
        throw new Error(`trigger ${taskId}: HTTP ${status}`);
      return status === 200; // 409: a scheduled run began meanwhile
    },
    120_000,
  );
  await waitUntil(
    `the ${taskId} run`,
    async () => {
      const now = await state();
      return (
        now?.status === 'idle' &&
        !!now.lastRunEndedAt &&
        now.lastRunEndedAt !== before?.lastRunEndedAt
      );
    },
    120_000,
  );
  const after = await state();
  if (after?.lastRunError)
    throw new Error(`${taskId} failed: ${after.lastRunError}`);
}

async function signIn(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
  });
  // the dev server may be rebuilding the app when a page is asked for
  context.setDefaultNavigationTimeout(120_000);
  const page = await context.newPage();
  await page.goto(FRONTEND);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByText('Catalog').first().waitFor();
  return page;
}

/** What the scorecard on the open entity page shows for one check, once it shows it. */
async function scorecardVerdict(
  page: Page,
  check: string,
): Promise<'Passed' | 'Failed'> {
  const line = page.getByRole('listitem', { name: check, exact: true });
  await line.filter({ hasText: /Passed|Failed/ }).waitFor({ timeout: 60_000 });
  return (await line.textContent())!.includes('Passed') ? 'Passed' : 'Failed';
}

describe('scorecards and notifications in the portal', () => {
  let work: string;
  let demo: DemoRegistry;
  let backend: Service;
  let frontend: Service;
  let token: string;
  let browser: Browser;
  /** When the first refresh checked the signed image. */
  let firstCheckAt: number;

  beforeAll(async () => {
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    fs.mkdirSync(OUTPUT, { recursive: true });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-scorecards-'));
    demo = await startDemoRegistry(work);
    const ports = path.join(work, 'app-config.scorecards.yaml');
    fs.writeFileSync(
      ports,
      yaml.stringify({
        app: { baseUrl: FRONTEND },
        backend: {
          baseUrl: BACKEND,
          listen: { port: 7207 },
          cors: { origin: FRONTEND },
        },
        // tasks take triggers only after their initial delay; the test
        // triggers every run it relies on
        baseImages: { status: { refreshInitialDelay: { seconds: 1 } } },
        techInsights: {
          factRetrievers: {
            // merged into app-config.yaml's { minutes: 2 }
            baseImagesFactRetriever: {
              initialDelay: { minutes: 0, seconds: 1 },
            },
          },
        },
      }),
    );
    const rootConfig = path.join(ROOT, 'app-config.yaml');
    const logDir = path.join(OUTPUT, 'logs');
    backend = startService(
      'backend',
      [
        'workspace',
        'backend',
        'start',
        '--config',
        rootConfig,
        '--config',
        demo.configPath,
        '--config',
        ports,
      ],
      { logDir },
    );
    frontend = startService(
      'frontend',
      ['workspace', 'app', 'start', '--config', rootConfig, '--config', ports],
      { logDir, env: { BROWSER: 'none' } },
    );
    await waitUntil(
      'the backend',
      async () => {
        token = await guestToken();
        return true;
      },
      240_000,
      backend,
    );
    await waitUntil(
      'the demo components',
      async () =>
        (
          await Promise.all(
            ['signed-service', 'tampered-service'].map(name =>
              api(
                token,
                `/api/catalog/entities/by-name/component/default/${name}`,
              ),
            ),
          )
        ).every(r => r.status === 200),
      120_000,
      backend,
    );

    // the first refresh: every verdict as it is now (nobody is told about these)
    await runTask(token, 'base-images', 'base-images-refresh');
    // taken when the run has ended: its checks happened before, so the
    // re-check limit counted from here has surely passed for all of them
    firstCheckAt = Date.now();
    await runTask(token, 'tech-insights', 'baseImagesFactRetriever');

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

  it('stores the base-image facts of each component in Tech Insights', async () => {
    const facts = async (entityRef: string) =>
      (
        await api(
          token,
          `/api/tech-insights/facts/latest?entity=${encodeURIComponent(
            entityRef,
          )}&ids[]=baseImagesFactRetriever`,
        )
      ).body.baseImagesFactRetriever?.facts;
    expect(await facts(SIGNED)).toMatchObject({
      attestationStatus: 'verified',
      verified: true,
    });
    expect(await facts(TAMPERED)).toMatchObject({
      attestationStatus: 'invalid',
      verified: false,
    });
  });

  it('shows "Base image verified" passing for a verified image and failing for a tampered one', async () => {
    const page = await signIn(browser);
    try {
      await page.goto(SIGNED_PAGE);
      expect(await scorecardVerdict(page, 'Base image verified')).toBe(
        'Passed',
      );
      await page.screenshot({
        path: path.join(OUTPUT, 'scorecard-verified.png'),
        fullPage: true,
      });
      await page.goto(TAMPERED_PAGE);
      expect(await scorecardVerdict(page, 'Base image verified')).toBe(
        'Failed',
      );
      await page.screenshot({
        path: path.join(OUTPUT, 'scorecard-tampered.png'),
        fullPage: true,
      });
    } finally {
      await page.context().close();
    }
  });

  it("tells the owner group once, live, when a service's base image turns unsigned, and its link opens the entity", async () => {
    const page = await signIn(browser);
    try {
      await page.goto(SIGNED_PAGE);
      expect(await scorecardVerdict(page, 'Base image verified')).toBe(
        'Passed',
      );

      // the same tag, re-pushed without a signature
      await pushImage(new Pusher(demo.registry), 'demo/signed', '1');
      const wait = firstCheckAt + RECHECK_AFTER_MS - Date.now();
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
      await runTask(token, 'base-images', 'base-images-refresh');

      // pushed over signals to the open page: the sidebar's toast
      await page.getByText(WORSENED_TITLE).first().waitFor({ timeout: 60_000 });
      await page.screenshot({
        path: path.join(OUTPUT, 'notification-toast.png'),
        fullPage: true,
      });

      // a refresh that finds the same verdict says nothing
      await runTask(token, 'base-images', 'base-images-refresh');
      const { body } = await api(
        token,
        '/api/notifications/notifications?topic=base-images',
      );
      expect(
        body.notifications.map((n: any) => [
          n.payload.title,
          n.payload.link,
          n.payload.severity,
        ]),
      ).toEqual([
        [WORSENED_TITLE, '/catalog/default/component/signed-service', 'high'],
      ]);

      await page.goto(`${FRONTEND}/notifications`);
      await page.getByRole('link', { name: WORSENED_TITLE }).click();
      await page.waitForURL(SIGNED_PAGE);
      await page
        .getByRole('heading', { name: 'signed-service' })
        .first()
        .waitFor();

      // the scorecard follows once Tech Insights collects the facts again
      await runTask(token, 'tech-insights', 'baseImagesFactRetriever');
      await page.reload();
      expect(await scorecardVerdict(page, 'Base image verified')).toBe(
        'Failed',
      );
      await page.screenshot({
        path: path.join(OUTPUT, 'notification-link-entity.png'),
        fullPage: true,
      });
    } finally {
      await page.context().close();
    }
  });
});
