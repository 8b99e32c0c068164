import path from 'node:path';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { readBaseImagesConfig } from '@internal/backstage-plugin-base-images-common';
import { createPublishLocalAction } from './actions/publishLocal';
import { createRegisterLocalAction } from './actions/registerLocal';
import { createRenderServiceAction } from './actions/render';
import { createResolveBaseImagesAction } from './actions/resolve';
import { createUpdateDockerfileAction } from './actions/updateDockerfile';
import { createDigestLookup } from './digests/digestLookup';
import { readPublishSettings } from './settings';

/**
 * Registers the base-image scaffolder actions. Reads and validates `baseImages` once, at start-up.
 * @public
 */
export const scaffolderModuleBaseImages = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'base-images',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        rootConfig: coreServices.rootConfig,
        catalog: catalogServiceRef,
        reader: coreServices.urlReader,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, rootConfig, catalog, reader, discovery, auth }) {
        const config = readBaseImagesConfig(rootConfig);
        const publish = readPublishSettings(rootConfig);
        const integrations = ScmIntegrations.fromConfig(rootConfig);
        // pins FROM lines to digests through the status backend's registry allow-list
        const digests = createDigestLookup({ discovery, auth });
        // register-local refreshes the configured file location that covers a new repository
        const fileLocations = (
          rootConfig.getOptionalConfigArray('catalog.locations') ?? []
        )
          .filter(location => location.getString('type') === 'file')
          .map(location => path.resolve(location.getString('target')));
        scaffolder.addActions(
          createResolveBaseImagesAction({ catalog, config, publish, digests }),
          createRenderServiceAction({ reader, integrations, config }),
          createPublishLocalAction({ publish }),
          createRegisterLocalAction({ catalog, publish, fileLocations }),
          createUpdateDockerfileAction({
            catalog,
            config,
            publish,
            reader,
            integrations,
            digests,
          }),
        );
      },
    });
  },
});
