import path from 'node:path';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { DOCKERFILE_INSTRUCTIONS } from '@internal/backstage-plugin-base-images-common';

/**
 * One broken rule in a generated Dockerfile.
 * @public
 */
export interface DockerfileViolation {
  rule:
    | 'parses'
    | 'syntax-frontend'
    | 'from-allowed'
    | 'copy-from-allowed'
    | 'no-onbuild'
    | 'shellless-no-run'
    | 'non-root-user'
    | 'no-user-database'
    | 'exec-form'
    | 'final-stage-runtime';
  /** 1-based line number. */
  line: number;
  message: string;
}

/**
 * Everything the rules depend on besides the Dockerfile itself, so the same
 * pure check serves rendering a new service and rewriting an existing one.
 * @public
 */
export interface DockerfilePolicy {
  /**
   * Images the policy produced; every FROM, `COPY --from` and
   * `RUN --mount=from=` must be one of these or an earlier stage.
   */
  allowedImages: string[];
  /** The runtime image: the final stage must be built on it. */
  runtimeImage: string;
  /**
   * Digests the registry gave for allowed images, by image: `<image>@<digest>`
   * is accepted for exactly these pairs, never for another digest or image.
   */
  pinnedDigests?: Record<string, string>;
  /** The runtime image has no shell, so its stages may not `RUN`. */
  shellless: boolean;
}

