import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  baseImagesPermissions,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from './database/ResultStore';
import { RegistryClient } from './registry/RegistryClient';
import { AttestationService } from './service/AttestationService';
import { EntityStatusService } from './service/EntityStatusService';
import { refreshFleet } from './service/fleet';
import { ImageChecker } from './service/ImageChecker';
import { createRouter } from './service/router';
import { readStatusSettings } from './settings';

/** Largest manifest, index or signature payload read from a registry. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Base-image status: policy verdicts and signature/attestation checks, at
 * /api/base-images.
 */
export const baseImagesPlugin = createBackendPlugin({
  pluginId: 'base-images',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
      },
      async init({
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        logger,
        config,
        database,
        scheduler,
        catalog,
      }) {
        const baseImages = readBaseImagesConfig(config);
        // listed in the permission metadata, for policies and admin tools
        permissionsRegistry.addPermissions(baseImagesPermissions);
        const settings = readStatusSettings(config);
        const client = new RegistryClient({
          registries: baseImages.registries,
          timeoutMs: settings.requestTimeoutMs,
          maxBytes: MAX_MANIFEST_BYTES,
        });
        const attestations = new AttestationService({
          client,
          checker: new ImageChecker(client, {
            requiredAttestations: baseImages.requiredAttestations,
            platform: settings.platform,
          }),
          store: await ResultStore.create(database),
          logger,
          tagTtlMs: settings.tagTtlMs,
        });
        const statuses = new EntityStatusService({
          config: baseImages,
          attestations,
        });

        // Global scope: with several replicas, one of them runs each refresh.
        await scheduler.scheduleTask({
          id: 'base-images-refresh',
          frequency: settings.refresh,
          timeout: { minutes: 30 },
          initialDelay: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            const { components, images } = await refreshFleet({
              catalog,
              credentials: await auth.getOwnServiceCredentials(),
              attestations,
            });
            logger.info(
              `Refreshed ${images} distinct base images used by ${components} components`,
            );
          },
        });

        httpRouter.use(
          createRouter({
            httpAuth,
            permissions,
            catalog,
            statuses,
            config: baseImages,
          }),
        );
      },
    });
  },
});
