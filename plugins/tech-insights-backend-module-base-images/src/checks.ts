import {
  JSON_RULE_ENGINE_CHECK_TYPE,
  TechInsightJsonRuleCheck,
} from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import { BASE_IMAGES_FACT_RETRIEVER_ID } from './factRetriever';

/**
 * Check ids, as `POST /api/tech-insights/checks/run/...` names them.
 * @public
 */
export const BASE_IMAGES_COMPLIANT_CHECK_ID = 'base-images-compliant';
/** @public */
export const BASE_IMAGES_VERIFIED_CHECK_ID = 'base-images-verified';

const isTrue = (fact: string) => ({
  fact,
  operator: 'equal',
  value: true,
});

/**
 * The base-image scorecard: JSON-rules checks over the facts of
 * {@link baseImagesFactRetriever}. Defined here rather than in config so the
 * check ids the app shows cannot drift from the facts they read.
 * @public
 */
export const baseImagesChecks: TechInsightJsonRuleCheck[] = [
  {
    id: BASE_IMAGES_COMPLIANT_CHECK_ID,
    type: JSON_RULE_ENGINE_CHECK_TYPE,
    name: 'Meets its compliance',
    description:
      'The base image has every capability the compliance frameworks of the component, its system, domain and owner require',
    factIds: [BASE_IMAGES_FACT_RETRIEVER_ID],
    rule: { conditions: { all: [isTrue('compliant')] } },
  },
  {
    id: BASE_IMAGES_VERIFIED_CHECK_ID,
    type: JSON_RULE_ENGINE_CHECK_TYPE,
    name: 'Base image verified',
    description:
      'A trusted signature verifies over the base image and every required attestation is present',
    factIds: [BASE_IMAGES_FACT_RETRIEVER_ID],
    rule: { conditions: { all: [isTrue('verified')] } },
  },
];
