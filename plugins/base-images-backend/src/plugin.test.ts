import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  BackstageCredentials,
  createServiceFactory,
  ServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { ATTESTATION_STATUSES } from '@internal/backstage-plugin-base-images-common';
import request from 'supertest';
import { baseImagesPlugin } from './plugin';
import { attestationServiceRef } from './service/attestationServiceRef';
import { startFakeRegistry, FakeRegistry } from './__testUtils__/fakeRegistry';
import { Pusher } from './__testUtils__/pusher';
import { pushImage } from './__testUtils__/images';

const component = (
  name: string,
  annotations: Record<string, string>,
  spec: Record<string, string> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: {
    type: 'service',
    lifecycle: 'production',
    owner: 'group:default/team',
    ...spec,
  },
});

/** The one user the mock permission policy lets force re-checks. */
const ADMIN = 'user:default/admin';

/** Where a component's catalog-info.yaml is: `file:<dir>/<repo>/catalog-info.yaml`. */
const managedBy = (dir: string, repo: string) => ({
  'backstage.io/managed-by-location': `file:${path.join(
    dir,
    repo,
    'catalog-info.yaml',
  )}`,
});

/** Writes `<dir>/<repo>/Dockerfile` for each entry. */
function writeRepositories(dir: string, dockerfiles: Record<string, string>) {
  for (const [repo, dockerfile] of Object.entries(dockerfiles)) {
    fs.mkdirSync(path.join(dir, repo), { recursive: true });
    fs.writeFileSync(path.join(dir, repo, 'Dockerfile'), dockerfile);
  }
}

type MockScheduler = SchedulerService & {
  factory(options: { skipTaskRunOnStartup: boolean }): ServiceFactory;
};

