import { Config } from '@backstage/config';
import { HumanDuration } from '@backstage/types';
import { BaseImagesConfigError } from '@internal/backstage-plugin-base-images-common';

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
  for (const key of config?.keys() ?? []) {
    if (!KNOWN.includes(key)) throw new BaseImagesConfigError(`${KEY}.${key}`, `unknown key. Known keys here: ${KNOWN.join(', ')}`);
  }
  const refreshConfig = config?.getOptionalConfig('refresh');
  for (const key of refreshConfig?.keys() ?? []) {
    if (!['minutes', 'hours'].includes(key)) throw new BaseImagesConfigError(`${KEY}.refresh.${key}`, 'unknown key. Known keys here: minutes, hours');
  }
  const refresh: HumanDuration = refreshConfig
    ? { minutes: refreshConfig.getOptionalNumber('minutes'), hours: refreshConfig.getOptionalNumber('hours') }
    : { hours: 6 };
  const positive = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!(value > 0)) throw new BaseImagesConfigError(`${KEY}.${key}`, 'must be a positive number');
    return value;
  };
  const platform = config?.getOptionalString('platform') ?? 'linux/amd64';
  if (!/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(platform)) {
    throw new BaseImagesConfigError(`${KEY}.platform`, `${JSON.stringify(platform)} is not os/architecture[/variant]`);
  }
  return {
    refresh,
    requestTimeoutMs: positive('requestTimeoutMs', 10_000),
    tagTtlMs: positive('tagTtlSeconds', 300) * 1000,
    platform,
  };
}
