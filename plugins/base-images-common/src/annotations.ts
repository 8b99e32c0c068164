/**
 * Comma-separated compliance framework ids on any entity; case and spaces do not matter.
 * @public
 */
export const ANNOTATION_COMPLIANCE_FRAMEWORKS = 'compliance/frameworks';
/**
 * `extended` when the entity needs extended support (DHI ELS).
 * @public
 */
export const ANNOTATION_COMPLIANCE_SUPPORT = 'compliance/support';
/**
 * The runtime base image reference of a component.
 * @public
 */
export const ANNOTATION_BASE_IMAGE_REF = 'base-image/ref';
/**
 * `python` or `node`.
 * @public
 */
export const ANNOTATION_BASE_IMAGE_RUNTIME = 'base-image/runtime';

/**
 * Annotation values longer than this are refused rather than parsed.
 * @public
 */
export const MAX_ANNOTATION_LENGTH = 1024;
