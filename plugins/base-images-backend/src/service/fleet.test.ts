import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AttestationStatus,
  formatImageReference,
  ImageReference,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { DiscoveryStore } from '../discovery/DiscoveryStore';
import { DockerfileDiscovery } from '../discovery/DockerfileDiscovery';
import { DockerfileReader } from '../discovery/DockerfileReader';
import { migratedClient } from '../database/migrations';
import { FleetStore } from '../fleet/FleetStore';
import { AttestationService } from './AttestationService';
import { EntityStatusService } from './EntityStatusService';
import { FleetVerdictChange, refreshFleet } from './fleet';

jest.setTimeout(60_000);

describe('refreshFleet', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  const repos = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-refresh-'));

  beforeAll(() => {
    for (const [name, dockerfile] of [
      ['discovered', 'FROM dhi.io/python:3.13\n'],
      ['broken', 'FROM\n'],
    ]) {
      fs.mkdirSync(path.join(repos, name));
      fs.writeFileSync(path.join(repos, name, 'Dockerfile'), dockerfile);
    }
  });
  afterAll(() => fs.rmSync(repos, { recursive: true, force: true }));

  const component = (
    name: string,
    options: { ref?: string; repo?: string; system?: string } = {},
  ): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        ...(options.ref ? { 'base-image/ref': options.ref } : {}),
        ...(options.repo
          ? {
              'backstage.io/managed-by-location': `file:${path.join(
                repos,
                options.repo,
                'catalog-info.yaml',
              )}`,
            }
          : {}),
      },
    },
    spec: {
      type: 'service',
      owner: 'team',
      lifecycle: 'production',
      ...(options.system ? { system: options.system } : {}),
    },
  });

  const FLEET = [
    component('a', { ref: 'dhi.io/python:3.13' }),
    component('b', { ref: 'dhi.io/python:3.13' }),
    component('c', { ref: 'python:3.13-slim' }),
    // the same image as a and b, from its Dockerfile
    component('d', { repo: 'discovered' }),
    component('e', { repo: 'broken' }),
    component('f'),
    component('g', { ref: 'dhi.io/node:22', system: 'payments' }),
  ];
  const SYSTEM: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'payments', namespace: 'default' },
    spec: { owner: 'team' },
  };

  async function setup(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    const db = await migratedClient(mockServices.database({ knex }));
    const statusByImage = new Map<string, AttestationStatus>();
    const attestations: jest.Mocked<AttestationService> = {
      status: jest.fn(async (image: ImageReference) => ({
        report: {
          status: statusByImage.get(formatImageReference(image)) ?? 'verified',
          message: 'test',
          signatures: [],
          attestations: [],
        },
      })),
      resolveDigest: jest.fn(),
    };
    const discovery = new DockerfileDiscovery({
      reader: new DockerfileReader({
        urlReader: mockServices.urlReader.mock(),
        integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
        fileRoots: [repos],
      }),
      store: new DiscoveryStore(db),
    });
    const statuses = new EntityStatusService({
      config: readBaseImagesConfig(
        new ConfigReader({
          baseImages: {
            registries: [{ host: 'dhi.io' }, { host: 'docker.io' }],
          },
        }),
      ),
      attestations,
      discovery,
    });
    const store = new FleetStore(db);
    const refresh = (
      catalog = catalogServiceMock({ entities: [...FLEET, SYSTEM] }),
      onVerdicts?: (verdicts: FleetVerdictChange[]) => Promise<void>,
    ) =>
      refreshFleet({
        catalog,
        credentials: mockCredentials.service(),
        attestations,
        statuses,
        discovery,
        store,
        onVerdicts,
      });
    return { attestations, statusByImage, store, refresh };
  }

  it.each(databases.eachSupportedId())(
    'checks each distinct image once and stores a row per component, %p',
    async databaseId => {
      const { attestations, store, refresh } = await setup(databaseId);
      const result = await refresh();
      expect(result).toMatchObject({ components: 7, images: 3, listed: 6 });
      const forced = attestations.status.mock.calls
        .filter(([, options]) => options?.force)
        .map(([image]) => formatImageReference(image))
        .sort();
      expect(forced).toEqual([
        'dhi.io/node:22',
        'dhi.io/python:3.13',
        'docker.io/library/python:3.13-slim',
      ]);
      // every component is new: a verdict without a previous one
      expect(result.verdicts).toHaveLength(7);
      expect(
        result.verdicts.every(v => !v.previous && v.changed && !v.worse),
      ).toBe(true);
      expect(
        result.verdicts.find(v => v.entityRef === 'component:default/d'),
      ).toMatchObject({
        owner: 'group:default/team',
        current: { image: { discoveredFrom: 'Dockerfile:1' } },
      });

      const page = await store.page({}, { limit: 50, offset: 0 });
      expect(page.items.map(i => i.entityRef)).toEqual([
        // no verdict first: a Dockerfile that names no image
        'component:default/e',
        'component:default/a',
        'component:default/b',
        'component:default/c',
        'component:default/d',
        'component:default/g',
      ]);
      expect(page.items[0].findings).toEqual([
        expect.objectContaining({ kind: 'dockerfile-unreadable' }),
      ]);
      expect(page.items[4].image).toMatchObject({
        ref: 'dhi.io/python:3.13',
        discoveredFrom: 'Dockerfile:1',
      });
      // f has no base image: it has a row (its card knows it was seen) but is not listed
      expect(await store.has('component:default/f')).toBe(true);
      expect(page.summary.total).toBe(6);
    },
  );

  it.each(databases.eachSupportedId())(
    'returns every verdict, old and new, and drops deleted components, %p',
    async databaseId => {
      const { statusByImage, store, refresh } = await setup(databaseId);
      await refresh();
      statusByImage.set('dhi.io/python:3.13', 'invalid');
      statusByImage.set('dhi.io/node:22', 'unsigned');
      const onVerdicts = jest.fn(async () => {});
      const result = await refresh(
        catalogServiceMock({
          entities: [...FLEET.filter(e => e.metadata.name !== 'c'), SYSTEM],
        }),
        onVerdicts,
      );
      expect(onVerdicts).toHaveBeenCalledWith(result.verdicts);
      const byRef = Object.fromEntries(
        result.verdicts.map(v => [v.entityRef.split('/')[1], v]),
      );
      expect(Object.keys(byRef).sort()).toEqual(['a', 'b', 'd', 'e', 'f', 'g']);
      expect(
        result.verdicts
          .filter(v => v.changed)
          .map(v => v.entityRef.split('/')[1])
          .sort(),
      ).toEqual(['a', 'b', 'd', 'g']);
      expect(byRef.a).toEqual({
        entityRef: 'component:default/a',
        owner: 'group:default/team',
        previous: {
          status: 'verified',
          verdict: 'compliant',
          severity: 6,
          listed: true,
          image: 'dhi.io/python:3.13',
        },
        current: expect.objectContaining({
          entityRef: 'component:default/a',
          attestation: expect.objectContaining({ status: 'invalid' }),
        }),
        changed: true,
        worse: true,
      });
      expect(byRef.g).toMatchObject({
        current: { attestation: { status: 'unsigned' } },
        worse: true,
      });
      expect(byRef.e).toMatchObject({ changed: false, worse: false });
      expect(result.removed).toEqual(['component:default/c']);
      expect(await store.has('component:default/c')).toBe(false);

      // better again: a change, but not for the worse
      statusByImage.clear();
      const recovered = await refresh();
      expect(
        recovered.verdicts.find(v => v.entityRef === 'component:default/a'),
      ).toMatchObject({
        changed: true,
        worse: false,
        previous: { status: 'invalid' },
        current: { attestation: { status: 'verified' } },
      });
    },
  );

  it('keeps the previous row of a component whose status fails, and refreshes the rest', async () => {
    const { statusByImage, store, refresh } = await setup('SQLITE_3');
    await refresh();
    statusByImage.set('dhi.io/python:3.13', 'invalid');
    const catalog = catalogServiceMock({ entities: [...FLEET, SYSTEM] });
    const getEntityByRef = catalog.getEntityByRef.bind(catalog);
    catalog.getEntityByRef = async (ref, options) => {
      if (String(ref) === 'system:default/payments')
        throw new Error('catalog unavailable');
      return getEntityByRef(ref, options);
    };
    const result = await refresh(catalog);
    expect(result.verdicts.map(v => v.entityRef)).not.toContain(
      'component:default/g',
    );
    expect(await store.has('component:default/g')).toBe(true);
    const invalid = await store.page(
      { status: 'invalid' },
      { limit: 10, offset: 0 },
    );
    expect(invalid.totalCount).toBe(3);
  });
});
