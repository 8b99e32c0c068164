import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';

/** The scorecard on the overview of entities that record a base image or runtime. */
const baseImageScorecardCard = EntityCardBlueprint.make({
  name: 'base-image-scorecard',
  params: {
    filter: {
      $any: [
        { 'metadata.annotations.base-image/ref': { $exists: true } },
        { 'metadata.annotations.base-image/runtime': { $exists: true } },
      ],
    },
    loader: () =>
      import('./BaseImageScorecard').then(m => <m.BaseImageScorecard />),
  },
});

/** Adds the base-image scorecard to the catalog's entity pages. */
export const scorecardsModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [baseImageScorecardCard],
});
