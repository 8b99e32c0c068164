import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  createFormField,
  FormFieldBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import {
  ANNOTATION_BASE_IMAGE_REF,
  ANNOTATION_BASE_IMAGE_RUNTIME,
} from '@internal/backstage-plugin-base-images-common';
import LayersIcon from '@material-ui/icons/Layers';
import { baseImagesApiRef, BaseImagesClient } from './api';

const rootRouteRef = createRouteRef();

const baseImagesApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: baseImagesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BaseImagesClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * Entity card, shown on components (their base image may come from the
 * Dockerfile beside catalog-info.yaml) and on anything that records a base
 * image or runtime.
 * @public
 */
export const baseImageEntityCard = EntityCardBlueprint.make({
  name: 'base-image',
  params: {
    filter: {
      $any: [
        { kind: 'component' },
        {
          [`metadata.annotations.${ANNOTATION_BASE_IMAGE_REF}`]: {
            $exists: true,
          },
        },
        {
          [`metadata.annotations.${ANNOTATION_BASE_IMAGE_RUNTIME}`]: {
            $exists: true,
          },
        },
      ],
    },
    loader: () =>
      import('./components/BaseImageCard').then(m => <m.BaseImageCard />),
  },
});

const fleetPage = PageBlueprint.make({
  params: {
    path: '/base-images',
    title: 'Base images',
    icon: <LayersIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/FleetPage').then(m => <m.FleetPage />),
  },
});

const previewField = FormFieldBlueprint.make({
  name: 'base-image-preview',
  params: {
    field: () =>
      import('./components/BaseImagePreviewField').then(m =>
        createFormField({
          name: 'BaseImagePreview',
          component: m.BaseImagePreviewField,
        }),
      ),
  },
});

/** The base-images plugin for the new frontend system. */
export default createFrontendPlugin({
  pluginId: 'base-images',
  info: { packageJson: () => import('../package.json') },
  extensions: [baseImagesApi, baseImageEntityCard, fleetPage, previewField],
  routes: { root: rootRouteRef },
});
