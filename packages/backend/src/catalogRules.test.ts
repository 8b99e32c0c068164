import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin, {
  CATALOG_ERRORS_TOPIC,
} from '@backstage/plugin-catalog-backend';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import request from 'supertest';
import yaml from 'yaml';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The catalog section of the embedded default (app-config.yaml) in the real
 * catalog backend: every example and template entity loads with no processing
 * error, and a location without rules of its own (as every user-registered
 * location is) brings in components, APIs and resources only.
 */
describe('catalog rules of app-config.yaml', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let work: string;
  /**
   * Processing errors as the catalog publishes them: a location whose
   * processing fails never becomes an entity, so its error is not in
   * /entities (catalog-backend-module-logs logs these in the portal).
   */
  const processingErrors: string[] = [];
  const collectErrors = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-errors',
    register(reg) {
      reg.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'test-errors',
            topics: [CATALOG_ERRORS_TOPIC],
            async onEvent({ eventPayload }) {
              const { errors } = eventPayload as {
                errors: Array<{ message: string }>;
              };
              processingErrors.push(...errors.map(e => e.message));
            },
          });
        },
      });
    },
  });

  beforeAll(async () => {
    const appConfig = yaml.parse(
      fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
    );
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-rules-'));
    // as a user would register them: no rules of their own
    const registered = {
      'allowed.yaml': [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'registered-service' },
          spec: {
            type: 'service',
            lifecycle: 'production',
            owner: 'group:default/web-team',
          },
        },
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: { name: 'registered-db' },
          spec: { type: 'database', owner: 'group:default/web-team' },
        },
      ],
      'group.yaml': [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Group',
          metadata: { name: 'sneaky-admins' },
          spec: { type: 'team', children: [] },
        },
      ],
      'template.yaml': [
        {
          apiVersion: 'scaffolder.backstage.io/v1beta3',
          kind: 'Template',
          metadata: { name: 'sneaky-template' },
          spec: { type: 'service', owner: 'group:default/web-team', steps: [] },
        },
      ],
    };
    // a service as base-images:publish-local leaves it in the publish directory
    const published = path.join(work, 'generated-repos', 'published-service');
    fs.mkdirSync(published, { recursive: true });
    fs.writeFileSync(
      path.join(published, 'catalog-info.yaml'),
      yaml.stringify({
        ...registered['allowed.yaml'][0],
        metadata: { name: 'published-service' },
      }),
    );
    for (const [file, docs] of Object.entries(registered)) {
      fs.writeFileSync(
        path.join(work, file),
        docs.map(doc => yaml.stringify(doc)).join('---\n'),
      );
    }
    const catalog = {
      ...appConfig.catalog,
      // Config locations are relative to the backend process
      // (packages/backend); the publish directory is a temporary one here.
      locations: [
        ...appConfig.catalog.locations.map((l: { target: string }) => ({
          ...l,
          target: path.resolve(
            ROOT,
            'packages/backend',
            l.target.replace(
              '../../.generated-repos/',
              `${work}/generated-repos/`,
            ),
          ),
        })),
        ...Object.keys(registered).map(file => ({
          type: 'file',
          target: path.join(work, file),
        })),
      ],
    };
    ({ server } = await startTestBackend({
      features: [
        catalogPlugin,
        scaffolderEntityModel,
        collectErrors,
        mockServices.rootConfig.factory({ data: { catalog } }),
      ],
    }));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  async function entities(): Promise<Entity[]> {
    const response = await request(server)
      .get('/api/catalog/entities')
      .set('Authorization', mockCredentials.service.header());
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Retries `assertion` until it passes or a generous deadline passes. */
  async function eventually(assertion: () => Promise<void>) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await assertion();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(resolve => setTimeout(resolve, 250));
      }
    }
  }

  const errorsOf = (list: Entity[]) =>
    list.flatMap(e =>
      ((e as any).status?.items ?? [])
        .filter((i: any) => i.level === 'error')
        .map((i: any) => `${stringifyEntityRef(e)}: ${i.error?.message}`),
    );

  const refusal = (ref: string, file: string) => {
    const location = `file:${path.join(work, file)}`;
    return `Entity ${ref} at ${location}, originated at ${location}, is not of an allowed kind for that location`;
  };

  it('loads every example and template entity, and only components, APIs and resources from other locations', async () => {
    const files = [
      ...fs
        .readdirSync(path.join(ROOT, 'examples'))
        .map(f => path.join(ROOT, 'examples', f)),
      path.join(ROOT, 'templates/all.yaml'),
      ...['python-service', 'node-service'].map(t =>
        path.join(ROOT, 'templates', t, 'template.yaml'),
      ),
    ];
    const expected = [
      ...files.flatMap(file =>
        yaml
          .parseAllDocuments(fs.readFileSync(file, 'utf8'))
          .map(doc => stringifyEntityRef(doc.toJS())),
      ),
      'component:default/registered-service',
      'resource:default/registered-db',
      'component:default/published-service',
    ];
    await eventually(async () => {
      const refs = (await entities()).map(e => stringifyEntityRef(e));
      expect(expected.filter(ref => !refs.includes(ref))).toEqual([]);
    });

    // Examples and templates load with no processing error; each refused
    // kind is an error of the location that tried, which loads nothing.
    expect(errorsOf(await entities())).toEqual([]);
    await eventually(async () =>
      expect(new Set(processingErrors)).toEqual(
        new Set([
          refusal('group:default/sneaky-admins', 'group.yaml'),
          refusal('template:default/sneaky-template', 'template.yaml'),
        ]),
      ),
    );
    const refs = (await entities()).map(e => stringifyEntityRef(e));
    expect(refs).not.toContain('group:default/sneaky-admins');
    expect(refs).not.toContain('template:default/sneaky-template');
  });
});
