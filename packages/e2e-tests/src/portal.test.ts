import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import yaml from 'yaml';
import { Browser, Page } from 'playwright-core';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { DemoRegistry, startDemoRegistry } from './demoRegistry';
import {
  api,
  BACKEND,
  FRONTEND,
  guestToken,
  ROOT,
  Service,
  startService,
  waitUntil,
} from './processes';
import { launchBrowser, withPage } from './browser';
import {
  directoryContents,
  Payload,
  payloads,
  renderWithPlainNunjucks,
} from './payloads';

/**
 * The portal as a new user gets it: the real backend and frontend on the
 * embedded default, plus the local test registry, driven over HTTP and in
 * Debian's Chromium.
 */
jest.setTimeout(600_000);

const OUTPUT = path.join(ROOT, 'e2e-output', 'portal');
const DOCS = process.env.E2E_DOCS_DIR;

/** A screenshot for the README, when E2E_DOCS_DIR names where they go. */
async function shot(page: Page, name: string, selector?: string) {
  if (!DOCS) return;
  fs.mkdirSync(DOCS, { recursive: true });
  const target = selector ? page.locator(selector).first() : page;
  await target.screenshot({ path: path.join(DOCS, `${name}.png`) });
}

const PYTHON_TEMPLATE = path.join(ROOT, 'templates', 'python-service');
const readTemplate = () =>
  yaml.parse(
    fs.readFileSync(path.join(PYTHON_TEMPLATE, 'template.yaml'), 'utf8'),
  );
const SERVICE_VALUES = {
  name: 'payload-probe',
  description: 'probe',
  owner: 'group:default/web-team',
  system: 'system:default/marketing-site',
  flavor: 'standard',
  situation: 'production',
};

/**
 * A registered template whose skeleton carries a payload in a file's text and
 * in a file name: what a template author (not only a Template Editor user)
 * could try. Returns the template file to register.
 */
function writeHostileTemplate(work: string): string {
  const dir = path.join(work, 'hostile-template');
  fs.cpSync(PYTHON_TEMPLATE, dir, { recursive: true });
  const template = readTemplate();
  template.metadata.name = 'hostile-payload';
  template.metadata.title = 'Hostile payload (e2e only)';
  fs.writeFileSync(path.join(dir, 'template.yaml'), yaml.stringify(template));
  const [inText, inName] = payloads(path.join(work, 'registered-markers'));
  fs.writeFileSync(path.join(dir, 'skeleton', 'PAYLOAD.md'), inText.content);
  fs.writeFileSync(path.join(dir, 'skeleton', inName.content), 'x');
  return path.join(dir, 'template.yaml');
}

