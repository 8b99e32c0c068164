import { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationSeverity } from '@backstage/plugin-notifications-common';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import pLimit from 'p-limit';
import { NotifierStateStore } from './NotifierStateStore';
import {
  decideNotification,
  NotifierDecision,
  PreviousVerdict,
  VerdictWorsening,
} from './verdictChanges';

/** Topic of every base-image notification, for the user's notification settings. */
export const BASE_IMAGES_NOTIFICATION_TOPIC = 'base-images';

/** One component's verdict after a fleet refresh. */
export interface VerdictChange {
  entityRef: string;
  /**
   * The component's owner, whose members are notified. Without it the
   * component itself is the recipient, which the notifications backend
   * resolves to the same owner.
   */
  owner?: string;
  /** The component's display title. */
  title?: string;
  /** The verdict the refresh had stored before, when it had one. */
  previous?: PreviousVerdict;
  current: BaseImageStatusResponse;
}

/** Attempts to judge one change when other replicas keep changing its state. */
const MAX_ATTEMPTS = 3;

const ATTESTATION_WORDS: Record<string, string> = {
  verified: 'verified',
  unsigned: 'unsigned',
  incomplete: 'missing a required attestation',
  invalid: 'failing signature verification',
};

function describeWorsening(
  worsening: VerdictWorsening,
  current: BaseImageStatusResponse,
): string {
  switch (worsening.kind) {
    case 'attestation':
      return `its signature check went from ${worsening.from} to ${worsening.to}: ${current.attestation.message}`;
    case 'policy':
      return `it no longer meets its compliance: ${
        current.policy.violations.join('; ') || 'see the entity page'
      }`;
    case 'finding':
      return (
        current.findings?.find(f => f.kind === worsening.finding)?.message ??
        `new finding: ${worsening.finding}`
      );
    default:
      return 'its verdict got worse';
  }
}

function severityOf(worsenings: VerdictWorsening[]): NotificationSeverity {
  if (worsenings.some(w => w.kind === 'attestation' && w.to === 'invalid'))
    return 'critical';
  if (worsenings.some(w => w.kind !== 'finding')) return 'high';
  return 'normal';
}

function headlineOf(worsenings: VerdictWorsening[]): string {
  const attestation = worsenings.find(w => w.kind === 'attestation');
  if (attestation?.kind === 'attestation')
    return `base image is now ${ATTESTATION_WORDS[attestation.to]}`;
  if (worsenings.some(w => w.kind === 'policy'))
    return 'base image no longer meets its compliance';
  return 'new base-image finding';
}

/**
 * The notification for a decision: to the owner, linking to the entity page,
 * one scope per component and worsening episode (a further worsening or the
 * resolution updates that notification rather than adding one).
 */
export function notificationFor(
  change: VerdictChange,
  notify: NonNullable<NotifierDecision['notify']>,
  episode: string,
): NotificationSendOptions {
  const entity = parseEntityRef(change.entityRef);
  const name = change.title ?? entity.name;
  const image = change.current.image?.ref ?? 'its base image';
  const common = {
    link: `/catalog/${entity.namespace}/${entity.kind.toLocaleLowerCase(
      'en-US',
    )}/${entity.name}`,
    topic: BASE_IMAGES_NOTIFICATION_TOPIC,
    scope: `base-images:${change.entityRef}:${episode}`,
  };
  const recipients = {
    type: 'entity' as const,
    entityRef: change.owner ?? change.entityRef,
  };
  if (notify.kind === 'resolved') {
    const { attestation, policy } = change.current;
    return {
      recipients,
      payload: {
        ...common,
        title: `Resolved: ${name} base image is back in order`,
        description: `${image} of ${
          change.entityRef
        } is back to where it was: signature check ${attestation.status}, ${
          policy.compliant ? 'meets its compliance' : 'compliance unchanged'
        }${change.current.findings?.length ? '' : ', no open findings'}.`,
        severity: 'low',
      },
    };
  }
  return {
    recipients,
    payload: {
      ...common,
      title: `${name}: ${headlineOf(notify.worsenings)}`,
      description: `${image} of ${change.entityRef}: ${notify.worsenings
        .map(w => describeWorsening(w, change.current))
        .join('; ')}.`,
      severity: severityOf(notify.worsenings),
    },
  };
}

/**
 * Tells a component's owners when its base-image verdict gets worse
 * (verified -> invalid/unsigned/incomplete, compliant -> drift, a new
 * finding), and once when it recovers. Judged against the state it stored
 * for the component, so a refresh that finds the same verdict sends nothing,
 * and with several replicas only the one whose write wins sends.
 */
export class BaseImageNotifier {
  static async create(options: {
    database: DatabaseService;
    notifications: NotificationService;
    logger: LoggerService;
  }): Promise<BaseImageNotifier> {
    return new BaseImageNotifier(
      await NotifierStateStore.create(options.database),
      options.notifications,
      options.logger,
    );
  }

  private constructor(
    private readonly store: NotifierStateStore,
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
  ) {}

  /** Judges every change; one failing never stops the others. */
  async onVerdictChanges(changes: VerdictChange[]): Promise<void> {
    const limit = pLimit(4);
    await Promise.all(
      changes.map(change =>
        limit(() =>
          this.onVerdictChange(change).catch(error =>
            this.logger.warn(
              `Could not judge the base-image verdict of ${change.entityRef} for notifications: ${error}`,
            ),
          ),
        ),
      ),
    );
  }

  /**
   * Forgets components that left the catalog: one registered again under the
   * same name starts afresh rather than from its old verdict.
   */
  async onComponentsRemoved(entityRefs: string[]): Promise<void> {
    await this.store.deleteAll(entityRefs);
  }

  async onVerdictChange(change: VerdictChange): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.store.get(change.entityRef);
      const decision = decideNotification(
        stored?.state,
        change.previous,
        change.current,
      );
      const opening =
        decision.notify?.kind === 'worsened' && !stored?.state.openSince;
      const episode = opening
        ? new Date().toISOString()
        : stored?.episode ?? new Date().toISOString();
      const nextEpisode = decision.next.openSince ? episode : undefined;
      if (
        stored &&
        !decision.notify &&
        JSON.stringify(stored.state) === JSON.stringify(decision.next)
      ) {
        return; // the same verdict again: nothing to write, nothing to say
      }
      const won = stored
        ? await this.store.update(
            change.entityRef,
            stored.revision,
            decision.next,
            nextEpisode,
          )
        : await this.store.insert(change.entityRef, decision.next, nextEpisode);
      if (!won) continue; // another replica moved it on: judge again from its state
      if (decision.notify) {
        await this.send(change, decision.notify, episode, stored);
      }
      return;
    }
    this.logger.warn(
      `Gave up judging the base-image verdict of ${change.entityRef}: its stored state kept changing`,
    );
  }

  private async send(
    change: VerdictChange,
    notify: NonNullable<NotifierDecision['notify']>,
    episode: string,
    stored: Awaited<ReturnType<NotifierStateStore['get']>>,
  ) {
    try {
      await this.notifications.send(notificationFor(change, notify, episode));
    } catch (error) {
      // Undo the write, so the next refresh judges (and sends) this again.
      if (stored) {
        await this.store.update(
          change.entityRef,
          stored.revision + 1,
          stored.state,
          stored.episode,
        );
      } else {
        await this.store.delete(change.entityRef, 1);
      }
      this.logger.warn(
        `Could not notify the owners of ${change.entityRef} about its base image; will retry on the next refresh: ${error}`,
      );
    }
  }
}