describe('base-images backend plugin', () => {
  let registry: FakeRegistry;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const auth = mockServices.auth();
  const permissions = mockServices.permissions.mock({
    authorize: async (requests, { credentials }) =>
      requests.map(() => ({
        result:
          auth.isPrincipal(credentials, 'user') &&
          credentials.principal.userEntityRef === ADMIN
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
  });

  const repos = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-repos-'));
  const outsideRoots = fs.mkdtempSync(
    path.join(os.tmpdir(), 'plugin-outside-'),
  );
  const readUrl = jest.fn(async () => ({
    buffer: async () => Buffer.from('FROM dhi.io/python:3.13\n'),
  }));

  beforeAll(async () => {
    registry = await startFakeRegistry();
    const pusher = new Pusher(registry);
    await pushImage(pusher, 'library/python', '3.13-slim');
    // checked by the refresh tests only, so no earlier check rate-limits them
    await pushImage(pusher, 'library/python', '3.12-slim');
    writeRepositories(repos, {
      discovered: [
        `ARG REGISTRY=${registry.host}`,
        'FROM ${REGISTRY}/library/python:3.13 AS build',
        'FROM --platform=$BUILDPLATFORM ${REGISTRY}/library/python:3.13-slim AS runtime',
        'FROM runtime',
        '',
      ].join('\n'),
      disagrees: `FROM ${registry.host}/library/python:3.13-slim\n`,
      unparseable: 'FROM a b c d\n',
    });
    writeRepositories(outsideRoots, { secret: 'FROM secret.example/x:1\n' });
    const entities: Entity[] = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: {
          name: 'records',
          namespace: 'default',
          annotations: { 'compliance/frameworks': 'hipaa' },
        },
        spec: { owner: 'team' },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: { name: 'team', namespace: 'default' },
        spec: { type: 'team', children: [] },
      },
      component(
        'drifted',
        {
          'base-image/ref': `${registry.host}/library/python:3.13-slim`,
          'base-image/runtime': 'python',
        },
        { system: 'records' },
      ),
      component('plain', {
        'base-image/ref': `${registry.host}/library/python:3.13-slim`,
        'base-image/runtime': 'python',
      }),
      component('elsewhere', {
        'base-image/ref': 'ghcr.io/acme/base:1',
        'base-image/runtime': 'python',
      }),
      component('broken', {
        'base-image/ref': 'dhi.io/../etc',
        'compliance/frameworks': 'soc2',
      }),
      component('bad-compliance', {
        'base-image/ref': 'dhi.io/python:3.13',
        'compliance/frameworks': 'x'.repeat(2000),
      }),
      component('none', {}),
      component('refreshable', {
        'base-image/ref': `${registry.host}/library/python:3.12-slim`,
        'base-image/runtime': 'python',
      }),
      component('discovered', managedBy(repos, 'discovered')),
      component('disagrees', {
        ...managedBy(repos, 'disagrees'),
        'base-image/ref': `${registry.host}/library/python:3.12-slim`,
      }),
      component('unparseable', managedBy(repos, 'unparseable')),
      component('outside', managedBy(outsideRoots, 'secret')),
      component('on-github', {
        'backstage.io/managed-by-location':
          'url:https://github.com/acme/on-github/blob/main/catalog-info.yaml',
      }),
    ];
    ({ server } = await startTestBackend({
      features: [
        baseImagesPlugin,
        catalogServiceMock.factory({ entities }),
        permissions.factory,
        // a request without a token carries no credentials, as in production
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.urlReader.mock({ readUrl }).factory,
        mockServices.rootConfig.factory({
          data: {
            baseImages: {
              registries: [{ host: registry.host, insecure: true }],
              requiredAttestations: ['https://slsa.dev/provenance/'],
            },
            catalog: {
              locations: [
                {
                  type: 'file',
                  target: path.join(repos, '*', 'catalog-info.yaml'),
                },
              ],
            },
          },
        }),
      ],
    }));
  });
  afterAll(async () => {
    await registry.stop();
    fs.rmSync(repos, { recursive: true, force: true });
    fs.rmSync(outsideRoots, { recursive: true, force: true });
  });

  const get = (pathname: string) =>
    request(server)
      .get(`/api/base-images${pathname}`)
      .set('Authorization', mockCredentials.user.header());

  it('requires a Backstage credential', async () => {
    const response = await request(server).get(
      '/api/base-images/entities/component/default/plain',
    );
    expect(response.status).toBe(401);
  });

  it('answers 404 for an entity the caller cannot see', async () => {
    const response = await get('/entities/component/default/ghost');
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe(
      'component:default/ghost was not found',
    );
  });

  it('rejects malformed entity ref parts', async () => {
    expect(
      (await get('/entities/component/default/%2e%2e%2fsecret')).status,
    ).toBe(400);
  });

  it('reports a drifted component plainly, with its attestation status', async () => {
    const response = await get('/entities/component/default/drifted');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      entityRef: 'component:default/drifted',
      image: {
        registry: registry.host,
        repository: 'library/python',
        tag: '3.13-slim',
        digest: expect.stringMatching(/^sha256:/),
      },
      variant: 'slim',
      policy: {
        frameworks: [
          { id: 'hipaa', source: 'system:default/records', known: true },
        ],
        compliant: false,
        required: 'dhi.io/python:3.13-fips',
        violations: [
          'hipaa (from system:default/records) requires a Docker Hardened Image',
          'hipaa (from system:default/records) requires a FIPS-enabled (-fips) image',
        ],
      },
      attestation: {
        status: 'unsigned',
        checkedAt: expect.any(String),
        message: 'no signature found',
      },
    });
  });

  const refresh = (name: string, user?: string) =>
    request(server)
      .post(`/api/base-images/entities/component/default/${name}/refresh`)
      .set('Authorization', mockCredentials.user.header(user));

  it('refresh re-checks now, for those allowed to, at most once a minute', async () => {
    const before = registry.requests.length;
    const response = await refresh('refreshable', ADMIN);
    expect(response.status).toBe(200);
    expect(response.body.policy.compliant).toBe(true);
    expect(response.body.attestation.message).toBe('no signature found');
    expect(registry.requests.length).toBeGreaterThan(before);
    expect(permissions.authorize).toHaveBeenLastCalledWith(
      [
        {
          permission: expect.objectContaining({
            name: 'base-images.entity.refresh',
            resourceType: 'catalog-entity',
          }),
          resourceRef: 'component:default/refreshable',
        },
      ],
      { credentials: expect.anything() },
    );

    const afterFirst = registry.requests.length;
    const again = await refresh('refreshable', ADMIN);
    expect(again.status).toBe(200);
    expect(again.body.attestation.message).toMatch(
      /^no signature found \(checked \d+ s ago; an image is re-checked at most once a minute\)$/,
    );
    expect(registry.requests.length).toBe(afterFirst);
  });

  it('refuses a refresh without the permission (403), while reading stays open', async () => {
    const before = registry.requests.length;
    const denied = await refresh('plain');
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringMatching(
        /You may not force a re-check of the base image of component:default\/plain \(permission base-images\.entity\.refresh\)/,
      ),
    });
    expect(registry.requests.length).toBe(before);
    expect((await get('/entities/component/default/plain')).status).toBe(200);
  });

  it('lists the refresh permission in the permission metadata', async () => {
    const response = await request(server)
      .get('/api/base-images/.well-known/backstage/permissions/metadata')
      .set('Authorization', mockCredentials.service.header());
    expect(response.status).toBe(200);
    expect(response.body.permissions).toContainEqual({
      type: 'resource',
      name: 'base-images.entity.refresh',
      attributes: { action: 'update' },
      resourceType: 'catalog-entity',
    });
  });

  it('bad annotations become clear messages, not errors', async () => {
    const broken = await get('/entities/component/default/broken');
    expect(broken.status).toBe(200);
    expect(broken.body.attestation).toMatchObject({
      status: 'not-checked',
      message: expect.stringMatching(
        /'base-image\/ref' is unusable: Invalid image reference "dhi\.io\/\.\.\/etc"/,
      ),
    });
    const compliance = await get('/entities/component/default/bad-compliance');
    expect(compliance.body.policy).toMatchObject({
      compliant: false,
      error: expect.stringMatching(
        /'compliance\/frameworks' on component:default\/bad-compliance is malformed/,
      ),
    });
    const none = await get('/entities/component/default/none');
    expect(none.body.attestation).toMatchObject({
      status: 'not-checked',
      message:
        "no 'base-image/ref' annotation, and its catalog location is neither a url nor a file, so there is no Dockerfile to read",
    });
    const elsewhere = await get('/entities/component/default/elsewhere');
    expect(elsewhere.body.attestation.status).toBe('not-checked');
  });

  it('previews the images for a new service as base-images:resolve would', async () => {
    const post = (body: object) =>
      request(server)
        .post('/api/base-images/preview')
        .set('Authorization', mockCredentials.user.header())
        .send(body);
    const hipaa = await post({
      runtime: 'python',
      system: 'system:default/records',
      owner: 'group:default/team',
    });
    expect(hipaa.status).toBe(200);
    expect(hipaa.body).toMatchObject({
      runtimeImage: 'dhi.io/python:3.13-fips',
      variant: 'dhi-fips',
      frameworks: [{ id: 'hipaa', source: 'system:default/records' }],
    });
    expect((await post({ runtime: 'node' })).body.runtimeImage).toBe(
      'node:22-slim',
    );
    const unmeetable = await post({
      runtime: 'python',
      version: '3.12',
      system: 'records',
    });
    expect(unmeetable.status).toBe(400);
    expect(unmeetable.body.error.message).toMatch(
      /Cannot meet framework hipaa \(from system:default\/records\)/,
    );
    expect(
      (await post({ runtime: 'python', system: 'ghost' })).body.error.message,
    ).toMatch(/system:default\/ghost is not in the catalog/);
    expect((await post({ runtime: 42 })).status).toBe(400);
    // read as base-images:resolve reads it: a ref is only a ref
    const injected = await post({
      runtime: 'python',
      owner: 'user:default/a\nFROM x AS y',
    });
    expect(injected.status).toBe(400);
    expect(injected.body.error.message).toMatch(
      /owner .* contains the control character U\+000A/,
    );
  });

  it('fails start-up on a misspelled baseImages key, naming it', async () => {
    await expect(
      startTestBackend({
        features: [
          baseImagesPlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: { baseImages: { registires: [] } },
          }),
        ],
      }),
    ).rejects.toThrow(
      /Invalid app-config at 'baseImages\.registires': unknown key; did you mean 'baseImages\.registries'\?/,
    );
  });

  it('tells the digest a tag points at now, for pinning new services', async () => {
    const post = (body: object) =>
      request(server)
        .post('/api/base-images/digests')
        .set('Authorization', mockCredentials.service.header())
        .send(body);
    const slim = `${registry.host}/library/python:3.13-slim`;
    const response = await post({
      images: [slim, 'ghcr.io/acme/base:1', 'not an image', `${slim}-nope`],
    });
    expect(response.status).toBe(200);
    const [pinned, elsewhere, malformed, missing] = response.body.items;
    expect(pinned).toEqual({
      image: slim,
      digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
    });
    // the index digest, which is what `docker pull <tag>` resolves to
    const index = registry.requests.length;
    expect((await post({ images: [slim] })).body.items[0]).toEqual(pinned);
    expect(registry.requests.length).toBe(index);
    expect(elsewhere.message).toBe(
      'ghcr.io is not in baseImages.registries, so it is never contacted',
    );
    expect(malformed.message).toMatch(/Invalid image reference "not an image"/);
    expect(missing.message).toMatch(/was not found/);
    expect((await post({ images: [] })).status).toBe(400);
    expect(
      (await post({ images: Array.from({ length: 11 }, () => slim) })).status,
    ).toBe(400);
    expect(
      (await request(server).post('/api/base-images/digests').send({})).status,
    ).toBe(401);
    // a user's own token may not spend registry requests here; the scaffolder
    // acting for the user may
    const asUser = await request(server)
      .post('/api/base-images/digests')
      .set('Authorization', mockCredentials.user.header())
      .send({ images: [slim] });
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.message).toMatch(/for plugins acting for a user/);
    const forUser = await request(server)
      .post('/api/base-images/digests')
      .set(
        'Authorization',
        `Bearer ${mockCredentials.user.token('user:default/someone', {
          actor: { subject: 'plugin:scaffolder' },
        })}`,
      )
      .send({ images: [slim] });
    expect(forUser.status).toBe(200);
    expect(forUser.body.items[0]).toEqual(pinned);
  });

  it('takes its attestation service from attestationServiceRef, so it can be swapped', async () => {
    const status = jest.fn(async () => ({
      digest: `sha256:${'b'.repeat(64)}`,
      report: {
        status: 'verified' as const,
        checkedAt: new Date().toISOString(),
        message: 'from the swapped service',
        signatures: [],
        attestations: [],
      },
    }));
    const swapped = await startTestBackend({
      features: [
        baseImagesPlugin,
        catalogServiceMock.factory({
          entities: [
            component('swapped', { 'base-image/ref': 'dhi.io/python:3.13' }),
          ],
        }),
        createServiceFactory({
          service: attestationServiceRef,
          deps: {},
          factory: () => ({
            status,
            resolveDigest: async () => ({ message: 'not used' }),
          }),
        }),
        mockServices.rootConfig.factory({
          data: { baseImages: { registries: [{ host: 'dhi.io' }] } },
        }),
      ],
    });
    const response = await request(swapped.server)
      .get('/api/base-images/entities/component/default/swapped')
      .set('Authorization', mockCredentials.user.header());
    expect(response.body.attestation.message).toBe('from the swapped service');
    expect(status).toHaveBeenCalledWith(
      expect.objectContaining({ registry: 'dhi.io', repository: 'python' }),
      { force: false },
    );
    await swapped.stop();
  });

  it('shows the base image of a component that declares none, from the final stage of its Dockerfile', async () => {
    const response = await get('/entities/component/default/discovered');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      image: {
        ref: `${registry.host}/library/python:3.13-slim`,
        tag: '3.13-slim',
        digest: expect.stringMatching(/^sha256:/),
        discoveredFrom: 'Dockerfile:3',
      },
      variant: 'slim',
      policy: { compliant: true },
      attestation: { status: 'unsigned', message: 'no signature found' },
    });
    expect(response.body.findings).toBeUndefined();
  });

  it('checks a declared image, and reports a Dockerfile that disagrees with it', async () => {
    const response = await get('/entities/component/default/disagrees');
    expect(response.body.image).toMatchObject({
      ref: `${registry.host}/library/python:3.12-slim`,
    });
    expect(response.body.image.discoveredFrom).toBeUndefined();
    expect(response.body.findings).toEqual([
      {
        kind: 'declared-differs',
        message: `'base-image/ref' says ${registry.host}/library/python:3.12-slim, but the final stage of Dockerfile (line 1) starts FROM ${registry.host}/library/python:3.13-slim; the annotation is what is checked here. Make them agree.`,
      },
    ]);
  });

  it('makes a Dockerfile that does not parse a finding, not a failure', async () => {
    const response = await get('/entities/component/default/unparseable');
    expect(response.status).toBe(200);
    expect(response.body.attestation.status).toBe('not-checked');
    expect(response.body.findings).toEqual([
      {
        kind: 'dockerfile-unreadable',
        message:
          'Dockerfile line 1: FROM must be "FROM [--platform=<platform>] <image> [AS <name>]"',
      },
    ]);
  });

  it('never reads a Dockerfile outside the file locations the catalog config names', async () => {
    const response = await get('/entities/component/default/outside');
    expect(response.body.image).toBeUndefined();
    expect(response.body.findings).toEqual([
      {
        kind: 'dockerfile-unreadable',
        message: `Dockerfile could not be read: ${path.join(
          outsideRoots,
          'secret',
          'Dockerfile',
        )} is not under a directory that a catalog.locations entry of type file names, so it is not read`,
      },
    ]);
  });

  it("reads a url location's Dockerfile through the UrlReader, once", async () => {
    readUrl.mockClear();
    const first = await get('/entities/component/default/on-github');
    const second = await get('/entities/component/default/on-github');
    expect(first.body.image).toMatchObject({
      ref: 'dhi.io/python:3.13',
      discoveredFrom: 'Dockerfile:1',
    });
    expect(second.body.image).toEqual(first.body.image);
    expect(readUrl).toHaveBeenCalledTimes(1);
    expect(readUrl).toHaveBeenCalledWith(
      'https://github.com/acme/on-github/tree/main/Dockerfile',
      { etag: undefined },
    );
  });
});

