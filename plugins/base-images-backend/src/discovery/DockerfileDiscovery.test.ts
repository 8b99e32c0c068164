import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { NotFoundError, NotModifiedError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { migratedClient } from '../database/migrations';
import { DiscoveryStore } from './DiscoveryStore';
import { DockerfileDiscovery } from './DockerfileDiscovery';
import { DockerfileReader } from './DockerfileReader';

jest.setTimeout(60_000);

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** Each case: a repository directory with this Dockerfile (undefined: none). */
const REPOSITORIES: Record<string, string | undefined> = {
  'multi-stage': [
    'FROM python:3.13 AS build',
    'RUN pip install --target /deps flask',
    '',
    'FROM dhi.io/python:3.13 AS runtime',
    'COPY --from=build /deps /deps',
    '',
  ].join('\n'),
  'arg-before-from': [
    'ARG REGISTRY=dhi.io',
    'ARG VERSION=3.13',
    'FROM ${REGISTRY}/python:${VERSION}-fips',
    'ARG VERSION',
    '',
  ].join('\n'),
  platform: [
    'FROM --platform=$BUILDPLATFORM python:3.13-slim AS build',
    'FROM --platform=linux/amd64 dhi.io/node:22',
    '',
  ].join('\n'),
  'stage-alias': [
    'FROM dhi.io/python:3.13-dev AS base',
    'FROM base AS debug',
    'RUN true',
    'FROM debug',
    '',
  ].join('\n'),
  digest: `FROM dhi.io/python:3.13@${DIGEST}\n`,
  'lowercase-comments-continuations': [
    '# syntax=docker/dockerfile:1',
    '# FROM evil.example/not-this:1',
    'from \\',
    '  # a comment inside the continuation',
    '  dhi.io/python:3.12 \\',
    '  as runtime',
    'cmd ["python"]',
    '',
  ].join('\n'),
  'no-dockerfile': undefined,
  unparseable: 'FROM dhi.io/python:3.13 AS a b c\n',
  'unknown-instruction': 'FROM dhi.io/python:3.13\nFROMM x\n',
  binary: 'FROM dhi.io/python:3.13\n\u0000\u0001',
  scratch: 'FROM scratch\nCOPY app /app\n',
  'unresolved-arg': 'ARG TAG\nFROM dhi.io/python:$TAG\n',
};

const component = (name: string, location?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: location
      ? { 'backstage.io/managed-by-location': location }
      : {},
  },
  spec: { type: 'service', owner: 'team', lifecycle: 'production' },
});

