import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import { Knex } from 'knex';
import { statusOf } from './__testUtils__/statuses';
import { BaseImageNotifier, VerdictChange } from './BaseImageNotifier';
import { PreviousVerdict } from './verdictChanges';

jest.setTimeout(60_000);

const OWNER = 'group:default/web-team';

/** Records what would be sent; `failNext` makes the next send fail as an unreachable notifications backend would. */
function fakeNotifications() {
  const sent: NotificationSendOptions[] = [];
  let failNext = false;
  const service: NotificationService = {
    async send(options) {
      if (failNext) {
        failNext = false;
        throw new Error('Request failed with status 503');
      }
      sent.push(options);
    },
  };
  return {
    service,
    sent,
    failNextSend() {
      failNext = true;
    },
  };
}

/**
 * The fleet refresh as the notifier sees it: each run hands over every
 * component's previous and current verdict.
 */
function refresher(notifiers: BaseImageNotifier[]) {
  const previous = new Map<string, PreviousVerdict>();
  let run = 0;
  return async (
    statuses: Record<string, BaseImageStatusResponse>,
    options: { concurrent?: boolean } = {},
  ) => {
    const changes: VerdictChange[] = Object.entries(statuses).map(
      ([name, current]) => ({
        entityRef: `component:default/${name}`,
        owner: OWNER,
        previous: previous.get(name),
        current,
      }),
    );
    for (const [name, current] of Object.entries(statuses))
      previous.set(name, {
        status: current.attestation.status,
        verdict: current.policy.compliant ? 'compliant' : 'drift',
      });
    if (options.concurrent) {
      // every replica judges the same changes at once
      await Promise.all(notifiers.map(n => n.onVerdictChanges(changes)));
    } else {
      // a global task: one replica per run, taking turns
      await notifiers[run++ % notifiers.length].onVerdictChanges(changes);
    }
  };
}