describe('base-images fleet overview', () => {
  /** Sees every component but `hidden` (a CONDITIONAL catalog read decision). */
  const LIMITED = 'user:default/limited';
  /** May read no catalog entity. */
  const NOBODY = 'user:default/nobody';
  const who = (credentials: BackstageCredentials) =>
    (credentials.principal as { userEntityRef?: string }).userEntityRef;

  let registry: FakeRegistry;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const scheduler = mockServices.scheduler() as MockScheduler;
  const repos = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-repos-'));
  const streamed: Array<string | undefined> = [];

  beforeAll(async () => {
    registry = await startFakeRegistry();
    await pushImage(new Pusher(registry), 'library/python', '3.13-slim');
    const slim = `${registry.host}/library/python:3.13-slim`;
    writeRepositories(repos, { discovered: `FROM ${slim}\n` });
    const entities: Entity[] = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: {
          name: 'records',
          namespace: 'default',
          annotations: { 'compliance/frameworks': 'hipaa' },
        },
        spec: { owner: 'team' },
      },
      component('drifted', { 'base-image/ref': slim }, { system: 'records' }),
      component('plain', { 'base-image/ref': slim }),
      component('elsewhere', { 'base-image/ref': 'ghcr.io/acme/base:1' }),
      component('broken', { 'base-image/ref': 'dhi.io/../etc' }),
      component('discovered', managedBy(repos, 'discovered')),
      component('none', {}),
      component('other-team', { 'base-image/ref': slim }, { owner: 'team-b' }),
      component('hidden', { 'base-image/ref': slim }),
    ];
    const inner = catalogServiceMock({ entities });
    // the catalog as each caller may read it: the limited user does not see `hidden`
    const catalog = new Proxy(inner, {
      get(target, key) {
        if (key === 'streamEntities') {
          return async function* streamEntities(
            req: any,
            options: { credentials: BackstageCredentials },
          ) {
            streamed.push(who(options.credentials));
            for await (const page of target.streamEntities(req, options)) {
              yield who(options.credentials) === LIMITED
                ? page.filter(e => e.metadata.name !== 'hidden')
                : page;
            }
          };
        }
        const value = (target as any)[key];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    ({ server } = await startTestBackend({
      features: [
        baseImagesPlugin,
        createServiceFactory({
          service: catalogServiceRef,
          deps: {},
          factory: () => catalog,
        }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.permissions.mock({
          authorizeConditional: async (requests, { credentials }) =>
            requests.map(() => {
              if (who(credentials) === NOBODY)
                return { result: AuthorizeResult.DENY };
              if (who(credentials) === LIMITED) {
                return {
                  result: AuthorizeResult.CONDITIONAL,
                  pluginId: 'catalog',
                  resourceType: 'catalog-entity',
                  conditions: {
                    rule: 'IS_ENTITY_OWNER',
                    resourceType: 'catalog-entity',
                    params: { claims: [LIMITED] },
                  },
                };
              }
              return { result: AuthorizeResult.ALLOW };
            }),
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            baseImages: {
              registries: [{ host: registry.host, insecure: true }],
            },
            catalog: {
              locations: [
                {
                  type: 'file',
                  target: path.join(repos, '*', 'catalog-info.yaml'),
                },
              ],
            },
          },
        }),
      ],
    }));
  });
  afterAll(async () => {
    await registry.stop();
    fs.rmSync(repos, { recursive: true, force: true });
  });

  const overview = (query = '', user?: string) =>
    request(server)
      .get(`/api/base-images/overview${query}`)
      .set('Authorization', mockCredentials.user.header(user));
  const refs = (body: any) =>
    body.items.map((i: any) => i.entityRef.split('/')[1]);

  it('gives a component new since the last refresh its row on its first card view', async () => {
    const empty = await overview();
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ items: [], totalCount: 0 });
    expect(empty.body.summary.total).toBe(0);

    const card = await request(server)
      .get('/api/base-images/entities/component/default/plain')
      .set('Authorization', mockCredentials.user.header());
    expect(card.status).toBe(200);
    // the row is written after the card's answer
    let after = await overview();
    for (let i = 0; i < 50 && after.body.totalCount === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 20));
      after = await overview();
    }
    expect(refs(after.body)).toEqual(['plain']);
    expect(after.body.items[0]).toMatchObject({
      owner: 'group:default/team',
      attestation: { status: 'unsigned' },
    });
  });

  it('lists, after a refresh, every component with a base image, most severe first, with a summary over all matches', async () => {
    await scheduler.triggerTask('base-images-refresh');
    const all = await overview('?limit=500');
    expect(all.status).toBe(200);
    // drift, then no verdict (a reference that does not parse), then unsigned, not-checked
    expect(refs(all.body)).toEqual([
      'broken',
      'drifted',
      'discovered',
      'hidden',
      'other-team',
      'plain',
      'elsewhere',
    ]);
    expect(all.body.totalCount).toBe(7);

    // the summary, against a count done here over the rows
    const items: any[] = all.body.items;
    const count = (match: (i: any) => boolean) => items.filter(match).length;
    expect(all.body.summary).toEqual({
      total: 7,
      byStatus: Object.fromEntries(
        ATTESTATION_STATUSES.map(s => [
          s,
          count(i => i.attestation.status === s),
        ]),
      ),
      byVerdict: {
        compliant: count(i => i.policy.compliant && !i.policy.error && i.image),
        drift: count(i => !i.policy.compliant && !i.policy.error && i.image),
        error: count(i => !!i.policy.error || !i.image),
      },
      byOwner: [
        {
          owner: 'group:default/team',
          total: 6,
          drift: 1,
          byStatus: { unsigned: 4, 'not-checked': 2 },
        },
        {
          owner: 'group:default/team-b',
          total: 1,
          drift: 0,
          byStatus: { unsigned: 1 },
        },
      ],
    });
    expect(
      items.find(i => i.entityRef === 'component:default/discovered').image
        .discoveredFrom,
    ).toBe('Dockerfile:1');

    // one page at a time, the summary still over every match
    const page = await overview('?limit=2&offset=2');
    expect(refs(page.body)).toEqual(['discovered', 'hidden']);
    expect(page.body.totalCount).toBe(7);
    expect(page.body.summary).toEqual(all.body.summary);
  });

  it.each([
    [
      '?status=unsigned&compliant=true',
      ['discovered', 'hidden', 'other-team', 'plain'],
    ],
    ['?compliant=false', ['broken', 'drifted']],
    ['?verdict=error', ['broken']],
    ['?framework=HIPAA', ['drifted']],
    ['?variant=slim&owner=group:default/team-b', ['other-team']],
    ['?q=DISCO', ['discovered']],
    ['?status=verified', []],
  ])('filters on the server: %s', async (query, expected) => {
    const response = await overview(query);
    expect(response.status).toBe(200);
    expect(refs(response.body)).toEqual(expected);
    expect(response.body.summary.total).toBe(expected.length);
  });

  it.each([
    ['?status=bogus', /status: Invalid enum value/],
    ['?status=unsigned&status=invalid', /status: status must be given once/],
    ['?limit=501', /limit: Number must be less than or equal to 500/],
    ['?limit=0', /limit: Number must be greater than or equal to 1/],
    ['?offset=-1', /offset: Number must be greater than or equal to 0/],
    ['?limit=ten', /limit: Expected number, received nan/],
    ['?framework=%25', /framework: must be a framework id such as hipaa/],
    ['?compliant=maybe', /compliant: Invalid enum value/],
    [
      '?compliant=true&verdict=drift',
      /compliant=true contradicts verdict=drift/,
    ],
  ])('refuses the query %s, saying why', async (query, message) => {
    const response = await overview(query);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(message);
  });

  it('shows only the components the caller may read in the catalog', async () => {
    streamed.length = 0;
    const limited = await overview('?limit=500', LIMITED);
    expect(refs(limited.body)).not.toContain('hidden');
    expect(limited.body.totalCount).toBe(6);
    expect(limited.body.summary.total).toBe(6);
    // the catalog was asked with the caller's own credentials
    expect(streamed).toEqual([LIMITED]);

    const nobody = await overview('', NOBODY);
    expect(nobody.body).toMatchObject({ items: [], totalCount: 0 });
    expect(nobody.body.summary.total).toBe(0);

    expect(
      (await request(server).get('/api/base-images/overview')).status,
    ).toBe(401);
  });
});

