import {
  familiarImageReference,
  ImageReference,
  parseImageReference,
} from '../image/imageReference';
import { BaseImagesConfig, Runtime, RUNTIMES, Variant } from './types';

/**
 * What an image reference is, as far as the policy is concerned.
 * @public
 */
export interface ImageClassification {
  hardened: boolean;
  fips: boolean;
  /** Pulled from the organisation's DHI Select/Enterprise mirror. */
  enterprise: boolean;
  /** The mirror's subscription includes ELS. */
  extendedSupport: boolean;
  variant: Variant;
  runtime?: Runtime;
  /** Leading version of the tag (`3.13` of `3.13-fips`). */
  version?: string;
}

const FIPS_TAG = /(^|[-_.])fips([-_.]|$)/;

function variantOf(
  hardened: boolean,
  fips: boolean,
): ImageClassification['variant'] {
  if (!hardened) return 'slim';
  return fips ? 'dhi-fips' : 'dhi';
}

/** @public */
export function mirrorRepository(
  config: BaseImagesConfig,
  runtime: Runtime,
): string | undefined {
  const mirror = config.dhi.mirror;
  return mirror
    ? `${mirror.namespace}/${mirror.repositoryPrefix}${runtime}`
    : undefined;
}

/**
 * Classifies an image reference against the configured DHI registry and mirror.
 * @public
 */
export function classifyImage(
  ref: ImageReference,
  config: BaseImagesConfig,
): ImageClassification {
  const mirror = config.dhi.mirror;
  const inMirror =
    !!mirror &&
    ref.registry === mirror.registry &&
    ref.namespace === mirror.namespace &&
    ref.name.startsWith(mirror.repositoryPrefix);
  const community = ref.registry === config.dhi.registry;
  const hardened = community || inMirror;
  const baseName = inMirror
    ? ref.name.slice(mirror!.repositoryPrefix.length)
    : ref.name;
  const fips = hardened && !!ref.tag && FIPS_TAG.test(ref.tag);
  const runtime = (RUNTIMES as readonly string[]).includes(baseName)
    ? (baseName as Runtime)
    : undefined;
  return {
    hardened,
    fips,
    enterprise: inMirror,
    extendedSupport: inMirror && !!mirror?.extendedSupport,
    variant: variantOf(hardened, fips),
    runtime,
    version: ref.tag?.match(/^\d+(?:\.\d+)*/)?.[0],
  };
}

/**
 * Builds a familiar image reference string for a repository and tag.
 * @public
 */
export function imageName(
  registry: string,
  repository: string,
  tag: string,
): string {
  return familiarImageReference(
    parseImageReference(`${registry}/${repository}:${tag}`),
  );
}
