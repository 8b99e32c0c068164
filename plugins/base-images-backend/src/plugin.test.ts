import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createServiceFactory } from '@backstage/backend-plugin-api';
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

  beforeAll(async () => {
    registry = await startFakeRegistry();
    const pusher = new Pusher(registry);
    await pushImage(pusher, 'library/python', '3.13-slim');
    // checked by the refresh tests only, so no earlier check rate-limits them
    await pushImage(pusher, 'library/python', '3.12-slim');
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
        mockServices.rootConfig.factory({
          data: {
            baseImages: {
              registries: [{ host: registry.host, insecure: true }],
              requiredAttestations: ['https://slsa.dev/provenance/'],
            },
          },
        }),
      ],
    }));
  });
  afterAll(() => registry.stop());

  const get = (path: string) =>
    request(server)
      .get(`/api/base-images${path}`)
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
      message: "no 'base-image/ref' annotation",
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

  it('lists the fleet, filterable', async () => {
    const all = await get('/overview');
    expect(all.status).toBe(200);
    expect(all.body.totalCount).toBe(6);
    expect(all.body.items.map((i: any) => i.entityRef).sort()).toEqual([
      'component:default/bad-compliance',
      'component:default/broken',
      'component:default/drifted',
      'component:default/elsewhere',
      'component:default/plain',
      'component:default/refreshable',
    ]);
    const hipaa = await get('/overview?framework=hipaa');
    expect(hipaa.body.items.map((i: any) => i.entityRef)).toEqual([
      'component:default/drifted',
    ]);
    const unsigned = await get('/overview?status=unsigned&compliant=true');
    expect(unsigned.body.items.map((i: any) => i.entityRef).sort()).toEqual([
      'component:default/plain',
      'component:default/refreshable',
    ]);
    expect((await get('/overview?status=bogus')).status).toBe(400);
  });
});
