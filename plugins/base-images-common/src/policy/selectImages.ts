import { DOCKER_HUB } from '../image/imageReference';
import { VERSION_PATTERN } from '../patterns';
import {
  InvalidPolicyInputError,
  UnknownFrameworkError,
  UnmeetableRequirementError,
  UnsupportedRuntimeError,
} from './errors';
import { imageName, mirrorRepository } from './images';
import {
  BaseImagesConfig,
  Capability,
  EffectiveCompliance,
  Flavor,
  FLAVORS,
  ImageSelection,
  Requirement,
  Runtime,
  RUNTIMES,
  Situation,
  SITUATIONS,
} from './types';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CAPABILITY_WORDS: Record<Capability, string> = {
  hardened: 'a Docker Hardened Image',
  fips: 'a FIPS-enabled image',
  enterprise: 'DHI Enterprise',
  'extended-support': 'DHI ELS (extended support)',
};

/** Capabilities that others bring along: FIPS, Enterprise and ELS images are all hardened. */
const IMPLIES: Record<Capability, Capability[]> = {
  hardened: [],
  fips: ['hardened'],
  enterprise: ['hardened'],
  'extended-support': ['hardened', 'enterprise'],
};

function requirementOrigin(requirement: Requirement): string {
  const [kind, id] = requirement.because.split(':');
  const what =
    {
      framework: `framework ${id}`,
      support: 'extended support',
      situation: `situation ${id}`,
    }[kind] ?? requirement.because;
  return `${what}${requirement.source ? ` (from ${requirement.source})` : ''}`;
}

/**
 * Turns effective compliance into the capabilities the base image needs,
 * each with its reason. Unknown frameworks are an error: guessing could
 * silently pick a weaker image than the framework needs.
 * @public
 */
export function requirementsFor(
  compliance: EffectiveCompliance,
  config: BaseImagesConfig,
  situation: Situation = 'production',
): Requirement[] {
  const requirements: Requirement[] = [];
  const add = (capability: Capability, because: string, source?: string) => {
    for (const c of [capability, ...IMPLIES[capability]]) {
      if (!requirements.some(r => r.capability === c))
        requirements.push({ capability: c, because, source });
    }
  };
  for (const framework of compliance.frameworks) {
    const policy = config.frameworks.find(f => f.id === framework.id);
    if (!policy) {
      throw new UnknownFrameworkError(
        framework.id,
        framework.source,
        config.frameworks.map(f => f.id),
      );
    }
    policy.requires.forEach(c =>
      add(c, `framework:${framework.id}`, framework.source),
    );
  }
  if (compliance.extendedSupport)
    add(
      'extended-support',
      'support:extended',
      compliance.extendedSupport.source,
    );
  config.situations[situation].forEach(c => add(c, `situation:${situation}`));
  return requirements;
}

/** @public */
export interface SelectImagesInput {
  runtime: string;
  version?: string;
  flavor?: string;
  situation?: string;
}

function checkInput(input: SelectImagesInput, config: BaseImagesConfig) {
  if (!(RUNTIMES as readonly string[]).includes(input.runtime)) {
    throw new UnsupportedRuntimeError(
      String(input.runtime).slice(0, 80),
      RUNTIMES,
    );
  }
  const runtime = input.runtime as Runtime;
  const version =
    input.version?.trim() || config.runtimes[runtime].defaultVersion;
  if (!VERSION_PATTERN.test(version)) {
    throw new InvalidPolicyInputError(
      'version',
      `${JSON.stringify(version.slice(0, 40))} is not a version like ${
        config.runtimes[runtime].defaultVersion
      }`,
    );
  }
  const flavor = input.flavor?.trim() || config.defaultFlavor;
  if (!(FLAVORS as readonly string[]).includes(flavor)) {
    throw new InvalidPolicyInputError(
      'flavor',
      `${JSON.stringify(flavor.slice(0, 40))} is not one of ${FLAVORS.join(
        ', ',
      )}`,
    );
  }
  const situation = input.situation?.trim() || 'production';
  if (!(SITUATIONS as readonly string[]).includes(situation)) {
    throw new InvalidPolicyInputError(
      'situation',
      `${JSON.stringify(
        situation.slice(0, 40),
      )} is not one of ${SITUATIONS.join(', ')}`,
    );
  }
  return {
    runtime,
    version,
    flavor: flavor as Flavor,
    situation: situation as Situation,
  };
}

function slimImage(runtime: Runtime, version: string, flavor: Flavor): string {
  return imageName(
    DOCKER_HUB,
    `library/${runtime}`,
    `${version}-${flavor === 'alpine' ? 'alpine' : 'slim'}`,
  );
}

/**
 * Chooses the runtime, builder and debug images for a service from its
 * effective compliance. Pure: the same inputs always give the same images.
 * @public
 */
