import { ConfigReader } from '@backstage/config';
import {
  parseImageReference,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { CheckLimits } from '../registry/CheckBudget';
import { RegistryClient } from '../registry/RegistryClient';
import { ImageChecker } from '../service/ImageChecker';

export const REQUIRED = [
  'https://slsa.dev/provenance/',
  'https://cyclonedx.org/bom',
  'https://openvex.dev/ns',
];

/** A checker configured the way app-config would configure it. */
export function checkerFor(
  registries: object[],
  options: {
    timeoutMs?: number;
    maxBytes?: number;
    limits?: Partial<CheckLimits>;
    /** Stand-ins for Docker's DHI keys (PEM), where `dhiKeys` trusts them. */
    dhiKeys?: string[];
    /** `baseImages.requiredAttestations`; default {@link REQUIRED}. */
    requiredAttestations?: string[];
  } = {},
) {
  const config = readBaseImagesConfig(
    new ConfigReader({
      baseImages: {
        registries,
        requiredAttestations: options.requiredAttestations ?? REQUIRED,
      },
    }),
  );
  const client = new RegistryClient({
    registries: config.registries,
    timeoutMs: options.timeoutMs ?? 5000,
    maxBytes: options.maxBytes ?? 4 * 1024 * 1024,
  });
  const checker = new ImageChecker(client, {
    requiredAttestations: config.requiredAttestations,
    platform: 'linux/amd64',
    limits: options.limits,
    dhiKeys: options.dhiKeys,
  });
  return {
    client,
    checker,
    config,
    check: (ref: string) => checker.check(parseImageReference(ref)),
  };
}
