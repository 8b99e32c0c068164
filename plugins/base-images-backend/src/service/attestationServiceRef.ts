import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { readBaseImagesConfig } from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from '../database/ResultStore';
import { RegistryClient } from '../registry/RegistryClient';
import { readStatusSettings } from '../settings';
import {
  AttestationService,
  CachedAttestationService,
} from './AttestationService';
import { ImageChecker } from './ImageChecker';

/** Largest single manifest, index or signature payload read from a registry. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The base-images plugin's attestation service. The default checks images in
 * the registries of `baseImages.registries` and caches results in the
 * plugin's database; tests and benchmarks swap it with their own factory:
 * `createServiceFactory({ service: attestationServiceRef, deps: {}, factory: () => fake })`.
 *
 * @public
 */
export const attestationServiceRef = createServiceRef<AttestationService>({
  id: 'base-images.attestation',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        logger: coreServices.logger,
      },
      async factory({ config, database, logger }) {
        const baseImages = readBaseImagesConfig(config);
        const settings = readStatusSettings(config);
        const client = new RegistryClient({
          registries: baseImages.registries,
          timeoutMs: settings.requestTimeoutMs,
          maxBytes: MAX_MANIFEST_BYTES,
        });
        return new CachedAttestationService({
          client,
          checker: new ImageChecker(client, {
            requiredAttestations: baseImages.requiredAttestations,
            platform: settings.platform,
          }),
          store: await ResultStore.create(database),
          logger,
          tagTtlMs: settings.tagTtlMs,
        });
      },
    }),
});
