import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  baseImagesPermissions,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { attestationServiceRef } from './service/attestationServiceRef';
import { EntityStatusService } from './service/EntityStatusService';
import { refreshFleet } from './service/fleet';
import { createRouter } from './service/router';
import { readStatusSettings } from './settings';

/**
 * Base-image status: policy verdicts and signature/attestation checks, at
 * /api/base-images.
 *
 * @public
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
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        attestations: attestationServiceRef,
      },
      async init({
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        logger,
        config,
        scheduler,
        catalog,
        attestations,
      }) {
        const baseImages = readBaseImagesConfig(config);
        const settings = readStatusSettings(config);
        // listed in the permission metadata, for policies and admin tools
        permissionsRegistry.addPermissions(baseImagesPermissions);
        const statuses = new EntityStatusService({
          config: baseImages,
          attestations,
        });

        // Global scope: with several replicas, one of them runs each refresh;
        // another takes over only after refreshTimeout.
        await scheduler.scheduleTask({
          id: 'base-images-refresh',
          frequency: settings.refresh,
          timeout: settings.refreshTimeout,
          initialDelay: settings.refreshInitialDelay,
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
            attestations,
            config: baseImages,
          }),
        );
      },
    });
  },
});
