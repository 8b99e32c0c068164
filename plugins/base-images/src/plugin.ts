import { Entity } from '@backstage/catalog-model';
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { scaffolderPlugin } from '@backstage/plugin-scaffolder';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import {
  ANNOTATION_BASE_IMAGE_REF,
  ANNOTATION_BASE_IMAGE_RUNTIME,
} from '@internal/backstage-plugin-base-images-common';
import { baseImagesApiRef, BaseImagesClient } from './api';
import { BaseImagePreviewField } from './components/BaseImagePreviewField';
import { rootRouteRef } from './routes';

/** True when the entity records a base image (or at least its runtime). */
/**
 * True for components (the backend reads a base image from the Dockerfile
 * beside catalog-info.yaml when none is annotated) and for any entity that
 * records a base image or runtime.
 * @public
 */
export const isBaseImageAvailable = (entity: Entity) =>
  entity.kind.toLowerCase() === 'component' ||
  !!entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_REF] ||
  !!entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_RUNTIME];

/** @public */
export const baseImagesPlugin = createPlugin({
  id: 'base-images',
  apis: [
    createApiFactory({
      api: baseImagesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BaseImagesClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * Entity card for the legacy frontend system: `<EntitySwitch.Case if={isBaseImageAvailable}>`.
 * @public
 */
export const EntityBaseImageCard: () => JSX.Element = baseImagesPlugin.provide(
  createComponentExtension({
    name: 'EntityBaseImageCard',
    component: {
      lazy: () =>
        import('./components/BaseImageCard').then(m => m.BaseImageCard),
    },
  }),
);

/**
 * Fleet page: every component's base image, policy verdict and status.
 * @public
 */
export const BaseImagesPage: () => JSX.Element = baseImagesPlugin.provide(
  createRoutableExtension({
    name: 'BaseImagesPage',
    component: () => import('./components/FleetPage').then(m => m.FleetPage),
    mountPoint: rootRouteRef,
  }),
);

/**
 * Scaffolder field `BaseImagePreview` for the legacy frontend system.
 * @public
 */
export const BaseImagePreviewFieldExtension = scaffolderPlugin.provide(
  createScaffolderFieldExtension({
    name: 'BaseImagePreview',
    component: BaseImagePreviewField,
  }),
);