/** Docker's own Dockerfile frontend; any other `# syntax=` image runs its own build logic. */
const DOCKERFILE_FRONTEND =
  /^(?:docker\.io\/)?docker\/dockerfile(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const lineOf = (item: { getRange(): { start: { line: number } } }) =>
  item.getRange().start.line + 1;

interface Stage {
  from: Instruction;
  image: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * Why a value cannot be taken literally, or undefined when it can: the
 * builder removes quotes, applies escapes and expands `$VAR` (from build
 * arguments anyone running `docker build` can set), so the text we read is
 * not necessarily what Docker uses.
 */
function notLiteral(value: string, escapeChar: string): string | undefined {
  if (value.includes('$')) return 'it uses a variable';
  if (/["']/.test(value)) return 'it is quoted';
  if (value.includes(escapeChar) || value.includes('\\'))
    return 'it uses an escape';
  return undefined;
}

/**
 * Why the user of a final `USER` is (or may be) root, or undefined when it is
 * a literal non-root user. Follows how runc reads `user[:group]`: the part
 * before the first ':' is the user, a user that parses as a number (Go's
 * Atoi: `00`, `+0`) is a uid, and an empty user means the default, root.
 * User names are case-sensitive in Linux, so `ROOT` is not root by name, but
 * it only starts if the image's passwd defines it (Docker's images do not)
 * and it reads as root: refused too. Other names are taken as the image's
 * passwd defines them, which this check cannot see.
 */
function rootUserProblem(
  args: string[],
  escapeChar: string,
): string | undefined {
  if (args.length !== 1) {
    return `USER must name exactly one user[:group], not ${JSON.stringify(
      args.join(' '),
    )}`;
  }
  const [value] = args;
  const why = notLiteral(value, escapeChar);
  if (why) {
    return `USER ${value} cannot be checked because ${why}: it is resolved at build time, where a --build-arg can make it root; write the user or uid literally (for example USER nonroot)`;
  }
  const user = value.split(':')[0];
  if (user === '') return `USER ${value} names no user, so it runs as root`;
  if (/^[+-]?\d+$/.test(user) && Number(user) === 0)
    return `USER ${value} is uid 0 (root)`;
  if (user === 'root') return `USER ${value} is root`;
  if (user.toLowerCase() === 'root') {
    return `USER ${value} reads as root (Linux user names are case-sensitive, so it is only valid if the image defines that user); use nonroot or a non-zero uid`;
  }
  return undefined;
}

/** `--<name>=<value>` flags of an instruction; names compared case-insensitively. */
function flagValues(instruction: Instruction, name: string): string[] {
  const flags =
    'getFlags' in instruction
      ? (
          instruction as unknown as {
            getFlags(): Array<{ getName(): string; getValue(): string | null }>;
          }
        ).getFlags()
      : [];
  return flags
    .filter(flag => flag.getName().toLowerCase() === name)
    .map(flag => flag.getValue() ?? '');
}

const SYNTAX_DIRECTIVE = /^#\s*syntax\s*=\s*(\S*)/i;

/** Every `# syntax=` among the comments (and a `#!` line) before the first instruction. */
function syntaxDirectives(
  content: string,
): Array<{ line: number; frontend: string }> {
  const found: Array<{ line: number; frontend: string }> = [];
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (text === '') continue;
    if (!text.startsWith('#')) break;
    const match = SYNTAX_DIRECTIVE.exec(text);
    if (match) found.push({ line: i + 1, frontend: match[1] });
  }
  return found;
}

/**
 * Files that decide who a user name is: a COPY or ADD into them (or over
 * /etc as a whole) could map the final USER to uid 0 whatever it is called.
 */
const USER_DATABASE =
  /^\/etc\/?$|^\/etc\/(passwd|group|shadow|gshadow|sudoers(\.d(\/.*)?)?)$/;

/**
 * Where a COPY or ADD writes: its last argument, resolved against the stage's
 * WORKDIR. dockerfile-ast lists a heredoc's body as arguments too, so with a
 * heredoc only the instruction's first line counts.
 */
function copyDestination(
  instruction: Instruction,
  workdir: string,
): string | undefined {
  const firstLine = instruction.getRange().start.line;
  const all = instruction.getArguments();
  const heredoc = all.some(a => a.getValue().startsWith('<<'));
  const args = all
    .filter(a => !heredoc || a.getRange().start.line === firstLine)
    .map(a => a.getValue())
    .filter(a => !a.startsWith('--') && !a.startsWith('<<'));
  const target = args[args.length - 1];
  if (!target || (args.length < 2 && !heredoc)) return undefined;
  return path.posix.resolve(workdir, target).replace(/\/+$/, '') || '/';
}

/**
 * Checks a generated Dockerfile against the base-image rules. Returns every
 * violation, each naming its rule and line; an empty list means it passes.
 * Pure: everything it depends on is the content and `policy`.
 * @public
 */
export function checkDockerfile(
  content: string,
  policy: DockerfilePolicy,
): DockerfileViolation[] {
  const violations: DockerfileViolation[] = [];
  const dockerfile = DockerfileParser.parse(content);
  const escapeChar = dockerfile.getEscapeCharacter();
  const stages: Stage[] = [];

  // BuildKit reads parser directives from the leading comments, skipping a
  // `#!` line, which dockerfile-ast does not: so the comment block before the
  // first instruction is read here, line by line.
  for (const { line, frontend } of syntaxDirectives(content)) {
    if (!DOCKERFILE_FRONTEND.test(frontend)) {
      violations.push({
        rule: 'syntax-frontend',
        line,
        message: `# syntax=${frontend} builds with another frontend image, which runs its own build logic; use docker/dockerfile[:<tag>] or drop the directive`,
      });
    }
  }

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (!DOCKERFILE_INSTRUCTIONS.has(keyword)) {
      violations.push({
        rule: 'parses',
        line: lineOf(instruction),
        message: `unknown instruction ${JSON.stringify(
          instruction.getInstruction(),
        )}`,
      });
      continue;
    }
    if (keyword === 'ONBUILD') {
      violations.push({
        rule: 'no-onbuild',
        line: lineOf(instruction),
        message:
          'ONBUILD runs its instruction in every image built FROM this one, where these rules never see it; remove it',
      });
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
  const pinned = new Map(Object.entries(policy.pinnedDigests ?? {}));
  const allowedList = [
    ...allowed,
    ...[...pinned].map(([image, digest]) => `${image}@${digest}`),
  ].join(', ');
  /** The allowed image a reference stands for: itself, or the image of an accepted pin. */
  const policyImage = (reference: string) => {
    const at = reference.lastIndexOf('@');
    if (at === -1) return reference;
    const image = reference.slice(0, at);
    return allowed.has(image) && pinned.get(image) === reference.slice(at + 1)
      ? image
      : reference;
  };
  const runtimeStages = new Set<string>();

  /** `--from` of COPY and `from` of RUN --mount: an earlier stage (by name or index) or an allowed image. */
  const checkSource = (
    what: string,
    source: string,
    stageIndex: number,
    instruction: Instruction,
  ) => {
    const why = notLiteral(source, escapeChar);
    const earlier = /^\d+$/.test(source)
      ? Number(source) < stageIndex
      : stages
          .slice(0, stageIndex)
          .some(s => s.name && s.name === source.toLowerCase());
    if (!why && (earlier || allowed.has(policyImage(source)))) return;
    violations.push({
      rule: 'copy-from-allowed',
      line: lineOf(instruction),
      message: why
        ? `${what}=${source} cannot be checked because ${why}; name an earlier stage or an image the policy chose literally`
        : `${what}=${source} is neither an earlier stage nor an image the policy chose (allowed: ${allowedList})`,
    });
  };

  stages.forEach((stage, index) => {
    const earlier = stages
      .slice(0, index)
      .find(s => s.name && s.name === stage.image.toLowerCase());
    const image = policyImage(stage.image);
    const isRuntime =
      image === policy.runtimeImage ||
      (!!earlier && runtimeStages.has(earlier.name!));
    if (isRuntime && stage.name) runtimeStages.add(stage.name);
    if (!earlier && !allowed.has(image)) {
      violations.push({
        rule: 'from-allowed',
        line: lineOf(stage.from),
        message: `FROM ${stage.image} is not an image the policy chose (allowed: ${allowedList})`,
      });
    }
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === 'COPY') {
        for (const source of flagValues(instruction, 'from'))
          checkSource('COPY --from', source, index, instruction);
      }
      if (keyword === 'ADD' && flagValues(instruction, 'from').length > 0) {
        violations.push({
          rule: 'copy-from-allowed',
          line: lineOf(instruction),
          message:
            'ADD has no --from flag (BuildKit refuses it); use COPY --from=<earlier stage>',
        });
      }
      if (keyword === 'RUN') {
        for (const mount of flagValues(instruction, 'mount')) {
          // BuildKit reads --mount as one CSV record with case-insensitive
          // keys; refusing quotes and escapes keeps a plain split exact.
          if (
            /["']/.test(mount) ||
            mount.includes(escapeChar) ||
            mount.includes('\\')
          ) {
            violations.push({
              rule: 'copy-from-allowed',
              line: lineOf(instruction),
              message: `RUN --mount=${mount} cannot be checked because it uses quotes or escapes; write its key=value pairs plainly`,
            });
            continue;
          }
          for (const field of mount.split(',')) {
            const [key, ...value] = field.split('=');
            if (key.trim().toLowerCase() === 'from')
              checkSource(
                'RUN --mount from',
                value.join('='),
                index,
                instruction,
              );
          }
        }
      }
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
    policyImage(final.image) !== policy.runtimeImage &&
    !runtimeStages.has(final.image.toLowerCase())
  ) {
    violations.push({
      rule: 'final-stage-runtime',
      line: lineOf(final.from),
      message: `the final stage must be built on ${policy.runtimeImage}, not ${final.image}`,
    });
  }
  let workdir = '/';
  for (const instruction of final.instructions) {
    const keyword = instruction.getKeyword();
    if (keyword === 'WORKDIR') {
      const dir = instruction.getArguments().map(a => a.getValue())[0];
      if (dir) workdir = path.posix.resolve(workdir, dir);
    }
    if (keyword !== 'COPY' && keyword !== 'ADD') continue;
    const destination = copyDestination(instruction, workdir);
    if (destination && USER_DATABASE.test(destination)) {
      violations.push({
        rule: 'no-user-database',
        line: lineOf(instruction),
        message: `${keyword} writes ${destination} in the final stage: the base image's users decide who USER runs as; copy the application elsewhere`,
      });
    }
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
  } else {
    const problem = rootUserProblem(
      lastUser.getArguments().map(a => a.getValue()),
      escapeChar,
    );
    if (problem) {
      violations.push({
        rule: 'non-root-user',
        line: lineOf(lastUser),
        message: `the final stage must not run as root: ${problem}`,
      });
    }
  }
  return violations;
}
