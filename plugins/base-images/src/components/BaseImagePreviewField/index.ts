export { BaseImagePreviewField } from './BaseImagePreviewField';
export type { BaseImagePreviewOptions } from './BaseImagePreviewField';