describe('the portal', () => {
  let work: string;
  let demo: DemoRegistry;
  let backend: Service;
  let frontend: Service;
  let token: string;
  let browser: Browser;

  beforeAll(async () => {
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-e2e-'));
    demo = await startDemoRegistry(work, {
      extraLocations: [
        {
          type: 'file',
          target: writeHostileTemplate(work),
          rules: [{ allow: ['Template'] }],
        },
      ],
    });
    const logDir = path.join(OUTPUT, 'logs');
    backend = startService(
      'backend',
      [
        'workspace',
        'backend',
        'start',
        '--config',
        '../../app-config.yaml',
        '--config',
        demo.configPath,
      ],
      { logDir },
    );
    frontend = startService('frontend', ['workspace', 'app', 'start'], {
      logDir,
      env: { BROWSER: 'none' },
    });
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
    token = await guestToken();
    await waitUntil(
      'the example catalog',
      async () =>
        (
          await api(
            token,
            '/api/catalog/entities/by-name/component/default/tampered-service',
          )
        ).status === 200,
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

  describe('catalog', () => {
    it('loads every example and template entity with zero processing errors', async () => {
      const files = [
        ...fs
          .readdirSync(path.join(ROOT, 'examples'))
          .map(f => path.join(ROOT, 'examples', f)),
        path.join(ROOT, 'templates/all.yaml'),
        ...['python-service', 'node-service'].map(t =>
          path.join(ROOT, 'templates', t, 'template.yaml'),
        ),
      ];
      const expected = files.flatMap(file =>
        yaml
          .parseAllDocuments(fs.readFileSync(file, 'utf8'))
          .map(doc => stringifyEntityRef(doc.toJS())),
      );
      const { body } = await api<any[]>(
        token,
        '/api/catalog/entities?fields=kind,metadata.name,metadata.namespace,status',
      );
      const present = new Set(body.map(e => stringifyEntityRef(e)));
      expect(expected.filter(ref => !present.has(ref))).toEqual([]);
      const errors = body.flatMap(e =>
        (e.status?.items ?? [])
          .filter((i: any) => i.level === 'error')
          .map((i: any) => `${stringifyEntityRef(e)}: ${i.error?.message}`),
      );
      expect(errors).toEqual([]);
      const annotated = await api<any>(
        token,
        '/api/catalog/entities/by-name/system/default/patient-records',
      );
      expect(annotated.body.metadata.annotations['compliance/frameworks']).toBe(
        'hipaa',
      );
    });
  });

  describe('scaffolder dry-run through the real backend', () => {
    async function dryRun(template: string, system: string) {
      const dir = path.join(ROOT, 'templates', template);
      const files: Array<{ path: string; base64Content: string }> = [];
      const walk = (folder: string) => {
        for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
          const full = path.join(folder, entry.name);
          if (entry.isDirectory()) walk(full);
          else
            files.push({
              path: path.relative(dir, full),
              base64Content: fs.readFileSync(full).toString('base64'),
            });
        }
      };
      walk(dir);
      const response = await api<any>(token, '/api/scaffolder/v2/dry-run', {
        method: 'POST',
        body: JSON.stringify({
          template: yaml.parse(
            fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'),
          ),
          values: {
            name: 'dry-run-svc',
            description: 'Dry run',
            owner: 'group:default/web-team',
            system,
            flavor: 'standard',
            situation: 'production',
          },
          secrets: {},
          directoryContents: files,
        }),
      });
      expect(response.status).toBe(200);
      const dockerfile = response.body.directoryContents.find(
        (f: any) => f.path === 'Dockerfile',
      );
      return [
        ...Buffer.from(dockerfile.base64Content, 'base64')
          .toString()
          .matchAll(/^FROM (\S+)/gm),
      ].map(m => m[1]);
    }

    it.each([
      [
        'python-service',
        'system:default/marketing-site',
        ['python:3.13-slim', 'python:3.13-slim'],
      ],
      [
        'python-service',
        'system:default/billing',
        [
          'dhi.io/python:3.13-dev',
          'dhi.io/python:3.13-dev',
          'dhi.io/python:3.13',
        ],
      ],
      [
        'python-service',
        'system:default/patient-records',
        [
          'dhi.io/python:3.13-dev',
          'dhi.io/python:3.13-dev',
          'dhi.io/python:3.13-fips',
        ],
      ],
      [
        'node-service',
        'system:default/marketing-site',
        ['node:22-slim', 'node:22-slim'],
      ],
      [
        'node-service',
        'system:default/billing',
        ['node:22-slim', 'node:22-slim', 'dhi.io/node:22'],
      ],
      [
        'node-service',
        'system:default/patient-records',
        ['node:22-slim', 'node:22-slim', 'dhi.io/node:22-fips'],
      ],
    ])(
      '%s in %s -> FROM %j, each pinned to its digest',
      async (template, system, froms) => {
        const pinned = await dryRun(template, system);
        expect(
          pinned.map(from => from.replace(/@sha256:[a-f0-9]{64}$/, '')),
        ).toEqual(froms);
        for (const from of pinned)
          expect(from).toMatch(/@sha256:[a-f0-9]{64}$/);
      },
    );
  });

  describe('template text never runs code', () => {
    const markerDir = () => path.join(work, 'markers');

    async function dryRunWith(extra: { path: string; text: string }) {
      const files = directoryContents(PYTHON_TEMPLATE);
      files.push({
        path: extra.path,
        base64Content: Buffer.from(extra.text).toString('base64'),
      });
      return api<any>(token, '/api/scaffolder/v2/dry-run', {
        method: 'POST',
        body: JSON.stringify({
          template: readTemplate(),
          values: SERVICE_VALUES,
          secrets: {},
          directoryContents: files,
        }),
      });
    }

    function expectRefused(
      response: { status: number; body: any },
      payload: Payload,
      file: string,
    ) {
      const text = JSON.stringify(response.body);
      expect(response.status).not.toBe(200);
      expect(text).toContain(`Skeleton file ${file}`);
      expect(fs.existsSync(payload.marker)).toBe(false);
    }

    it('every payload class is real: plain nunjucks runs it', () => {
      for (const payload of payloads(path.join(work, 'proof'))) {
        renderWithPlainNunjucks(payload.content);
        expect({
          payload: payload.name,
          ran: fs.existsSync(payload.marker),
        }).toEqual({ payload: payload.name, ran: true });
      }
    });

    const names = payloads(os.tmpdir()).map(p => [p.name]);

    it.each(names)(
      'dry-run as a guest with %s in a skeleton file: refused, nothing runs',
      async name => {
        const payload = payloads(markerDir()).find(p => p.name === name)!;
        const response = await dryRunWith({
          path: 'skeleton/PAYLOAD.md',
          text: payload.content,
        });
        expectRefused(response, payload, 'PAYLOAD.md');
      },
    );

    it.each(
      payloads('/')
        .slice(0, 4)
        .map(p => [p.name]),
    )(
      'dry-run as a guest with %s in a file name: refused, nothing runs',
      async name => {
        const payload = payloads(markerDir()).find(p => p.name === name)!;
        const response = await dryRunWith({
          path: `skeleton/${payload.content}`,
          text: 'x',
        });
        expectRefused(response, payload, '');
      },
    );

    it('a registered template with payloads fails its task, and nothing runs', async () => {
      const markers = payloads(path.join(work, 'registered-markers'));
      const created = await api<{ id: string }>(
        token,
        '/api/scaffolder/v2/tasks',
        {
          method: 'POST',
          body: JSON.stringify({
            templateRef: 'template:default/hostile-payload',
            values: SERVICE_VALUES,
          }),
        },
      );
      expect(created.status).toBe(201);
      let task: any;
      await waitUntil(
        'the hostile task to end',
        async () => {
          task = (
            await api<any>(token, `/api/scaffolder/v2/tasks/${created.body.id}`)
          ).body;
          return ['failed', 'completed', 'cancelled'].includes(task.status);
        },
        120_000,
      );
      expect(task.status).toBe('failed');
      const events = await api<any[]>(
        token,
        `/api/scaffolder/v2/tasks/${created.body.id}/events`,
      );
      expect(JSON.stringify(events.body)).toContain('Skeleton file');
      for (const payload of markers) {
        expect(fs.existsSync(payload.marker)).toBe(false);
      }
    });

    it('the backend is still up and serving after every payload', async () => {
      expect((await api(token, '/api/base-images/health')).status).toBe(200);
      expect(fs.readdirSync(markerDir())).toEqual([]);
    });
  });

  describe("compliance evidence of a FIPS service (Docker's DHI layout)", () => {
    it('the status API names the attestation that proves each hipaa requirement, and the figures', async () => {
      const { body } = await api<any>(
        token,
        '/api/base-images/entities/component/default/records-api',
      );
      expect(body.attestation.status).toBe('verified');
      expect(body.policy.evidence).toEqual([
        {
          framework: 'hipaa',
          predicateType: 'https://slsa.dev/verification_summary/',
          status: 'verified',
          provenBy: 'https://slsa.dev/verification_summary/v1',
        },
        {
          framework: 'hipaa',
          predicateType: 'https://docker.com/dhi/fips/',
          status: 'verified',
          provenBy: 'https://docker.com/dhi/fips/v0.1',
        },
      ]);
      expect(body.attestation.figures).toMatchObject({
        packages: 3,
        vulnerabilities: { total: 2, high: 1, low: 1, suppressedByVex: 1 },
        sizeBytes: expect.any(Number),
        createdAt: expect.any(String),
      });
    });

    it('the card shows the evidence per framework and the SBOM, VEX and size figures', async () => {
      await withPage(browser, OUTPUT, 'card-evidence', async page => {
        await page.goto(`${FRONTEND}/catalog/default/component/records-api`);
        const evidence = page.getByRole('table', {
          name: 'Compliance evidence',
        });
        // rows by their text: the status cell's accessible name is its icon's label
        const row = (attestation: string) =>
          evidence
            .locator('tr', { hasText: attestation })
            .filter({ hasText: 'hipaa' })
            .filter({ hasText: 'Verified' });
        await row('FIPS attestation').waitFor({ timeout: 60_000 });
        await row('SLSA verification summary').waitFor();
        await page
          .getByTestId('figure-packages')
          .filter({ hasText: '3 (SBOM)' })
          .waitFor();
        await page
          .getByTestId('figure-vulnerabilities')
          .filter({ hasText: '2 known after VEX' })
          .waitFor();
        await page
          .getByTestId('figure-size')
          .filter({ hasText: 'compressed' })
          .waitFor();
        await shot(page, 'card-evidence', '[data-testid="base-image-card"]');
      });
    });
  });

  describe('status API', () => {
    it.each([
      ['signed-service', 'verified', true],
      ['tampered-service', 'invalid', true],
      ['payments-api', 'verified', true],
      ['marketing-web', 'unsigned', true],
      ['patient-portal', 'unsigned', false],
    ])('%s: %s, compliant=%s', async (name, status, compliant) => {
      const { body } = await api<any>(
        token,
        `/api/base-images/entities/component/default/${name}`,
      );
      expect(body.attestation.status).toBe(status);
      expect(body.policy.compliant).toBe(compliant);
    });
  });

  describe('in the browser', () => {
    async function pick(page: Page, label: string, option: RegExp) {
      const input = page.getByLabel(label, { exact: false }).first();
      await input.click();
      await input.fill(option.source.replace(/\\/g, ''));
      await page.getByRole('option', { name: option }).first().click();
    }

    async function createService(
      page: Page,
      template: string,
      name: string,
      system: string | undefined,
      expectedImage: string,
    ) {
      await page.goto(`${FRONTEND}/create/templates/default/${template}`);
      await page.getByRole('textbox', { name: /^Name/ }).fill(name);
      await page
        .getByRole('textbox', { name: /^Description/ })
        .fill(`Created by the browser test: {{ 7*7 }}`);
      await pick(page, 'Owner', /web-team/);
      if (system) await pick(page, 'System', new RegExp(system));
      await page.getByRole('button', { name: 'Next' }).click();
      await page
        .getByTestId('base-image-preview-image')
        .filter({ hasText: expectedImage })
        .waitFor({ timeout: 30_000 });
      await shot(
        page,
        `create-${template}-preview`,
        '[data-testid="base-image-preview"]',
      );
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Create' }).click();
      await page
        .getByRole('link', { name: 'Open in catalog' })
        .waitFor({ timeout: 180_000 });
      const repo = path.join(demo.publishDir, name);
      // pinned to the digest the local registry gave at creation
      expect(fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8')).toMatch(
        new RegExp(
          `^FROM ${expectedImage.replace(
            /[.]/g,
            '\\.',
          )}@sha256:[a-f0-9]{64} AS production$`,
          'm',
        ),
      );
      expect(
        execFileSync('git', ['log', '--format=%s'], { cwd: repo })
          .toString()
          .trim(),
      ).toBe('Initial commit');
      await page.getByRole('link', { name: 'Open in catalog' }).click();
      await waitUntil(
        `the ${name} entity page`,
        async () => {
          if (await page.getByTestId('base-image-ref').count()) return true;
          await page.reload();
          return false;
        },
        90_000,
      );
      await page
        .getByTestId('base-image-ref')
        .filter({ hasText: expectedImage })
        .waitFor();
    }

    const statusLabel = (page: Page, words: string) =>
      page.locator('span[aria-label^="Status"]', { hasText: words }).first();

    it('Create -> Python service in a HIPAA system -> FIPS image, repository on disk, card on the new component', async () => {
      await withPage(browser, OUTPUT, 'create-python-hipaa', async page => {
        await createService(
          page,
          'python-service',
          'e2e-records-svc',
          'patient-records',
          'dhi.io/python:3.13-fips',
        );
        await statusLabel(page, 'Verified').waitFor({ timeout: 60_000 });
      });
    });

    it('Create -> Node service with no framework -> node:22-slim, unsigned', async () => {
      await withPage(browser, OUTPUT, 'create-node-slim', async page => {
        await createService(
          page,
          'node-service',
          'e2e-web-svc',
          undefined,
          'node:22-slim',
        );
        await statusLabel(page, 'Unsigned').waitFor({ timeout: 60_000 });
      });
    });

    it.each([
      ['signed-service', 'Verified'],
      ['tampered-service', 'Invalid'],
    ])('the card of %s shows %s', async (name, words) => {
      await withPage(browser, OUTPUT, `card-${name}`, async page => {
        await page.goto(`${FRONTEND}/catalog/default/component/${name}`);
        await statusLabel(page, words).waitFor({ timeout: 60_000 });
        await shot(
          page,
          `card-${words.toLowerCase()}`,
          '[data-testid="base-image-card"]',
        );
      });
    });

    it('the card of a drifted component shows the violation and the required image', async () => {
      await withPage(browser, OUTPUT, 'card-drift', async page => {
        await page.goto(`${FRONTEND}/catalog/default/component/patient-portal`);
        await page
          .getByText('Drift: this image does not meet its compliance')
          .waitFor({ timeout: 60_000 });
        await page
          .getByText(
            'hipaa (from system:default/patient-records) requires a FIPS-enabled (-fips) image',
          )
          .waitFor();
        await page.getByText('dhi.io/python:3.13-fips').first().waitFor();
        await shot(page, 'card-drift', '[data-testid="base-image-card"]');
      });
    });

    it('the fleet page lists the components and filters by status', async () => {
      await withPage(browser, OUTPUT, 'fleet', async page => {
        await page.goto(`${FRONTEND}/base-images`);
        await page
          .getByRole('link', { name: 'tampered-service' })
          .waitFor({ timeout: 60_000 });
        await page.getByRole('link', { name: 'signed-service' }).waitFor();
        await shot(page, 'fleet');
        await page
          .getByRole('button', { name: /^Status/ })
          .first()
          .click();
        await page.getByRole('option', { name: 'Invalid' }).click();
        // the summary counts the whole filtered fleet, served by the backend
        await page
          .getByTestId('fleet-summary')
          .getByRole('heading', { name: /^1 component$/ })
          .waitFor();
        expect(
          await page.getByRole('link', { name: 'signed-service' }).count(),
        ).toBe(0);
        await page.getByRole('link', { name: 'tampered-service' }).waitFor();
      });
    });

    it('with the registry stopped, refresh turns into unavailable and keeps the last result', async () => {
      await demo.registry.stopRegistry();
      try {
        await withPage(browser, OUTPUT, 'card-unavailable', async page => {
          await page.goto(
            `${FRONTEND}/catalog/default/component/signed-service`,
          );
          await statusLabel(page, 'Verified').waitFor({ timeout: 60_000 });
          // An image is re-checked at most once a minute: until a minute has
          // passed since its last check, Re-check serves the stored result.
          await waitUntil(
            'a forced re-check that reaches the stopped registry',
            async () => {
              await page
                .getByRole('button', { name: 'Re-check base image' })
                .click();
              await page
                .getByRole('button', { name: 'Re-check base image' })
                .and(page.locator(':enabled'))
                .waitFor({ timeout: 30_000 });
              return (await statusLabel(page, 'Unavailable').count()) > 0;
            },
            120_000,
          );
          await page.getByText(/Last known result: Verified/).waitFor();
          await shot(
            page,
            'card-unavailable',
            '[data-testid="base-image-card"]',
          );
        });
      } finally {
        await demo.registry.startRegistry();
      }
    });
  });
});
