export {
  BASE_IMAGES_NOTIFICATION_TOPIC,
  BaseImageNotifier,
  notificationFor,
} from './BaseImageNotifier';
export type { VerdictChange } from './BaseImageNotifier';
export {
  decideNotification,
  verdictOf,
  worseningsBetween,
} from './verdictChanges';
export type {
  NotifierDecision,
  NotifierState,
  PreviousVerdict,
  VerdictState,
  VerdictWorsening,
} from './verdictChanges';
