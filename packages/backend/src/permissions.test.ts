import {
  AuthService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import request from 'supertest';
import permissionPolicyModule from './modules/permissionPolicy';

jest.setTimeout(60_000);

const ADMIN = 'user:default/dan';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

/** Group memberships, as the auth backend would resolve them from the catalog. */
const MEMBERSHIPS: Record<string, string[]> = {
  [ADMIN]: ['group:default/platform-team'],
  [ALICE]: ['group:default/payments-team'],
  [BOB]: ['group:default/records-team'],
};

const template: Entity = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'noop', namespace: 'default' },
  spec: {
    type: 'service',
    owner: 'group:default/platform-team',
    parameters: [],
    steps: [],
  },
};

/**
 * mockServices.auth, except that a plugin calling another on a user's behalf
 * is named as the token's actor, as the real auth service does: the
 * permission backend refuses resource permissions without a resourceRef from
 * a user directly, and the scaffolder asks for its template permissions that
 * way. (The mock's on-behalf-of tokens lose the actor.)
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): AuthService {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    return {
      authenticate: (token, options) => auth.authenticate(token, options),
      isPrincipal: auth.isPrincipal.bind(auth) as AuthService['isPrincipal'],
      getNoneCredentials: () => auth.getNoneCredentials(),
      getOwnServiceCredentials: () => auth.getOwnServiceCredentials(),
      getLimitedUserToken: credentials => auth.getLimitedUserToken(credentials),
      listPublicServiceKeys: () => auth.listPublicServiceKeys(),
      getPluginRequestToken: async options =>
        auth.isPrincipal(options.onBehalfOf, 'user')
          ? {
              token: mockCredentials.user.token(
                options.onBehalfOf.principal.userEntityRef,
                { actor: { subject: `plugin:${plugin.getId()}` } },
              ),
            }
          : auth.getPluginRequestToken(options),
    };
  },
});

/**
 * The real scaffolder and permission backends with this portal's policy and
 * the real permissions client, which asks the permission backend over HTTP:
 * the Template Editor's dry-run and the task rules as the portal enforces them.
 */
describe('permissions in the assembled backend', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        permissionPlugin,
        permissionPolicyModule,
        authWithActors,
        catalogServiceMock.factory({ entities: [template] }),
        mockServices.userInfo.mock({
          getUserInfo: async credentials => {
            const { userEntityRef } = (
              credentials as typeof credentials & {
                principal: { userEntityRef: string };
              }
            ).principal;
            return {
              userEntityRef,
              ownershipEntityRefs: [
                userEntityRef,
                ...(MEMBERSHIPS[userEntityRef] ?? []),
              ],
            };
          },
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            baseImages: { admins: ['group:default/platform-team'] },
          },
        }),
      ],
    }));
  });

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });

  const dryRun = (user: string) =>
    request(server).post('/api/scaffolder/v2/dry-run').set(as(user)).send({
      template,
      values: {},
      directoryContents: [],
    });

  it("refuses a non-admin's dry-run (403)", async () => {
    const response = await dryRun(ALICE);
    expect(response.status).toBe(403);
    expect(response.body.error.name).toBe('NotAllowedError');
  });

  it("runs an admin's dry-run (member of an admin group)", async () => {
    const response = await dryRun(ADMIN);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ steps: [], output: {} });
  });

  it('lets everyone create from a registered template, and read only their own tasks', async () => {
    const created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set(as(ALICE))
      .send({ templateRef: 'template:default/noop', values: {} });
    expect(created.status).toBe(201);
    const task = `/api/scaffolder/v2/tasks/${created.body.id}`;

    expect((await request(server).get(task).set(as(ALICE))).status).toBe(200);
    expect((await request(server).get(task).set(as(BOB))).status).toBe(403);
    expect((await request(server).get(task).set(as(ADMIN))).status).toBe(200);
    expect(
      (await request(server).post(`${task}/cancel`).set(as(BOB))).status,
    ).toBe(403);

    const listed = (user: string) =>
      request(server)
        .get('/api/scaffolder/v2/tasks')
        .set(as(user))
        .then(r => r.body.tasks.map((t: { id: string }) => t.id));
    expect(await listed(ALICE)).toContain(created.body.id);
    expect(await listed(BOB)).not.toContain(created.body.id);
    expect(await listed(ADMIN)).toContain(created.body.id);
  });

  it('fails start-up on an admin without a kind, naming it', async () => {
    await expect(
      startTestBackend({
        features: [
          permissionPlugin,
          permissionPolicyModule,
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              baseImages: { admins: ['platform-team'] },
            },
          }),
        ],
      }),
    ).rejects.toThrow(
      /Invalid app-config at 'baseImages\.admins\[0\]': "platform-team" is not an entity ref/,
    );
  });
});
