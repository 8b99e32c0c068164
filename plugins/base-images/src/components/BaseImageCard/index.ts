export { BaseImageCard, BaseImageStatusView } from './BaseImageCard';
