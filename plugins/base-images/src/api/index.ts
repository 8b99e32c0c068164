export { baseImagesApiRef } from './BaseImagesApi';
export type { BaseImagesApi } from './BaseImagesApi';
export { BaseImagesClient } from './BaseImagesClient';
