import { mockCredentials } from '@backstage/backend-test-utils';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  actionExecutePermission,
  taskCancelPermission,
  taskCreatePermission,
  taskReadPermission,
  templateDryRunPermission,
  templateManagementPermission,
  templateParameterReadPermission,
  templateStepReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import { baseImagesEntityRefreshPermission } from '@internal/backstage-plugin-base-images-common';
import { BaseImagesPermissionPolicy } from './permissionPolicy';

/** A signed-in user as the permission backend hands it to the policy. */
function user(userEntityRef: string, groups: string[] = []): PolicyQueryUser {
  return {
    credentials: mockCredentials.user(userEntityRef),
    info: {
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, ...groups],
    },
  };
}

const policy = new BaseImagesPermissionPolicy([
  'user:development/guest',
  'group:default/platform-team',
]);

const USERS: Record<string, PolicyQueryUser | undefined> = {
  'an admin by user ref': user('user:development/guest'),
  'an admin by group membership': user('user:default/dan', [
    'group:default/security-team',
    'group:default/platform-team',
  ]),
  'a non-admin': user('user:default/alice', ['group:default/payments-team']),
  // the permission backend passes no user for callers without a user
  // identity; service principals are decided before the policy
  // (ServerPermissionClient allows them within their access restrictions)
  'no user (service principal or unauthenticated)': undefined,
};

const decide = (permission: Permission, who: string) =>
  policy.handle({ permission }, USERS[who]);

const ADMIN_ONLY = [
  templateDryRunPermission,
  templateManagementPermission,
  baseImagesEntityRefreshPermission,
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
];

const OPEN = [
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  taskCreatePermission,
  templateParameterReadPermission,
  templateStepReadPermission,
  actionExecutePermission,
  createPermission({ name: 'some-plugin.thing.read', attributes: {} }),
];

describe('BaseImagesPermissionPolicy', () => {
  describe.each(ADMIN_ONLY.map(p => [p.name, p] as const))(
    '%s (admins only)',
    (_name, permission) => {
      it.each([
        ['an admin by user ref', AuthorizeResult.ALLOW],
        ['an admin by group membership', AuthorizeResult.ALLOW],
        ['a non-admin', AuthorizeResult.DENY],
        [
          'no user (service principal or unauthenticated)',
          AuthorizeResult.DENY,
        ],
      ])('%s: %s', async (who, result) => {
        expect(await decide(permission, who)).toEqual({ result });
      });
    },
  );

  describe.each(OPEN.map(p => [p.name, p] as const))(
    '%s (everyone)',
    (_name, permission) => {
      it.each(Object.keys(USERS))('%s: ALLOW', async who => {
        expect(await decide(permission, who)).toEqual({
          result: AuthorizeResult.ALLOW,
        });
      });
    },
  );

  describe.each([
    [taskReadPermission.name, taskReadPermission],
    [taskCancelPermission.name, taskCancelPermission],
  ] as const)('%s (own tasks; admins all)', (_name, permission) => {
    it.each(['an admin by user ref', 'an admin by group membership'])(
      '%s: ALLOW',
      async who => {
        expect(await decide(permission, who)).toEqual({
          result: AuthorizeResult.ALLOW,
        });
      },
    );

    it('a non-admin: only tasks they created', async () => {
      expect(await decide(permission, 'a non-admin')).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: 'scaffolder-task',
        conditions: {
          rule: 'IS_TASK_OWNER',
          resourceType: 'scaffolder-task',
          params: { createdBy: ['user:default/alice'] },
        },
      });
    });

    it('no user: DENY, no task is theirs', async () => {
      expect(
        await decide(
          permission,
          'no user (service principal or unauthenticated)',
        ),
      ).toEqual({ result: AuthorizeResult.DENY });
    });
  });

  it('matches admin refs whatever their case', async () => {
    const dan = user('user:default/Dan', ['group:default/Platform-Team']);
    expect(
      await policy.handle({ permission: templateDryRunPermission }, dan),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('with no admins configured, nobody may dry-run', async () => {
    const nobody = new BaseImagesPermissionPolicy([]);
    for (const who of Object.values(USERS)) {
      expect(
        await nobody.handle({ permission: templateDryRunPermission }, who),
      ).toEqual({ result: AuthorizeResult.DENY });
    }
  });
});
