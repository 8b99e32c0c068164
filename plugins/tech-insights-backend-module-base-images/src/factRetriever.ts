import {
  FactRetriever,
  FactRetrieverContext,
  TechInsightFact,
} from '@backstage-community/plugin-tech-insights-node';
import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  OverviewResponse,
  OverviewRow,
} from '@internal/backstage-plugin-base-images-common';
import { DateTime } from 'luxon';

/**
 * The retriever's id: the key under `techInsights.factRetrievers` that
 * schedules it, the id checks name in `factIds` and the scheduler task id.
 * @public
 */
export const BASE_IMAGES_FACT_RETRIEVER_ID = 'baseImagesFactRetriever';

/** Rows asked for per overview request; the status backend may return fewer. */
const PAGE_SIZE = 100;

/**
 * The facts of one component, as the status API reports its base image.
 * @public
 */
export interface BaseImageFacts {
  [name: string]: string | boolean;
  variant: string;
  compliant: boolean;
  attestationStatus: string;
  verified: boolean;
  outdated: boolean;
  evidenceComplete: boolean;
}

/**
 * Reads the facts off one overview row. Nothing is re-judged here: every fact
 * is what the status service (the same one the entity card shows) decided.
 * @public
 */
export function factsOf(row: OverviewRow): BaseImageFacts {
  return {
    variant: row.variant ?? '',
    // a policy that cannot be applied (policy.error) is reported as not compliant
    compliant: row.policy.compliant,
    attestationStatus: row.attestation.status,
    verified: row.attestation.status === 'verified',
    outdated: row.image?.outdated !== undefined,
    evidenceComplete: (row.policy.evidence ?? []).every(
      evidence => evidence.status === 'verified',
    ),
  };
}

/**
 * Every row of `GET /api/base-images/overview`, page by page, with the
 * module's own service credentials. Stops at `totalCount`, or at an empty page
 * should the fleet shrink while it reads.
 */
export async function fetchFleet(
  ctx: Pick<FactRetrieverContext, 'auth' | 'discovery'>,
): Promise<OverviewRow[]> {
  const baseUrl = await ctx.discovery.getBaseUrl('base-images');
  const rows = new Map<string, OverviewRow>();
  for (let offset = 0; ; ) {
    // a fresh token per page: a large fleet may outlast one
    const { token } = await ctx.auth.getPluginRequestToken({
      onBehalfOf: await ctx.auth.getOwnServiceCredentials(),
      targetPluginId: 'base-images',
    });
    const response = await fetch(
      `${baseUrl}/overview?limit=${PAGE_SIZE}&offset=${offset}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
    const page = (await response.json()) as OverviewResponse;
    for (const row of page.items) rows.set(row.entityRef, row);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.totalCount) break;
  }
  return [...rows.values()];
}

/**
 * Base-image facts of every component that has a base image: its variant,
 * policy verdict and attestation status, from the base-images status backend.
 * @public
 */
export const baseImagesFactRetriever: FactRetriever = {
  id: BASE_IMAGES_FACT_RETRIEVER_ID,
  version: '0.1.0',
  title: 'Base image',
  description:
    "Each component's base image as the base-images status service judges it: variant, compliance verdict and signature/attestation status",
  entityFilter: [{ kind: 'component' }],
  schema: {
    variant: {
      type: 'string',
      description:
        'Kind of base image: slim, dhi or dhi-fips ("" when there is no usable image reference)',
    },
    compliant: {
      type: 'boolean',
      description:
        'The base image meets the compliance frameworks of the component, its system, domain and owner (false when the policy cannot be applied)',
    },
    attestationStatus: {
      type: 'string',
      description:
        'verified, incomplete, unsigned, invalid, unavailable or not-checked',
    },
    verified: {
      type: 'boolean',
      description:
        'A trusted signature verifies over the image and every required attestation is present',
    },
    outdated: {
      type: 'boolean',
      description: 'The pinned digest is no longer what its tag points at',
    },
    evidenceComplete: {
      type: 'boolean',
      description:
        'Every attestation the compliance frameworks require is present and verified',
    },
  },
  async handler(ctx) {
    const rows = await fetchFleet(ctx);
    const timestamp = DateTime.now();
    const facts: TechInsightFact[] = [];
    for (const row of rows) {
      let entity;
      try {
        entity = parseEntityRef(row.entityRef);
      } catch (error) {
        ctx.logger.warn(
          `Skipped a base-image status with an unusable entity ref ${JSON.stringify(
            row.entityRef,
          )}: ${(error as Error).message}`,
        );
        continue;
      }
      facts.push({ entity, facts: factsOf(row), timestamp });
    }
    return facts;
  },
};
