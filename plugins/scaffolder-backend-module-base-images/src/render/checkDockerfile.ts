import { DockerfileParser, Instruction } from 'dockerfile-ast';

/** One broken rule in a generated Dockerfile. */
export interface DockerfileViolation {
  rule:
    | 'parses'
    | 'from-allowed'
    | 'shellless-no-run'
    | 'non-root-user'
    | 'exec-form'
    | 'final-stage-runtime';
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface DockerfilePolicy {
  /** Images the policy produced; every FROM must be one of these or an earlier stage. */
  allowedImages: string[];
  /** The runtime image: the final stage must be built on it. */
  runtimeImage: string;
  /** The runtime image has no shell, so its stages may not `RUN`. */
  shellless: boolean;
}

const KNOWN_INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);
const ROOT_USERS = new Set([
  'root',
  '0',
  'root:root',
  '0:0',
  'root:0',
  '0:root',
]);

const lineOf = (instruction: Instruction) =>
  instruction.getRange().start.line + 1;

interface Stage {
  from: Instruction;
  image: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * Checks a generated Dockerfile against the base-image rules. Returns every
 * violation, each naming its rule and line; an empty list means it passes.
 */
export function checkDockerfile(
  content: string,
  policy: DockerfilePolicy,
): DockerfileViolation[] {
  const violations: DockerfileViolation[] = [];
  const dockerfile = DockerfileParser.parse(content);
  const stages: Stage[] = [];

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (!KNOWN_INSTRUCTIONS.has(keyword)) {
      violations.push({
        rule: 'parses',
        line: lineOf(instruction),
        message: `unknown instruction ${JSON.stringify(
          instruction.getInstruction(),
        )}`,
      });
      continue;
    }
    if (keyword === 'FROM') {
      const args = instruction
        .getArguments()
        .map(a => a.getValue())
        .filter(a => !a.startsWith('--'));
      const [image, as, name] = args;
      if (
        !image ||
        (args.length !== 1 && (args.length !== 3 || as.toUpperCase() !== 'AS'))
      ) {
        violations.push({
          rule: 'parses',
          line: lineOf(instruction),
          message: 'FROM must be "FROM <image> [AS <name>]"',
        });
      }
      stages.push({
        from: instruction,
        image: image ?? '',
        name: name?.toLowerCase(),
        instructions: [],
      });
      continue;
    }
    if (stages.length === 0) {
      if (keyword !== 'ARG') {
        violations.push({
          rule: 'parses',
          line: lineOf(instruction),
          message: `${keyword} before the first FROM`,
        });
      }
      continue;
    }
    stages[stages.length - 1].instructions.push(instruction);
  }
  if (stages.length === 0) {
    return [{ rule: 'parses', line: 1, message: 'no FROM instruction' }];
  }

  const allowed = new Set(policy.allowedImages);
  const runtimeStages = new Set<string>();
  stages.forEach((stage, index) => {
    const earlier = stages
      .slice(0, index)
      .find(s => s.name && s.name === stage.image.toLowerCase());
    const isRuntime =
      stage.image === policy.runtimeImage ||
      (!!earlier && runtimeStages.has(earlier.name!));
    if (isRuntime && stage.name) runtimeStages.add(stage.name);
    if (!earlier && !allowed.has(stage.image)) {
      violations.push({
        rule: 'from-allowed',
        line: lineOf(stage.from),
        message: `FROM ${
          stage.image
        } is not an image the policy chose (allowed: ${[...allowed].join(
          ', ',
        )})`,
      });
    }
    if (policy.shellless && isRuntime) {
      for (const run of stage.instructions.filter(
        i => i.getKeyword() === 'RUN',
      )) {
        violations.push({
          rule: 'shellless-no-run',
          line: lineOf(run),
          message: `RUN in a stage built on ${policy.runtimeImage}, which has no shell; do the work in the build stage and COPY the result`,
        });
      }
    }
    for (const instruction of stage.instructions.filter(i =>
      ['CMD', 'ENTRYPOINT'].includes(i.getKeyword()),
    )) {
      const raw = (instruction.getRawArgumentsContent() ?? '').trim();
      let execForm = false;
      try {
        const parsed = JSON.parse(raw);
        execForm =
          Array.isArray(parsed) &&
          parsed.length > 0 &&
          parsed.every(p => typeof p === 'string');
      } catch {
        execForm = false;
      }
      if (!execForm) {
        violations.push({
          rule: 'exec-form',
          line: lineOf(instruction),
          message: `${instruction.getKeyword()} must use exec form (a JSON array of strings), not ${JSON.stringify(
            raw.slice(0, 60),
          )}`,
        });
      }
    }
  });

  const final = stages[stages.length - 1];
  if (
    final.image !== policy.runtimeImage &&
    !runtimeStages.has(final.image.toLowerCase())
  ) {
    violations.push({
      rule: 'final-stage-runtime',
      line: lineOf(final.from),
      message: `the final stage must be built on ${policy.runtimeImage}, not ${final.image}`,
    });
  }
  const users = final.instructions.filter(i => i.getKeyword() === 'USER');
  const lastUser = users[users.length - 1];
  if (!lastUser) {
    violations.push({
      rule: 'non-root-user',
      line: lineOf(final.from),
      message:
        'the final stage sets no USER; add USER nonroot (or another non-root user)',
    });
  } else if (
    ROOT_USERS.has((lastUser.getArgumentsContent() ?? '').trim().toLowerCase())
  ) {
    violations.push({
      rule: 'non-root-user',
      line: lineOf(lastUser),
      message: 'the final stage runs as root',
    });
  }
  return violations;
}
