import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import {
  assertKnownConfigKeys,
  BaseImagesConfigError,
} from '@internal/backstage-plugin-base-images-common';

/** The validated `baseImages.status` settings (declared in config.d.ts). */
export interface StatusSettings {
  refresh: HumanDuration;
  refreshTimeout: HumanDuration;
  refreshInitialDelay: HumanDuration;
  requestTimeoutMs: number;
  tagTtlMs: number;
  platform: string;
}

const KEY = 'baseImages.status';

/** The keys of `baseImages.status`; config.test.ts checks them against config.d.ts. */
export const STATUS_SETTINGS_KEYS = [
  'refresh',
  'refreshTimeout',
  'refreshInitialDelay',
  'requestTimeout',
  'tagTtl',
  'platform',
];

const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/;

function readDuration(
  config: Config | undefined,
  key: string,
  fallback: HumanDuration,
): HumanDuration {
  if (!config?.has(key)) return fallback;
  let duration: HumanDuration;
  try {
    duration = readDurationFromConfig(config, { key });
  } catch (error) {
    throw new BaseImagesConfigError(
      `${KEY}.${key}`,
      `${
        (error as Error).message
      }; use a duration such as { minutes: 30 }, '30m' or 'PT30M'`,
    );
  }
  if (!(durationToMilliseconds(duration) > 0)) {
    throw new BaseImagesConfigError(`${KEY}.${key}`, 'must be longer than 0');
  }
  return duration;
}

/** Reads `baseImages.status`, failing start-up on unknown keys or bad values. */
export function readStatusSettings(root: Config): StatusSettings {
  const config = root.getOptionalConfig(KEY);
  if (config) assertKnownConfigKeys(config, KEY, STATUS_SETTINGS_KEYS);
  const platform = config?.getOptionalString('platform') ?? 'linux/amd64';
  if (!PLATFORM.test(platform)) {
    throw new BaseImagesConfigError(
      `${KEY}.platform`,
      `${JSON.stringify(platform)} is not os/architecture[/variant]`,
    );
  }
  return {
    refresh: readDuration(config, 'refresh', { hours: 6 }),
    refreshTimeout: readDuration(config, 'refreshTimeout', { minutes: 30 }),
    refreshInitialDelay: readDuration(config, 'refreshInitialDelay', {
      minutes: 1,
    }),
    requestTimeoutMs: durationToMilliseconds(
      readDuration(config, 'requestTimeout', { seconds: 10 }),
    ),
    tagTtlMs: durationToMilliseconds(
      readDuration(config, 'tagTtl', { minutes: 5 }),
    ),
    platform,
  };
}