describe('a base image pinned by digest', () => {
  let registry: FakeRegistry;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let pusher: Pusher;

  it('is reported outdated once its tag moves to another image', async () => {
    registry = await startFakeRegistry();
    pusher = new Pusher(registry);
    const first = await pushImage(pusher, 'library/python', 'pinned');
    ({ server } = await startTestBackend({
      features: [
        baseImagesPlugin,
        catalogServiceMock.factory({
          entities: [
            component('pinned', {
              'base-image/ref': `${registry.host}/library/python:pinned@${first.indexDigest}`,
            }),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            baseImages: {
              registries: [{ host: registry.host, insecure: true }],
              // what the tag points at is asked again after this long
              status: { tagTtl: { seconds: 1 } },
            },
          },
        }),
      ],
    }));
    const card = () =>
      request(server)
        .get('/api/base-images/entities/component/default/pinned')
        .set('Authorization', mockCredentials.user.header());
    const before = await card();
    expect(before.status).toBe(200);
    expect(before.body.image.digest).toBe(first.indexDigest);
    expect(before.body.image.outdated).toBeUndefined();
    expect(before.body.findings).toBeUndefined();

    const second = await pushImage(pusher, 'library/python', 'pinned');
    await new Promise(resolve => setTimeout(resolve, 1100));
    const after = await card();
    expect(after.body.image.outdated).toMatchObject({
      pinnedDigest: first.indexDigest,
      currentDigest: second.indexDigest,
    });
    expect(after.body.findings).toEqual([
      {
        kind: 'outdated',
        message: expect.stringMatching(
          new RegExp(
            `^${
              registry.host
            }/library/python:pinned now points at ${second.indexDigest.slice(
              7,
              19,
            )}, but this service is pinned to ${first.indexDigest.slice(
              7,
              19,
            )}`,
          ),
        ),
      },
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
  });
});
