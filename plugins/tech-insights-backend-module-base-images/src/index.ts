/**
 * Tech Insights facts and checks from the base-image status service.
 *
 * @packageDocumentation
 */
export { techInsightsModuleBaseImages as default } from './module';
export {
  BASE_IMAGES_COMPLIANT_CHECK_ID,
  BASE_IMAGES_VERIFIED_CHECK_ID,
} from './checks';
export { BASE_IMAGES_FACT_RETRIEVER_ID } from './factRetriever';
