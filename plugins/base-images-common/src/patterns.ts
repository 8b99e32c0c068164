/**
 * The shapes shared by every base-images package (config reader, policy
 * engine, scaffolder actions, status backend), defined once so that what the
 * config accepts, what the policy produces and what the actions check cannot
 * drift apart.
 */

/**
 * A runtime version as the policy uses it: `3.13`, `22`, `3.13.1`.
 * @public
 */
export const VERSION_PATTERN = /^\d+(\.\d+){0,2}$/;

/**
 * An image tag, as distribution/reference defines it (1-128 characters).
 * @public
 */
export const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

/**
 * A compliance framework id (and alias): lowercase, digits, `.`, `_`, `-`, at most 64.
 * @public
 */
export const FRAMEWORK_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Hosts that may be reached over plain HTTP (`insecure: true`): loopback only.
 * @public
 */
export const LOOPBACK_HOST_PATTERN =
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/**
 * How a base image is classified: standard slim image, DHI, or DHI with FIPS.
 * @public
 */
export const VARIANTS = ['slim', 'dhi', 'dhi-fips'] as const;