export function selectImages(
  input: SelectImagesInput,
  compliance: EffectiveCompliance,
  config: BaseImagesConfig,
): ImageSelection {
  const { runtime, version, flavor, situation } = checkInput(input, config);
  const requirements = requirementsFor(compliance, config, situation);
  const needs = (c: Capability) => requirements.find(r => r.capability === c);
  const reasons: string[] = [];

  for (const framework of compliance.frameworks) {
    const policy = config.frameworks.find(f => f.id === framework.id)!;
    reasons.push(
      `${framework.id} (from ${framework.source}) requires ${
        policy.requires.length
          ? policy.requires.map(c => CAPABILITY_WORDS[c]).join(' + ')
          : 'nothing beyond the default'
      }`,
    );
  }
  if (compliance.extendedSupport) {
    reasons.push(
      `extended support (from ${compliance.extendedSupport.source}) requires ${CAPABILITY_WORDS['extended-support']}`,
    );
  }
  for (const missing of compliance.missing) {
    reasons.push(
      `${missing} is not in the catalog; its compliance annotations could not be read`,
    );
  }

  const hardened = needs('hardened');
  if (!hardened) {
    const image = slimImage(runtime, version, flavor);
    reasons.push(
      situation === 'production'
        ? `no compliance framework applies: the standard ${image} image, no registry login needed`
        : `${situation} with no compliance framework: the standard ${image} image avoids registry auth friction`,
    );
    return {
      runtime,
      version,
      flavor,
      runtimeImage: image,
      builderImage: image,
      debugImage: image,
      variant: 'slim',
      shellless: false,
      authRequired: false,
      loginRegistries: [],
      requirements,
      frameworks: compliance.frameworks,
      reasons,
    };
  }
  if (situation === 'prototype' || situation === 'open-source') {
    reasons.push(
      `${situation} does not relax compliance: ${requirementOrigin(
        hardened,
      )} still applies`,
    );
  }

  const enterprise = needs('enterprise');
  const els = needs('extended-support');
  const mirror = config.dhi.mirror;
  if (enterprise && !mirror) {
    throw new UnmeetableRequirementError(
      requirementOrigin(enterprise),
      enterprise.source,
      'baseImages.dhi.mirror.namespace',
      `${CAPABILITY_WORDS.enterprise} images come from the organisation's mirror namespace on Docker Hub, and none is configured`,
    );
  }
  if (els && !mirror?.extendedSupport) {
    throw new UnmeetableRequirementError(
      requirementOrigin(els),
      els.source,
      'baseImages.dhi.mirror.extendedSupport',
      `${CAPABILITY_WORDS['extended-support']} needs a DHI Enterprise mirror whose subscription includes ELS`,
    );
  }
  const useMirror = !!mirror && (!!enterprise || mirror.useForAll);
  const registry = useMirror ? mirror!.registry : config.dhi.registry;
  const repository = useMirror ? mirrorRepository(config, runtime)! : runtime;
  const tags = config.runtimes[runtime].dhiTags;
  const tagsKey = `baseImages.runtimes.${runtime}.dhiTags`;

  const fips = needs('fips');
  const alpinePart = flavor === 'alpine' ? '-alpine[0-9.]*' : '';
  const pattern = new RegExp(
    `^${escape(version)}${alpinePart}${fips ? '-fips' : ''}$`,
  );
  const tag = tags.find(t => pattern.test(t));
  if (!tag) {
    const blamed = fips ?? hardened;
    const wanted = `${version}${flavor === 'alpine' ? '-alpine' : ''}${
      fips ? '-fips' : ''
    }`;
    throw new UnmeetableRequirementError(
      requirementOrigin(blamed),
      blamed.source,
      tagsKey,
      `${CAPABILITY_WORDS[blamed.capability]} for ${runtime} ${version}${
        flavor === 'alpine' ? ' (alpine)' : ''
      } needs a '${wanted}' tag, ` +
        `and the configured tags are ${tags.join(', ') || 'empty'}`,
    );
  }
  const runtimeImage = imageName(registry, repository, tag);

  // Alpine runtimes need an Alpine (musl) build stage, so only the exact `-dev` tag will do there.
  const devCandidates =
    flavor === 'alpine' ? [`${tag}-dev`] : [`${tag}-dev`, `${version}-dev`];
  const devTag = devCandidates.find(t => tags.includes(t));
  let builderImage: string;
  if (devTag) {
    builderImage = imageName(registry, repository, devTag);
    if (devTag !== `${tag}-dev`) {
      reasons.push(
        `builds on ${builderImage}: there is no '${tag}-dev' tag in ${tagsKey}; only the runtime stage needs ${
          fips ? 'FIPS' : 'the exact variant'
        }`,
      );
    }
  } else {
    builderImage = slimImage(runtime, version, flavor);
    reasons.push(
      `builds on ${builderImage}: ${tagsKey} has no '-dev' tag for ${version}; add one to build on DHI`,
    );
  }

  const edition = useMirror ? 'enterprise' : 'community';
  reasons.push(
    `${runtimeImage} is ${
      fips ? 'the FIPS-enabled' : 'the'
    } Docker Hardened Image${
      useMirror ? ` from the ${mirror!.namespace} Enterprise mirror` : ''
    }: distroless, no shell, runs as nonroot`,
  );
  reasons.push(`pulling from ${registry} needs 'docker login ${registry}'`);

  return {
    runtime,
    version,
    flavor,
    runtimeImage,
    builderImage,
    debugImage: builderImage,
    variant: fips ? 'dhi-fips' : 'dhi',
    edition,
    shellless: true,
    authRequired: true,
    loginRegistries: [registry],
    requirements,
    frameworks: compliance.frameworks,
    reasons,
  };
}
