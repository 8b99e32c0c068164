import { Arg, DockerfileParser, Instruction } from 'dockerfile-ast';
import {
  InvalidImageReferenceError,
  parseImageReference,
} from '../image/imageReference';
import {
  ArgValues,
  expandWord,
  UnresolvedVariableError,
} from './expandVariables';

/**
 * Longer Dockerfiles are refused unread (a service's Dockerfile is a few kB).
 * @public
 */
export const MAX_DOCKERFILE_LENGTH = 512 * 1024;

/**
 * What can keep a Dockerfile from naming a base image.
 * @public
 */
export type DockerfileProblem =
  | 'unparseable'
  | 'no-from'
  | 'unresolved-arg'
  | 'invalid-image'
  | 'scratch';

/**
 * Why a Dockerfile (or one of its stages) gives no base image; `line` is 1-based.
 * @public
 */
export interface DockerfileFinding {
  problem: DockerfileProblem;
  message: string;
  line?: number;
}

/**
 * A Dockerfile that cannot be read as one: `finding` says why.
 * @public
 */
export class DockerfileError extends Error {
  readonly name = 'DockerfileError';
  constructor(readonly finding: DockerfileFinding) {
    super(
      finding.line
        ? `line ${finding.line}: ${finding.message}`
        : finding.message,
    );
  }
}

/**
 * One `FROM` and the stage it starts.
 * @public
 */
export interface DockerfileStage {
  /** 0-based position among the stages. */
  index: number;
  /** 1-based line of the `FROM` keyword. */
  line: number;
  /** The keyword as written (`FROM`, `from`), for messages that quote the line. */
  keyword: string;
  /** The image argument exactly as written: variables, quotes and continuations included. */
  imageText: string;
  /** Where `imageText` is in the content: `content.slice(start, end) === imageText`. */
  imageRange: { start: number; end: number };
  /**
   * The image after build arguments are applied, or the name of an earlier
   * stage (see `baseStage`); undefined when `problem` says why not.
   */
  image?: string;
  /** Why `image` is undefined, or why it is not a valid image reference. */
  problem?: DockerfileFinding;
  /** The stage name given with `AS`, lower-cased as Docker compares it. */
  name?: string;
  /** Index of the earlier stage this `FROM` builds on, when it names one. */
  baseStage?: number;
  /** `FROM scratch`: an empty image. */
  scratch: boolean;
}

/** @public */
export interface ParsedDockerfile {
  stages: DockerfileStage[];
  /** Build arguments declared before the first `FROM`, with their defaults. */
  args: ArgValues;
  escapeChar: string;
}

/**
 * Instructions Docker's Dockerfile frontend knows; any other word fails the build.
 * @public
 */
export const DOCKERFILE_INSTRUCTIONS: ReadonlySet<string> = new Set([
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

/** BuildKit's rule for stage names (after lower-casing). */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Characters that never occur in a text Dockerfile: NUL and the C0 controls but tab, LF, CR, FF. */
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000b\u000e-\u001f]/;

/** Start offset of every line, breaking lines where dockerfile-ast does (\r\n, \r, \n). */
function lineStarts(content: string): number[] {
  const starts = [0];
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (c === '\r' && content[i + 1] === '\n') i++;
    if (c === '\r' || c === '\n') starts.push(i + 1);
  }
  return starts;
}

const quoteText = (text: string) =>
  JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

function unparseable(message: string, line?: number): DockerfileError {
  return new DockerfileError({ problem: 'unparseable', message, line });
}

/** Reads the build arguments declared before the first FROM, expanding each default with the earlier ones. */
function globalArgs(
  instructions: Instruction[],
  escapeChar: string,
  lineOf: (i: Instruction) => number,
): Map<string, string | undefined> {
  const args = new Map<string, string | undefined>();
  for (const instruction of instructions) {
    if (instruction.getKeyword() !== 'ARG') continue;
    for (const property of (instruction as Arg).getProperties()) {
      const raw = property.getUnescapedValue();
      if (raw === null) {
        args.set(property.getName(), undefined);
        continue;
      }
      try {
        args.set(property.getName(), expandWord(raw, escapeChar, args));
      } catch (error) {
        if (!(error instanceof UnresolvedVariableError)) throw error;
        // its default depends on something unknown: as unknown as no default
        args.set(property.getName(), undefined);
        if (error.variable === undefined) {
          throw unparseable(
            `ARG ${property.getName()}: ${error.message}`,
            lineOf(instruction),
          );
        }
      }
    }
  }
  return args;
}

