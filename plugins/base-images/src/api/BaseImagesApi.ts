import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  AttestationStatus,
  BaseImageStatusResponse,
  ImageSelection,
  NewServiceInput,
  OverviewResponse,
  Variant,
} from '@internal/backstage-plugin-base-images-common';

/**
 * The policy verdict of a fleet row.
 * @public
 */
export type FleetVerdict = 'compliant' | 'drift' | 'error';

/**
 * Filters and the page of `GET /overview`; every field optional.
 * @public
 */
export interface OverviewQuery {
  status?: AttestationStatus;
  variant?: Variant;
  /** A framework id, such as `hipaa`. */
  framework?: string;
  verdict?: FleetVerdict;
  /** Owner entity ref, such as `group:default/team`. */
  owner?: string;
  /** Part of the entity ref, any case. */
  q?: string;
  /** Rows per page: default 50, at most 500. */
  limit?: number;
  offset?: number;
}

/**
 * Client of the base-images backend (`/api/base-images`).
 * @public
 */
export interface BaseImagesApi {
  getEntityStatus(entity: CompoundEntityRef): Promise<BaseImageStatusResponse>;
  refreshEntityStatus(
    entity: CompoundEntityRef,
  ): Promise<BaseImageStatusResponse>;
  /** One page of the fleet, most severe first, with counts over every match. */
  getOverview(query?: OverviewQuery): Promise<OverviewResponse>;
  /** The images base-images:resolve would choose for a new service. */
  preview(input: NewServiceInput): Promise<ImageSelection>;
}

/** @public */
export const baseImagesApiRef = createApiRef<BaseImagesApi>({
  id: 'plugin.base-images.service',
});
