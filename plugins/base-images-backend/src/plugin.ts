import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  baseImagesPermissions,
  readBaseImagesConfig,
} from '@internal/backstage-plugin-base-images-common';
import { DiscoveryStore } from './discovery/DiscoveryStore';
import { DockerfileDiscovery } from './discovery/DockerfileDiscovery';
import { DockerfileReader } from './discovery/DockerfileReader';
import { fileLocationRoots } from './discovery/fileLocationRoots';
import { migratedClient } from './database/migrations';
import { BaseImageNotifier } from './notifications';
import { FleetService } from './fleet/FleetService';
import { FleetStore } from './fleet/FleetStore';
import { attestationServiceRef } from './service/attestationServiceRef';
import { EntityLoaderFactory } from './service/EntityLoader';
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
        database: coreServices.database,
        urlReader: coreServices.urlReader,
        catalog: catalogServiceRef,
        attestations: attestationServiceRef,
        notifications: notificationService,
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
        database,
        urlReader,
        catalog,
        attestations,
        notifications,
      }) {
        const baseImages = readBaseImagesConfig(config);
        const settings = readStatusSettings(config);
        // listed in the permission metadata, for policies and admin tools
        permissionsRegistry.addPermissions(baseImagesPermissions);
        const db = await migratedClient(database);
        const discovery = new DockerfileDiscovery({
          reader: new DockerfileReader({
            urlReader,
            integrations: ScmIntegrations.fromConfig(config),
            fileRoots: fileLocationRoots(config),
          }),
          store: new DiscoveryStore(db),
        });
        const statuses = new EntityStatusService({
          config: baseImages,
          attestations,
          discovery,
        });
        const loaders = new EntityLoaderFactory(catalog);
        const fleetStore = new FleetStore(db);
        const fleet = new FleetService({
          store: fleetStore,
          statuses,
          catalog,
          auth,
          permissions,
          loaders,
        });

        // one notification to the owner group when a verdict gets worse, one when it recovers
        const notifier = await BaseImageNotifier.create({
          database,
          notifications,
          logger,
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
            const { components, listed, images, verdicts, removed } =
              await refreshFleet({
                catalog,
                credentials: await auth.getOwnServiceCredentials(),
                attestations,
                statuses,
                discovery,
                store: fleetStore,
                logger,
                onVerdicts: changes => notifier.onVerdictChanges(changes),
              });
            await notifier.onComponentsRemoved(removed);
            logger.info(
              `Refreshed ${images} distinct base images used by ${listed} of ${components} components; ${
                verdicts.filter(v => v.changed).length
              } verdicts changed (${
                verdicts.filter(v => v.worse).length
              } for the worse), ${removed.length} components removed`,
            );
          },
        });

        httpRouter.use(
          createRouter({
            httpAuth,
            permissions,
            loaders,
            statuses,
            attestations,
            fleet,
            config: baseImages,
            logger,
          }),
        );
      },
    });
  },
});
