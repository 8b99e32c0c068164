/**
 * Expansion of build arguments in a Dockerfile word, the way BuildKit's shell
 * lexer reads `FROM` and `ARG` values: quotes removed, the escape character
 * applied, `$VAR`, `${VAR}` and the `-`, `:-`, `+`, `:+` forms expanded.
 * Hand-written because dockerfile-ast finds variables but does not expand
 * them (its getExpandedArguments ignores the modifiers).
 */

/**
 * Values of the build arguments in scope; `undefined` for an ARG without a default.
 * @public
 */
export type ArgValues = ReadonlyMap<string, string | undefined>;

/** Arguments BuildKit defines from the build platform, which no Dockerfile text can fix. */
const PLATFORM_ARGS = new Set([
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
]);

/** Deepest `${A:-${B:-…}}` nesting read; deeper is refused rather than recursed into. */
const MAX_NESTING = 16;

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/**
 * Why a word has no single value.
 * @public
 */
export class UnresolvedVariableError extends Error {
  readonly name = 'UnresolvedVariableError';
  constructor(readonly variable: string | undefined, problem: string) {
    super(problem);
  }
}

function unsetProblem(name: string, args: ArgValues): string {
  if (PLATFORM_ARGS.has(name)) return `$${name} depends on the build platform`;
  if (args.has(name)) {
    return `ARG ${name} has no default value, so the image depends on --build-arg ${name}; give it a default`;
  }
  return `$${name} is not declared by an ARG before the first FROM`;
}

class Lexer {
  private position = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly escapeChar: string,
    private readonly args: ArgValues,
  ) {}

  /** Reads up to `stop` (exclusive) or the end; `stop` is '}' inside `${VAR:-word}`. */
  word(stop?: string): string {
    let out = '';
    while (this.position < this.text.length) {
      const c = this.text[this.position];
      if (c === stop) return out;
      if (c === this.escapeChar) {
        this.position++;
        if (this.position < this.text.length) out += this.text[this.position];
        else out += c;
        this.position++;
      } else if (c === "'") {
        out += this.singleQuoted();
      } else if (c === '"') {
        out += this.doubleQuoted();
      } else if (c === '$') {
        out += this.variable();
      } else {
        out += c;
        this.position++;
      }
    }
    if (stop) {
      throw new UnresolvedVariableError(
        undefined,
        `\${...} is not closed with '${stop}'`,
      );
    }
    return out;
  }

  private singleQuoted(): string {
    const end = this.text.indexOf("'", this.position + 1);
    if (end === -1)
      throw new UnresolvedVariableError(undefined, 'a quote is not closed');
    const out = this.text.slice(this.position + 1, end);
    this.position = end + 1;
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    this.position++;
    while (this.position < this.text.length) {
      const c = this.text[this.position];
      if (c === '"') {
        this.position++;
        return out;
      }
      if (c === this.escapeChar) {
        const next = this.text[this.position + 1];
        // inside double quotes the escape only applies before these
        if (next === '"' || next === '$' || next === this.escapeChar) {
          out += next;
          this.position += 2;
        } else {
          out += c;
          this.position++;
        }
      } else if (c === '$') {
        out += this.variable();
      } else {
        out += c;
        this.position++;
      }
    }
    throw new UnresolvedVariableError(undefined, 'a quote is not closed');
  }

  private name(): string {
    const start = this.position;
    if (!NAME_START.test(this.text[this.position] ?? '')) return '';
    while (NAME_PART.test(this.text[this.position] ?? '')) this.position++;
    return this.text.slice(start, this.position);
  }

  private value(name: string): string {
    const value = this.args.get(name);
    if (value === undefined || PLATFORM_ARGS.has(name))
      throw new UnresolvedVariableError(name, unsetProblem(name, this.args));
    return value;
  }

  private variable(): string {
    this.position++; // '$'
    if (this.text[this.position] !== '{') {
      const name = this.name();
      return name ? this.value(name) : '$';
    }
    this.position++; // '{'
    const name = this.name();
    if (!name) {
      throw new UnresolvedVariableError(
        undefined,
        '${...} does not start with a variable name',
      );
    }
    if (this.text[this.position] === '}') {
      this.position++;
      return this.value(name);
    }
    const modifier = /^:?[-+]/.exec(this.text.slice(this.position))?.[0];
    if (!modifier) {
      throw new UnresolvedVariableError(
        name,
        `\${${name}${this.text.slice(
          this.position,
          this.position + 1,
        )}...} is not supported here; use $${name}, \${${name}}, \${${name}:-default} or \${${name}:+value}`,
      );
    }
    if (PLATFORM_ARGS.has(name))
      throw new UnresolvedVariableError(name, unsetProblem(name, this.args));
    this.position += modifier.length;
    const value = this.args.get(name);
    const set = value !== undefined;
    const present = modifier.startsWith(':') ? set && value !== '' : set;
    if (++this.depth > MAX_NESTING) {
      throw new UnresolvedVariableError(
        name,
        `\${...} is nested more than ${MAX_NESTING} deep`,
      );
    }
    // the word is read (and checked) even when it is not used
    const word = this.word('}');
    this.depth--;
    this.position++; // '}'
    if (modifier.endsWith('-')) return present ? value! : word;
    return present ? word : '';
  }
}

/**
 * Expands one word with the given build arguments. Throws
 * {@link UnresolvedVariableError} when the value depends on something the
 * Dockerfile does not fix (an ARG without default, an undeclared variable,
 * the build platform) or uses a form this reader does not support.
 */
export function expandWord(
  text: string,
  escapeChar: string,
  args: ArgValues,
): string {
  return new Lexer(text, escapeChar, args).word();
}