describe('DockerfileDiscovery', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'discovery-'));
    for (const [name, dockerfile] of Object.entries(REPOSITORIES)) {
      fs.mkdirSync(path.join(root, 'repos', name), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'repos', name, 'catalog-info.yaml'),
        'kind: Component\n',
      );
      if (dockerfile !== undefined)
        fs.writeFileSync(
          path.join(root, 'repos', name, 'Dockerfile'),
          dockerfile,
        );
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const fileEntity = (name: string) =>
    component(
      name,
      `file:${path.join(root, 'repos', name, 'catalog-info.yaml')}`,
    );

  async function createDiscovery(
    databaseId: Parameters<typeof databases.init>[0],
    urlReader: UrlReaderService = mockServices.urlReader.mock(),
  ) {
    const knex = await databases.init(databaseId);
    const store = new DiscoveryStore(
      await migratedClient(mockServices.database({ knex })),
    );
    const discovery = new DockerfileDiscovery({
      reader: new DockerfileReader({
        urlReader,
        integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
        fileRoots: [path.join(root, 'repos')],
      }),
      store,
    });
    return { discovery, store };
  }

  it.each(databases.eachSupportedId())(
    'reads the final base image of every kind of Dockerfile, %p',
    async databaseId => {
      const { discovery, store } = await createDiscovery(databaseId);
      const entities = Object.keys(REPOSITORIES).map(fileEntity);
      const results = await discovery.refresh(entities);
      const byName = Object.fromEntries(
        [...results].map(([ref, result]) => [ref.split('/')[1], result]),
      );
      expect(byName).toEqual({
        'multi-stage': {
          kind: 'found',
          file: 'Dockerfile',
          image: 'dhi.io/python:3.13',
          line: 4,
        },
        'arg-before-from': {
          kind: 'found',
          file: 'Dockerfile',
          image: 'dhi.io/python:3.13-fips',
          line: 3,
        },
        platform: {
          kind: 'found',
          file: 'Dockerfile',
          image: 'dhi.io/node:22',
          line: 2,
        },
        'stage-alias': {
          kind: 'found',
          file: 'Dockerfile',
          image: 'dhi.io/python:3.13-dev',
          line: 1,
        },
        digest: {
          kind: 'found',
          file: 'Dockerfile',
          image: `dhi.io/python:3.13@${DIGEST}`,
          line: 1,
        },
        'lowercase-comments-continuations': {
          kind: 'found',
          file: 'Dockerfile',
          image: 'dhi.io/python:3.12',
          line: 3,
        },
        'no-dockerfile': {
          kind: 'absent',
          message: `there is no Dockerfile beside its catalog-info.yaml (file:${path.join(
            root,
            'repos',
            'no-dockerfile',
            'Dockerfile',
          )})`,
        },
        unparseable: {
          kind: 'unreadable',
          file: 'Dockerfile',
          line: 1,
          message:
            'Dockerfile line 1: FROM must be "FROM [--platform=<platform>] <image> [AS <name>]"',
        },
        'unknown-instruction': {
          kind: 'unreadable',
          file: 'Dockerfile',
          line: 2,
          message: 'Dockerfile line 2: unknown instruction "FROMM"',
        },
        binary: expect.objectContaining({
          kind: 'unreadable',
          message: expect.stringMatching(
            /^Dockerfile line 2: the file is not a text Dockerfile/,
          ),
        }),
        scratch: expect.objectContaining({
          kind: 'unreadable',
          message:
            'Dockerfile line 1: the final stage is FROM scratch, which has no base image',
        }),
        'unresolved-arg': expect.objectContaining({
          kind: 'unreadable',
          message: expect.stringMatching(
            /ARG TAG has no default value, so the image depends on --build-arg TAG/,
          ),
        }),
      });
      // stored for the cards, which never read the repository again
      const stored = await store.all();
      expect(stored.get('component:default/multi-stage')).toMatchObject({
        location: `file:${path.join(
          root,
          'repos',
          'multi-stage',
          'Dockerfile',
        )}`,
        result: byName['multi-stage'],
      });
      expect(stored.size).toBe(Object.keys(REPOSITORIES).length);

      // a component gone from the catalog loses its result
      await discovery.refresh(entities.slice(1));
      expect((await store.all()).has('component:default/multi-stage')).toBe(
        false,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'reads through the UrlReader once per distinct file, skipping unchanged ones by ETag, %p',
    async databaseId => {
      let content = 'FROM dhi.io/python:3.13\n';
      let etag = 'v1';
      const readUrl = jest.fn(async (url: string, options?: any) => {
        if (url.includes('/missing/')) throw new NotFoundError('no such file');
        if (url.includes('/private/'))
          throw new Error('401 Unauthorized: bad credentials');
        if (options?.etag === etag) throw new NotModifiedError('unchanged');
        return { buffer: async () => Buffer.from(content), etag };
      });
      const { discovery } = await createDiscovery(
        databaseId,
        mockServices.urlReader.mock({ readUrl }),
      );
      const url = (repo: string) =>
        `url:https://github.com/acme/${repo}/blob/main/catalog-info.yaml`;
      // two components described in the same catalog-info.yaml share a Dockerfile
      const entities = [
        component('api', url('mono')),
        component('worker', url('mono')),
        component('gone', url('missing')),
        component('secret', url('private')),
        component('nowhere'),
      ];
      const first = await discovery.refresh(entities);
      expect(readUrl).toHaveBeenCalledTimes(3);
      expect(readUrl).toHaveBeenCalledWith(
        'https://github.com/acme/mono/tree/main/Dockerfile',
        { etag: undefined },
      );
      expect(first.get('component:default/api')).toEqual({
        kind: 'found',
        file: 'Dockerfile',
        image: 'dhi.io/python:3.13',
        line: 1,
      });
      expect(first.get('component:default/worker')).toEqual(
        first.get('component:default/api'),
      );
      expect(first.get('component:default/gone')).toMatchObject({
        kind: 'absent',
      });
      expect(first.get('component:default/secret')).toEqual({
        kind: 'unreadable',
        file: 'Dockerfile',
        message:
          'Dockerfile could not be read: https://github.com/acme/private/tree/main/Dockerfile could not be read: 401 Unauthorized: bad credentials',
      });
      expect(first.get('component:default/nowhere')).toEqual({
        kind: 'absent',
        message:
          'its catalog location is neither a url nor a file, so there is no Dockerfile to read',
      });

      // unchanged: asked with its ETag, the stored result is kept
      readUrl.mockClear();
      const second = await discovery.refresh(entities);
      expect(readUrl).toHaveBeenCalledWith(
        'https://github.com/acme/mono/tree/main/Dockerfile',
        { etag: 'v1' },
      );
      expect(second.get('component:default/api')).toEqual(
        first.get('component:default/api'),
      );

      // changed: read again
      content = 'FROM dhi.io/python:3.13-fips\n';
      etag = 'v2';
      const third = await discovery.refresh(entities);
      expect(third.get('component:default/api')).toMatchObject({
        image: 'dhi.io/python:3.13-fips',
      });
    },
  );

  it('looks a card up from the store, reading a Dockerfile only when it has no result yet', async () => {
    const readUrl = jest.fn(async () => ({
      buffer: async () => Buffer.from('FROM dhi.io/node:22\n'),
    }));
    const { discovery, store } = await createDiscovery(
      'SQLITE_3',
      mockServices.urlReader.mock({ readUrl }),
    );
    const entity = component(
      'new-service',
      'url:https://github.com/acme/new/blob/main/catalog-info.yaml',
    );
    const [a, b] = await Promise.all([
      discovery.lookup(entity),
      discovery.lookup(entity),
    ]);
    expect(a).toEqual({
      kind: 'found',
      file: 'Dockerfile',
      image: 'dhi.io/node:22',
      line: 1,
    });
    expect(b).toEqual(a);
    expect(await discovery.lookup(entity)).toEqual(a);
    expect(readUrl).toHaveBeenCalledTimes(1);
    expect((await store.get('component:default/new-service'))?.result).toEqual(
      a,
    );

    // another replica (a new instance) finds it in the database
    const other = new DockerfileDiscovery({
      reader: new DockerfileReader({
        urlReader: mockServices.urlReader.mock({ readUrl }),
        integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
        fileRoots: [],
      }),
      store,
    });
    expect(await other.lookup(entity)).toEqual(a);
    expect(readUrl).toHaveBeenCalledTimes(1);

    // a moved location is looked up afresh
    const moved = component(
      'new-service',
      'url:https://github.com/acme/moved/blob/main/catalog-info.yaml',
    );
    await other.lookup(moved);
    expect(readUrl).toHaveBeenCalledTimes(2);
    expect(readUrl).toHaveBeenLastCalledWith(
      'https://github.com/acme/moved/tree/main/Dockerfile',
      { etag: undefined },
    );
  });
});
