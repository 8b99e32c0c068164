import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import yaml from 'yaml';
import { BACKEND, Service, startService, waitUntil, ROOT } from './processes';

/**
 * The production configuration (app-config.production.yaml) starts against a
 * real PostgreSQL: Debian's, started by scripts/test.sh, whose URL arrives in
 * BASE_IMAGES_TEST_POSTGRES.
 */
jest.setTimeout(300_000);

describe('production configuration on PostgreSQL', () => {
  const url = process.env.BASE_IMAGES_TEST_POSTGRES;
  const prefix = `e2e_${crypto.randomBytes(4).toString('hex')}_`;
  const token = crypto.randomBytes(24).toString('base64url');
  let backend: Service;
  let admin: Client;

  beforeAll(async () => {
    if (!url)
      throw new Error(
        'BASE_IMAGES_TEST_POSTGRES is not set: run the tests through scripts/test.sh, which starts PostgreSQL',
      );
    admin = new Client({ connectionString: url });
    await admin.connect();
    const pg = new URL(url);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-prod-'));
    // Test-only additions: a database prefix to drop afterwards and a static token to read the catalog with.
    const overlay = path.join(work, 'app-config.test.yaml');
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
      }),
    );
    backend = startService(
      'backend-production',
      [
        'workspace',
        'backend',
        'start',
        '--config',
        '../../app-config.yaml',
        '--config',
        '../../app-config.production.yaml',
        '--config',
        overlay,
      ],
      {
        logDir: path.join(ROOT, 'e2e-output', 'logs'),
        env: {
          POSTGRES_HOST: pg.hostname,
          POSTGRES_PORT: pg.port || '5432',
          POSTGRES_USER: decodeURIComponent(pg.username),
          POSTGRES_PASSWORD: decodeURIComponent(pg.password),
          BACKEND_SECRET: crypto.randomBytes(24).toString('base64'),
          APP_BASE_URL: BACKEND,
          BACKEND_BASE_URL: BACKEND,
          AUTH_GITHUB_CLIENT_ID: 'production-test',
          AUTH_GITHUB_CLIENT_SECRET: 'production-test',
          DHI_USERNAME: 'production-test',
          DHI_TOKEN: 'production-test',
        },
      },
    );
    await waitUntil(
      'the production backend',
      async () => {
        const response = await fetch(
          `${BACKEND}/api/catalog/entities/by-name/system/default/patient-records`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        return response.ok;
      },
      240_000,
      backend,
    );
  });

  afterAll(async () => {
    await backend?.stop();
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
  });

  it('keeps the catalog and the base-images cache in PostgreSQL', async () => {
    const { rows } = await admin.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname',
      [`${prefix}%`],
    );
    const names = rows.map(r => r.datname);
    expect(names).toEqual(
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
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      expect(tables.rows.map(r => r.tablename)).toEqual(
        expect.arrayContaining(['base_images_results', 'base_images_tags']),
      );
    } finally {
      await plugin.end();
    }
  });

  it('serves the base-image status API and refuses guest sign-in', async () => {
    const status = await fetch(
      `${BACKEND}/api/base-images/entities/component/default/patient-portal`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(status.status).toBe(200);
    expect(((await status.json()) as any).policy.compliant).toBe(false);
    const guest = await fetch(`${BACKEND}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    expect(guest.ok).toBe(false);
    expect((await fetch(`${BACKEND}/api/base-images/overview`)).status).toBe(
      401,
    );
  });
});
