import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { JsonRulesEngineFactCheckerFactory } from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import {
  techInsightsFactCheckerFactoryExtensionPoint,
  techInsightsFactRetrieversExtensionPoint,
} from '@backstage-community/plugin-tech-insights-node';
import { baseImagesChecks } from './checks';
import {
  BASE_IMAGES_FACT_RETRIEVER_ID,
  baseImagesFactRetriever,
} from './factRetriever';

/**
 * Base-image facts and checks for Tech Insights. Replaces the jsonfc module:
 * Tech Insights keeps a single fact checker factory, and this one carries the
 * base-image checks.
 *
 * @public
 */
export const techInsightsModuleBaseImages = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'base-images',
  register(reg) {
    reg.registerInit({
      deps: {
        retrievers: techInsightsFactRetrieversExtensionPoint,
        factChecker: techInsightsFactCheckerFactoryExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ retrievers, factChecker, config, logger }) {
        // Tech Insights drops a retriever without a word when its config is missing
        if (
          !config.has(
            `techInsights.factRetrievers.${BASE_IMAGES_FACT_RETRIEVER_ID}`,
          )
        ) {
          logger.warn(
            `${BASE_IMAGES_FACT_RETRIEVER_ID} is not scheduled, so base-image facts stay empty: set techInsights.factRetrievers.${BASE_IMAGES_FACT_RETRIEVER_ID}.cadence (a cron expression) in app-config`,
          );
        }
        retrievers.addFactRetrievers({
          [BASE_IMAGES_FACT_RETRIEVER_ID]: baseImagesFactRetriever,
        });
        factChecker.setFactCheckerFactory(
          new JsonRulesEngineFactCheckerFactory({
            checks: baseImagesChecks,
            logger,
          }),
        );
      },
    });
  },
});
