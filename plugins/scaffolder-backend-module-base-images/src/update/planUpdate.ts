import {
  BaseImagesConfig,
  classifyImage,
  DockerfileStage,
  ImageSelection,
  parseImageReference,
  ParsedDockerfile,
  rootStage,
  Runtime,
} from '@internal/backstage-plugin-base-images-common';

/** Which of the policy's images a stage is moved to. */
export type StageRole = 'runtime' | 'builder' | 'debug';

export interface StageChange {
  stage: DockerfileStage;
  role: StageRole;
  /** The new image text for the FROM line. */
  image: string;
}

export interface UpdatePlan {
  /** Stages whose FROM text changes, in Dockerfile order. */
  changes: StageChange[];
  /** Every stage on one of the runtime's images, by role, changed or not. */
  roles: Map<number, StageRole>;
  /** Images of the stages left alone (other runtimes and tools, such as golang), written literally. */
  foreignImages: string[];
  /** Digests the FROM lines are pinned to after the move, by policy image. */
  pinnedDigests: Record<string, string>;
}

/** Stage names that mean "what runs in production" even when another stage follows. */
const RUNTIME_STAGE_NAMES = new Set(['production', 'runtime']);

const withoutDigest = (image: string) => {
  const ref = parseImageReference(image);
  return `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`;
};

/** True for the runtime's standard image and the configured hardened images of the runtime. */
export function isRuntimeImage(
  image: string,
  runtime: Runtime,
  config: BaseImagesConfig,
): boolean {
  let ref;
  try {
    ref = parseImageReference(image);
  } catch {
    return false;
  }
  if (ref.registry === 'docker.io' && ref.repository === `library/${runtime}`)
    return true;
  const classification = classifyImage(ref, config);
  return classification.hardened && classification.runtime === runtime;
}

/**
 * Decides the new FROM of every stage built on one of the runtime's images:
 * the final stage, and stages named production or runtime, with the stages
 * they build on, get the runtime image; a stage named debug gets the debug
 * image; every other stage on a runtime image gets the builder image.
 * `FROM <earlier stage>`, stages on other images and stages whose image
 * cannot be resolved are left as they are. Each new image is pinned to the
 * digest the registry gave; without one, a stage already on the required tag
 * keeps the digest it has, and any other stage gets the tag. Pure.
 */
export function planUpdate(
  parsed: ParsedDockerfile,
  selection: ImageSelection,
  digests: ReadonlyMap<string, string>,
  config: BaseImagesConfig,
): UpdatePlan {
  const { stages } = parsed;
  const runtimeRoots = new Set(
    stages
      .filter(
        (stage, i) =>
          i === stages.length - 1 ||
          (stage.name && RUNTIME_STAGE_NAMES.has(stage.name)),
      )
      .map(stage => rootStage(parsed, stage).index),
  );
  const target: Record<StageRole, string> = {
    runtime: selection.runtimeImage,
    builder: selection.builderImage,
    debug: selection.debugImage,
  };

  const plan: UpdatePlan = {
    changes: [],
    roles: new Map(),
    foreignImages: [],
    pinnedDigests: {},
  };
  for (const stage of stages) {
    if (stage.baseStage !== undefined || stage.image === undefined) continue;
    if (stage.problem) continue;
    if (
      stage.scratch ||
      !isRuntimeImage(stage.image, selection.runtime, config)
    ) {
      // kept as written; only a literal image can pass the check
      if (stage.image === stage.imageText)
        plan.foreignImages.push(stage.imageText);
      continue;
    }
    let role: StageRole = 'builder';
    if (runtimeRoots.has(stage.index)) role = 'runtime';
    else if (stage.name === 'debug') role = 'debug';
    plan.roles.set(stage.index, role);

    const wanted = target[role];
    const current = parseImageReference(stage.image);
    const sameTag = withoutDigest(stage.image) === withoutDigest(wanted);
    const digest =
      digests.get(wanted) ?? (sameTag ? current.digest : undefined);
    if (digest) plan.pinnedDigests[wanted] = digest;
    const image = digest ? `${wanted}@${digest}` : wanted;
    // an unchanged image keeps its spelling; variables are written out
    const literal = stage.imageText === stage.image;
    const unchanged =
      literal &&
      sameTag &&
      (current.digest ?? undefined) === (digest ?? undefined);
    if (!unchanged) plan.changes.push({ stage, role, image });
  }
  return plan;
}

/**
 * The branch a move is proposed on: `base-image/<tag>`. Tags allow what git
 * refs do not (`..`, a trailing `.` or `.lock`), so those are smoothed out.
 */
export function branchNameFor(tag: string): string {
  const part = tag
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/(\.lock)+$/i, '')
    .replace(/\.+$/, '');
  return `base-image/${part || 'latest'}`;
}

/** The tag of the runtime image the policy requires (`3.13-fips`), `latest` when it has none. */
export function tagOf(image: string): string {
  return parseImageReference(image).tag ?? 'latest';
}

export interface PullRequestText {
  title: string;
  description: string;
}

/** Title and body of the change, naming what requires it; catalog text kept to one line each. */
export function describeUpdate(options: {
  entityRef: string;
  entityName: string;
  dockerfile: string;
  previousImage: string;
  selection: ImageSelection;
  plan: UpdatePlan;
  oneLine: (text: string) => string;
}): PullRequestText {
  const { selection, plan, oneLine } = options;
  const code = (text: string) => `\`${oneLine(text).replace(/`/g, "'")}\``;
  const lines = [
    `The base-image policy requires ${code(selection.runtimeImage)} (${
      selection.variant
    }) for ${code(options.entityRef)}; its ${code(
      options.dockerfile,
    )} built on ${code(options.previousImage)}.`,
    '',
  ];
  if (selection.frameworks.length > 0) {
    lines.push('Required by:', '');
    for (const framework of selection.frameworks)
      lines.push(`- ${code(framework.id)} (from ${code(framework.source)})`);
  } else {
    lines.push('No compliance framework applies to this service.');
  }
  lines.push('', 'Why:', '');
  for (const reason of selection.reasons) lines.push(`- ${oneLine(reason)}`);
  lines.push(
    '',
    `Changed FROM lines of ${code(options.dockerfile)} (nothing else changes):`,
    '',
    '| line | stage | from | to |',
    '|---|---|---|---|',
  );
  for (const change of plan.changes) {
    lines.push(
      `| ${change.stage.line} | ${code(
        change.stage.name ?? `#${change.stage.index}`,
      )} (${change.role}) | ${code(change.stage.imageText)} | ${code(
        change.image,
      )} |`,
    );
  }
  const unpinned = plan.changes.filter(c => !c.image.includes('@'));
  lines.push(
    '',
    unpinned.length === 0
      ? 'Each new image is pinned to the digest its tag points at now; Renovate keeps the digests current within the tag.'
      : 'The registry gave no digest for some images, so they name tags; Renovate pins them on its next run.',
    '',
    'Proposed by the "Move a service to its required base image" template in Backstage.',
  );
  return {
    title: oneLine(
      `Move ${options.entityName} to ${selection.runtimeImage} (${selection.variant})`,
    ),
    description: lines.join('\n'),
  };
}
