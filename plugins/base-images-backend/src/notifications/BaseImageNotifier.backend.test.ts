import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { notificationService } from '@backstage/plugin-notifications-node';
import request from 'supertest';
import { statusOf } from './__testUtils__/statuses';
import { BaseImageNotifier } from './BaseImageNotifier';

jest.setTimeout(60_000);

const GUEST = 'user:development/guest';
const OUTSIDER = 'user:default/alice';

/** The example org in small: web-team owns the service, the guest is its member. */
const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'web-team', namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: GUEST }],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'guest', namespace: 'development' },
    spec: { memberOf: ['default/web-team'] },
    relations: [{ type: 'memberOf', targetRef: 'group:default/web-team' }],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'signed-service', namespace: 'default' },
    spec: { type: 'service', owner: 'web-team', lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/web-team' }],
  },
];

/**
 * The notifier inside a plugin with the base-images id, sending through the
 * real notifications backend, which resolves the owner group to its members.
 */
describe('BaseImageNotifier with the notifications backend', () => {
  it('delivers one notification per worsening and recovery to the members of the owner group', async () => {
    let notifier: BaseImageNotifier | undefined;
    const backend = await startTestBackend({
      features: [
        notificationsPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: { app: { baseUrl: 'http://localhost:3000' } },
        }),
        createBackendPlugin({
          pluginId: 'base-images',
          register(env) {
            env.registerInit({
              deps: {
                database: coreServices.database,
                logger: coreServices.logger,
                notifications: notificationService,
              },
              async init(deps) {
                notifier = await BaseImageNotifier.create(deps);
              },
            });
          },
        }),
      ],
    });
    try {
      const inbox = async (user: string) =>
        (
          await request(backend.server)
            .get('/api/notifications/notifications')
            .query({ topic: 'base-images' })
            .set('Authorization', mockCredentials.user.header(user))
        ).body;
      const refresh = (current: ReturnType<typeof statusOf>) =>
        notifier!.onVerdictChanges([
          {
            entityRef: 'component:default/signed-service',
            owner: 'group:default/web-team',
            current,
          },
        ]);

      await refresh(statusOf('verified'));
      await refresh(statusOf('unsigned'));
      await refresh(statusOf('unsigned'));

      const worsened = await inbox(GUEST);
      expect(worsened.totalCount).toBe(1);
      expect(worsened.notifications[0]).toMatchObject({
        user: GUEST,
        origin: 'plugin:base-images',
        read: null,
        payload: {
          title: 'signed-service: base image is now unsigned',
          link: '/catalog/default/component/signed-service',
          severity: 'high',
          topic: 'base-images',
        },
      });
      expect((await inbox(OUTSIDER)).totalCount).toBe(0);

      await refresh(statusOf('verified'));
      await refresh(statusOf('verified'));
      // the resolution updates the same notification (one scope per episode)
      const resolved = await inbox(GUEST);
      expect(resolved.totalCount).toBe(1);
      expect(resolved.notifications[0]).toMatchObject({
        id: worsened.notifications[0].id,
        payload: {
          title: 'Resolved: signed-service base image is back in order',
          severity: 'low',
        },
      });
    } finally {
      await backend.stop();
    }
  });
});
