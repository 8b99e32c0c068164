import { Config } from '@backstage/config';
import { HumanDuration } from '@backstage/types';
import {
  assertKnownConfigKeys,
  BaseImagesConfigError,
} from '@internal/backstage-plugin-base-images-common';

export interface StatusSettings {
  refresh: HumanDuration;
  requestTimeoutMs: number;
  tagTtlMs: number;
  platform: string;
}

const KEY = 'baseImages.status';
const KNOWN = ['refresh', 'requestTimeoutMs', 'tagTtlSeconds', 'platform'];

/** Reads `baseImages.status`, failing start-up on unknown keys or bad values. */
export function readStatusSettings(root: Config): StatusSettings {
  const config = root.getOptionalConfig(KEY);
  if (config) assertKnownConfigKeys(config, KEY, KNOWN);
  const refreshConfig = config?.getOptionalConfig('refresh');
  if (refreshConfig)
    assertKnownConfigKeys(refreshConfig, `${KEY}.refresh`, [
      'minutes',
      'hours',
    ]);
  const refresh: HumanDuration = refreshConfig
    ? {
        minutes: refreshConfig.getOptionalNumber('minutes'),
        hours: refreshConfig.getOptionalNumber('hours'),
      }
    : { hours: 6 };
  const positive = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!(value > 0))
      throw new BaseImagesConfigError(
        `${KEY}.${key}`,
        'must be a positive number',
      );
    return value;
  };
  const platform = config?.getOptionalString('platform') ?? 'linux/amd64';
  if (!/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(platform)) {
    throw new BaseImagesConfigError(
      `${KEY}.platform`,
      `${JSON.stringify(platform)} is not os/architecture[/variant]`,
    );
  }
  return {
    refresh,
    requestTimeoutMs: positive('requestTimeoutMs', 10_000),
    tagTtlMs: positive('tagTtlSeconds', 300) * 1000,
    platform,
  };
}
