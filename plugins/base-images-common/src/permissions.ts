import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Force a fresh registry check of an entity's base image
 * (`POST /api/base-images/entities/:kind/:namespace/:name/refresh`).
 * A resource permission on the catalog entity, like `catalog.entity.refresh`,
 * so a policy can grant it with the catalog's conditions (for example, owners
 * may re-check their own services).
 * @public
 */
export const baseImagesEntityRefreshPermission = createPermission({
  name: 'base-images.entity.refresh',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Every permission the base-images plugins define.
 * @public
 */
export const baseImagesPermissions = [baseImagesEntityRefreshPermission];
