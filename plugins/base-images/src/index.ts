/**
 * Base-image card, fleet page and scaffolder preview field (legacy frontend
 * system). The new frontend system uses the `/alpha` export.
 *
 * @packageDocumentation
 */
export {
  baseImagesPlugin,
  BaseImagePreviewFieldExtension,
  BaseImagesPage,
  EntityBaseImageCard,
  isBaseImageAvailable,
} from './plugin';
export { baseImagesApiRef, BaseImagesClient } from './api';
export type { BaseImagesApi, FleetVerdict, OverviewQuery } from './api';
