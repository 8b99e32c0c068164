import { ImageReference } from '../image/imageReference';
import { PolicyError } from './errors';
import { classifyImage } from './images';
import { requirementsFor, selectImages } from './selectImages';
import {
  BaseImagesConfig,
  Capability,
  EffectiveCompliance,
  EffectiveFramework,
  Runtime,
  Situation,
  Variant,
} from './types';

/** @public */
export interface PolicyVerdict {
  frameworks: EffectiveFramework[];
  /** The runtime image the policy would choose for this service, when it can choose one. */
  required?: string;
  requiredVariant?: Variant;
  compliant: boolean;
  /** One line per unmet requirement (drift). */
  violations: string[];
  reasons: string[];
  /** Set when the policy itself cannot be applied (unknown framework, unmeetable requirement, …). */
  error?: string;
}

const HAS: Record<
  Capability,
  (c: ReturnType<typeof classifyImage>) => boolean
> = {
  hardened: c => c.hardened,
  fips: c => c.fips,
  enterprise: c => c.enterprise,
  'extended-support': c => c.extendedSupport,
};

const NEED_WORDS: Record<Capability, string> = {
  hardened: 'a Docker Hardened Image',
  fips: 'a FIPS-enabled (-fips) image',
  enterprise: 'a DHI Enterprise image from the configured mirror',
  'extended-support': 'a DHI ELS image',
};

/**
 * Judges an existing image against the policy: compliant when it has every
 * capability the entity's compliance requires. Policy errors become part of
 * the verdict (not compliant, with the error) rather than exceptions, so one
 * bad annotation never hides the rest of an entity's status.
 * @public
 */
export function evaluateImage(
  image: ImageReference,
  compliance: EffectiveCompliance,
  config: BaseImagesConfig,
  options: { runtime?: Runtime; situation?: Situation } = {},
): PolicyVerdict {
  const classification = classifyImage(image, config);
  const runtime = options.runtime ?? classification.runtime;
  const verdict: PolicyVerdict = {
    frameworks: compliance.frameworks,
    compliant: false,
    violations: [],
    reasons: [],
  };
  try {
    const requirements = requirementsFor(compliance, config, options.situation);
    for (const requirement of requirements) {
      if (!HAS[requirement.capability](classification)) {
        const [kind, id] = requirement.because.split(':');
        verdict.violations.push(
          `${kind === 'framework' ? id : requirement.because}${
            requirement.source ? ` (from ${requirement.source})` : ''
          } requires ${NEED_WORDS[requirement.capability]}`,
        );
      }
    }
    verdict.compliant = verdict.violations.length === 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    verdict.error = error.message;
    return verdict;
  }
  if (!runtime) {
    verdict.reasons.push(
      `the runtime of ${image.repository} is unknown; set the 'base-image/runtime' annotation to name the required image`,
    );
    return verdict;
  }
  // Prefer the image's own version; fall back to the default when the policy has no image for it.
  for (const version of [classification.version, undefined]) {
    try {
      const selection = selectImages(
        { runtime, version, situation: options.situation },
        compliance,
        config,
      );
      verdict.required = selection.runtimeImage;
      verdict.requiredVariant = selection.variant;
      verdict.reasons = selection.reasons;
      delete verdict.error;
      return verdict;
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      verdict.error = error.message;
    }
  }
  return verdict;
}