/**
 * Parses a Dockerfile into its stages with dockerfile-ast, holding it to the
 * rules Docker's own parser enforces (known instructions, nothing but ARG
 * before the first FROM, `FROM [--platform=…] <image> [AS <name>]`, valid and
 * unique stage names). Comments, line continuations, heredocs, the
 * `# escape=` directive and any casing of `FROM` are read as Docker reads
 * them. Throws {@link DockerfileError} for binary or oversized content, a
 * Dockerfile Docker would refuse, and one with no FROM. Stage images that
 * cannot be resolved are not an error here: each stage says why in `problem`.
 * @public
 */
export function parseDockerfile(content: string): ParsedDockerfile {
  if (typeof content !== 'string')
    throw unparseable('the Dockerfile is not text');
  if (content.length > MAX_DOCKERFILE_LENGTH) {
    throw unparseable(
      `the Dockerfile is ${content.length} characters long; at most ${MAX_DOCKERFILE_LENGTH} are read`,
    );
  }
  const binary = BINARY.exec(content);
  if (binary) {
    throw unparseable(
      `the file is not a text Dockerfile: it contains the control character U+${binary[0]
        .charCodeAt(0)
        .toString(16)
        .toUpperCase()
        .padStart(4, '0')}`,
      content.slice(0, binary.index).split(/\r\n|\r|\n/).length,
    );
  }

  const dockerfile = DockerfileParser.parse(content);
  const escapeChar = dockerfile.getEscapeCharacter();
  const starts = lineStarts(content);
  const offsetOf = (position: { line: number; character: number }) =>
    starts[position.line] + position.character;
  const lineOf = (instruction: Instruction) =>
    instruction.getRange().start.line + 1;

  const instructions = dockerfile.getInstructions();
  const firstFrom = instructions.findIndex(i => i.getKeyword() === 'FROM');
  for (const [position, instruction] of instructions.entries()) {
    const keyword = instruction.getKeyword();
    if (!DOCKERFILE_INSTRUCTIONS.has(keyword)) {
      throw unparseable(
        `unknown instruction ${quoteText(instruction.getInstruction())}`,
        lineOf(instruction),
      );
    }
    if ((firstFrom === -1 || position < firstFrom) && keyword !== 'ARG') {
      throw unparseable(
        `${keyword} comes before the first FROM; only ARG may`,
        lineOf(instruction),
      );
    }
  }
  if (firstFrom === -1) {
    throw new DockerfileError({
      problem: 'no-from',
      message: 'the Dockerfile has no FROM instruction',
    });
  }
  const args = globalArgs(instructions.slice(0, firstFrom), escapeChar, lineOf);

  const stages: DockerfileStage[] = [];
  const stageByName = new Map<string, DockerfileStage>();
  for (const from of dockerfile.getFROMs()) {
    const line = lineOf(from);
    const flags = from.getFlags();
    const unknownFlag = flags.find(
      flag => flag.getName().toLowerCase() !== 'platform',
    );
    if (unknownFlag) {
      throw unparseable(
        `FROM has the flag --${unknownFlag.getName()}; it only takes --platform`,
        line,
      );
    }
    const argumentList = from.getArguments();
    const [imageArgument, as, nameArgument] = argumentList;
    if (
      !imageArgument ||
      (argumentList.length !== 1 &&
        (argumentList.length !== 3 || as.getValue().toUpperCase() !== 'AS'))
    ) {
      throw unparseable(
        'FROM must be "FROM [--platform=<platform>] <image> [AS <name>]"',
        line,
      );
    }
    let name: string | undefined;
    if (nameArgument) {
      name = nameArgument.getValue().toLowerCase();
      if (!STAGE_NAME.test(name)) {
        throw unparseable(
          `stage name ${quoteText(
            nameArgument.getValue(),
          )} must start with a letter and hold only letters, digits, "-", "_" and "."`,
          line,
        );
      }
      if (stageByName.has(name))
        throw unparseable(`stage name ${quoteText(name)} is used twice`, line);
    }

    const range = imageArgument.getRange();
    const imageRange = {
      start: offsetOf(range.start),
      end: offsetOf(range.end),
    };
    const stage: DockerfileStage = {
      index: stages.length,
      line,
      keyword: from.getInstruction(),
      imageText: content.slice(imageRange.start, imageRange.end),
      imageRange,
      name,
      scratch: false,
    };
    try {
      stage.image = expandWord(imageArgument.getValue(), escapeChar, args);
    } catch (error) {
      if (!(error instanceof UnresolvedVariableError)) throw error;
      stage.problem = {
        problem: 'unresolved-arg',
        message: `FROM ${stage.imageText}: ${error.message}`,
        line,
      };
    }
    if (stage.image !== undefined) {
      // Docker matches stage names after expansion, case-insensitively
      const earlier = stageByName.get(stage.image.toLowerCase());
      if (earlier) stage.baseStage = earlier.index;
      else if (stage.image.toLowerCase() === 'scratch') stage.scratch = true;
      else {
        try {
          parseImageReference(stage.image);
        } catch (error) {
          if (!(error instanceof InvalidImageReferenceError)) throw error;
          stage.problem = {
            problem: 'invalid-image',
            message: `FROM ${stage.imageText}: ${error.message}`,
            line,
          };
        }
      }
    }
    stages.push(stage);
    if (name) stageByName.set(name, stage);
  }
  return { stages, args, escapeChar };
}

