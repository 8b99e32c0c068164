import { createApiRef } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  BaseImageStatusResponse,
  ImageSelection,
  NewServiceInput,
  OverviewResponse,
} from '@internal/backstage-plugin-base-images-common';

/** Client of the base-images backend (`/api/base-images`). */
export interface BaseImagesApi {
  getEntityStatus(entity: CompoundEntityRef): Promise<BaseImageStatusResponse>;
  refreshEntityStatus(
    entity: CompoundEntityRef,
  ): Promise<BaseImageStatusResponse>;
  getOverview(): Promise<OverviewResponse>;
  /** The images base-images:resolve would choose for a new service. */
  preview(input: NewServiceInput): Promise<ImageSelection>;
}

export const baseImagesApiRef = createApiRef<BaseImagesApi>({
  id: 'plugin.base-images.service',
});
