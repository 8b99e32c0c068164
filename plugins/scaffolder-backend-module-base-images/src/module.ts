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
import { readPublishSettings } from './settings';

/** Registers the base-image scaffolder actions. Reads and validates `baseImages` once, at start-up. */
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
      },
      async init({ scaffolder, rootConfig, catalog, reader }) {
        const config = readBaseImagesConfig(rootConfig);
        const publish = readPublishSettings(rootConfig);
        const integrations = ScmIntegrations.fromConfig(rootConfig);
        // register-local refreshes the configured file location that covers a new repository
        const fileLocations = (
          rootConfig.getOptionalConfigArray('catalog.locations') ?? []
        )
          .filter(location => location.getString('type') === 'file')
          .map(location => path.resolve(location.getString('target')));
        scaffolder.addActions(
          createResolveBaseImagesAction({ catalog, config, publish }),
          createRenderServiceAction({ reader, integrations, config }),
          createPublishLocalAction({ publish }),
          createRegisterLocalAction({ catalog, publish, fileLocations }),
        );
      },
    });
  },
});