/**
 * The stage whose FROM names a real image, following `FROM <earlier stage>` back.
 * @public
 */
export function rootStage(
  parsed: ParsedDockerfile,
  stage: DockerfileStage,
): DockerfileStage {
  let current = stage;
  // baseStage always points at an earlier stage, so this ends
  while (current.baseStage !== undefined)
    current = parsed.stages[current.baseStage];
  return current;
}

/** @public */
export type DockerfileBaseImage =
  | { ok: true; image: string; line: number }
  | ({ ok: false } & DockerfileFinding);

/**
 * The base image of the service a Dockerfile builds: the image of its final
 * stage, following references to earlier stages, with build-argument
 * defaults applied, `--platform` ignored and a digest kept. `line` is the
 * 1-based line of the FROM that names the image. Never throws: anything that
 * keeps the Dockerfile from naming one image is a finding with a message.
 * @public
 */
export function dockerfileBaseImage(content: string): DockerfileBaseImage {
  let parsed: ParsedDockerfile;
  try {
    parsed = parseDockerfile(content);
  } catch (error) {
    if (error instanceof DockerfileError)
      return { ok: false, ...error.finding };
    throw error;
  }
  const final = parsed.stages[parsed.stages.length - 1];
  const root = rootStage(parsed, final);
  if (root.problem) return { ok: false, ...root.problem };
  if (root.scratch) {
    return {
      ok: false,
      problem: 'scratch',
      message:
        root === final
          ? 'the final stage is FROM scratch, which has no base image'
          : `the final stage builds on stage ${root.name} (line ${root.line}), which is FROM scratch and has no base image`,
      line: root.line,
    };
  }
  return { ok: true, image: root.image!, line: root.line };
}

/**
 * Replaces the image of the given stages, keeping every other character of
 * the content as it is (keyword casing, `--platform`, `AS <name>`,
 * comments, line endings). `images` maps a stage index to its new image text.
 * @public
 */
export function replaceStageImages(
  content: string,
  parsed: ParsedDockerfile,
  images: ReadonlyMap<number, string>,
): string {
  const edits = [...images.entries()]
    .map(([index, image]) => {
      const stage = parsed.stages[index];
      if (!stage) throw new Error(`There is no stage ${index}`);
      if (/[\s\\`]/.test(image) || image.length === 0)
        throw new Error(`${quoteText(image)} is not a single image word`);
      return { range: stage.imageRange, image };
    })
    .sort((a, b) => b.range.start - a.range.start);
  let result = content;
  for (const { range, image } of edits)
    result = result.slice(0, range.start) + image + result.slice(range.end);
  return result;
}