describe('BaseImageNotifier', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function replicas(
    knex: Knex,
    count: number,
    notifications: NotificationService,
  ) {
    const created: BaseImageNotifier[] = [];
    for (let i = 0; i < count; i++) {
      created.push(
        await BaseImageNotifier.create({
          database: mockServices.database({ knex }),
          notifications,
          logger: mockServices.logger.mock(),
        }),
      );
    }
    return created;
  }

  it.each(databases.eachSupportedId())(
    'sends one notification per worsening and one per recovery, to the owner, under repeated refreshes, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const refresh = refresher(await replicas(knex, 1, notifications.service));

      await refresh({ 'svc-a': statusOf('verified') });
      await refresh({ 'svc-a': statusOf('verified') });
      expect(notifications.sent).toEqual([]);
      for (let i = 0; i < 3; i++)
        await refresh({ 'svc-a': statusOf('unsigned') });
      for (let i = 0; i < 3; i++)
        await refresh({ 'svc-a': statusOf('verified') });

      expect(notifications.sent).toHaveLength(2);
      const [worsened, resolved] = notifications.sent;
      expect(worsened).toEqual({
        recipients: { type: 'entity', entityRef: OWNER },
        payload: {
          title: 'svc-a: base image is now unsigned',
          description:
            'dhi.io/python:3.13 of component:default/svc-a: its signature check went from verified to unsigned: image is unsigned.',
          link: '/catalog/default/component/svc-a',
          topic: 'base-images',
          severity: 'high',
          scope: expect.stringMatching(
            /^base-images:component:default\/svc-a:/,
          ),
        },
      });
      expect(resolved.recipients).toEqual({ type: 'entity', entityRef: OWNER });
      expect(resolved.payload).toMatchObject({
        title: 'Resolved: svc-a base image is back in order',
        link: '/catalog/default/component/svc-a',
        topic: 'base-images',
        severity: 'low',
        // the resolution updates the worsening's notification
        scope: worsened.payload.scope,
      });

      // a later episode is a notification of its own
      await refresh({ 'svc-a': statusOf('invalid') });
      expect(notifications.sent).toHaveLength(3);
      expect(notifications.sent[2].payload).toMatchObject({
        title: 'svc-a: base image is now failing signature verification',
        severity: 'critical',
      });
      expect(notifications.sent[2].payload.scope).not.toBe(
        worsened.payload.scope,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'tells the owners of drift and of a new finding, each once, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const refresh = refresher(await replicas(knex, 1, notifications.service));
      await refresh({
        'svc-a': statusOf('verified', 'compliant'),
        'svc-b': statusOf('unsigned', 'compliant'),
      });
      for (let i = 0; i < 2; i++)
        await refresh({
          'svc-a': statusOf('verified', 'drift'),
          'svc-b': statusOf('unsigned', 'compliant', ['outdated']),
        });
      expect(
        notifications.sent
          .map(n => [n.payload.title, n.payload.severity])
          .sort(),
      ).toEqual([
        ['svc-a: base image no longer meets its compliance', 'high'],
        ['svc-b: new base-image finding', 'normal'],
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'with two replicas sharing the stored verdicts: one notification per change, taking turns or judging at once, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const twoReplicas = await replicas(knex, 2, notifications.service);
      const names = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
      const all = (status: BaseImageStatusResponse) =>
        Object.fromEntries(names.map(name => [name, status]));

      // taking turns (the global task): the second replica finds the first's state
      const turns = refresher(twoReplicas);
      await turns(all(statusOf('verified')));
      await turns(all(statusOf('incomplete')));
      await turns(all(statusOf('incomplete')));
      expect(notifications.sent).toHaveLength(names.length);

      // both at once (a refresh that overran its timeout): still one each
      const atOnce = refresher(twoReplicas);
      await atOnce(all(statusOf('incomplete')), { concurrent: true });
      await atOnce(all(statusOf('verified')), { concurrent: true });
      await atOnce(all(statusOf('verified')), { concurrent: true });
      expect(notifications.sent).toHaveLength(2 * names.length);
      const perComponent = new Map<string, string[]>();
      for (const n of notifications.sent) {
        const link = n.payload.link!;
        perComponent.set(link, [
          ...(perComponent.get(link) ?? []),
          n.payload.severity!,
        ]);
      }
      expect([...perComponent.values()]).toEqual(
        names.map(() => ['high', 'low']),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'tries again on the next refresh when the notifications backend fails, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const refresh = refresher(await replicas(knex, 1, notifications.service));
      await refresh({ 'svc-a': statusOf('verified') });
      notifications.failNextSend();
      await refresh({ 'svc-a': statusOf('invalid') });
      expect(notifications.sent).toEqual([]);
      await refresh({ 'svc-a': statusOf('invalid') });
      await refresh({ 'svc-a': statusOf('invalid') });
      expect(notifications.sent.map(n => n.payload.title)).toEqual([
        'svc-a: base image is now failing signature verification',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'starts afresh for a component that left the catalog and came back, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const [notifier] = await replicas(knex, 1, notifications.service);
      const refresh = refresher([notifier]);
      await refresh({
        'svc-a': statusOf('verified'),
        'svc-b': statusOf('verified'),
      });
      await notifier.onComponentsRemoved(['component:default/svc-a']);
      // svc-a is new again: its first verdict is only remembered
      const again = refresher([notifier]);
      await again({
        'svc-a': statusOf('invalid'),
        'svc-b': statusOf('invalid'),
      });
      expect(notifications.sent.map(n => n.payload.link)).toEqual([
        '/catalog/default/component/svc-b',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'notifies the component itself when the refresh does not know its owner, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = fakeNotifications();
      const [notifier] = await replicas(knex, 1, notifications.service);
      await notifier.onVerdictChange({
        entityRef: 'component:default/svc-a',
        title: 'Service A',
        previous: { status: 'verified', verdict: 'compliant' },
        current: statusOf('unsigned'),
      });
      expect(notifications.sent).toEqual([
        expect.objectContaining({
          recipients: { type: 'entity', entityRef: 'component:default/svc-a' },
          payload: expect.objectContaining({
            title: 'Service A: base image is now unsigned',
          }),
        }),
      ]);
    },
  );
});
