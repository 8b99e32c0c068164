/**
 * Tech Insights facts and checks from the base-image status service.
 *
 * @packageDocumentation
 */
export { techInsightsModuleBaseImages as default } from './module';
export {
  BASE_IMAGES_FACT_RETRIEVER_ID,
  baseImagesFactRetriever,
  factsOf,
} from './factRetriever';
export type { BaseImageFacts } from './factRetriever';
export {
  BASE_IMAGES_COMPLIANT_CHECK_ID,
  BASE_IMAGES_VERIFIED_CHECK_ID,
  baseImagesChecks,
} from './checks';
