export { baseImagesApiRef } from './BaseImagesApi';
export type {
  BaseImagesApi,
  FleetVerdict,
  OverviewQuery,
} from './BaseImagesApi';
export { BaseImagesClient } from './BaseImagesClient';
