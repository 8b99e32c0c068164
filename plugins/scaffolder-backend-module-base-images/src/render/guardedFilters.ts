import { builtins, Filter, nunjucksRuntime } from './nunjucksInternals';
import {
  checkedString,
  GuardError,
  hasOwn,
  isPlainArray,
  isPlainObject,
  isScalar,
  isText,
  RenderBudget,
  shapeOf,
  Shape,
  workOf,
} from './guardedValues';
import {
  FILTER_RULES,
  FilterRule,
  ITEM_COST,
  MAX_LOOP_ITERATIONS,
  MAX_RANGE_LENGTH,
} from './templatePolicy';

/**
 * The filters, tests and range() of the run-time guard. nunjucks' filters
 * work on anything with a `length` (`{length: 4000000000} | reverse` copies
 * four billion items) and turn lists into text wherever they need a string,
 * so every filter here first checks that its input and arguments are the
 * plain data it is meant for and bounds what it will build, then runs
 * nunjucks' implementation, then measures the result.
 */

const BUILTINS = builtins();

/** The object nunjucks passes keyword arguments in, marked by makeKeywordArgs. */
function isKeywordArgs(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && hasOwn(value, '__keywords');
}

/** What a filter accepts as its input or one of its arguments. */
interface Kind {
  accepts(value: unknown): boolean;
  /** How the accepted values read in an error message. */
  expected: string;
}

/** Text filters: nunjucks turns null, undefined and false into ''. */
const TEXT: Kind = {
  accepts: value =>
    isText(value) || value === null || value === undefined || value === false,
  expected: 'a string',
};
const STRING_ONLY: Kind = { accepts: isText, expected: 'a string' };
const SCALAR: Kind = { accepts: isScalar, expected: 'a string or a number' };
const DATA: Kind = { accepts: () => true, expected: 'data' };
const LIST_OF_SCALARS: Kind = {
  accepts: value => isPlainArray(value) && value.every(isScalar),
  expected: 'a list of strings or numbers',
};
const LIST_OR_STRING: Kind = {
  accepts: value => typeof value === 'string' || isPlainArray(value),
  expected: 'a list or a string',
};
const SORTABLE: Kind = {
  accepts: value =>
    typeof value === 'string' || (isPlainArray(value) && value.every(isScalar)),
  expected: 'a string or a list of strings or numbers',
};
const ITERABLE: Kind = {
  accepts: value =>
    typeof value === 'string' ||
    isPlainArray(value) ||
    (isPlainObject(value) && !isKeywordArgs(value)),
  expected: 'a string, a list or a dict',
};
const isPair = (item: unknown) =>
  isPlainArray(item) && isScalar(item[0]) && isScalar(item[1]);
const URL_PARAMETERS: Kind = {
  accepts: value =>
    typeof value === 'string' ||
    (isPlainArray(value) && value.every(isPair)) ||
    (isPlainObject(value) &&
      !isKeywordArgs(value) &&
      Object.values(value).every(isScalar)),
  expected: 'a string, a dict of strings or a list of [name, value] pairs',
};

/**
 * Bounds what a filter builds, before it allocates anything, and returns the
 * work it will do beyond reading its arguments and building its result
 * (which are charged anyway): ITEM_COST for each match, line or word it
 * visits, or what its comparisons or character loop cost.
 */
type Precheck = (args: unknown[], shapes: Shape[]) => number;

interface FilterGuard {
  /** The filtered value. */
  input: Kind;
  /** The other positional arguments, by position (1 = the first argument). */
  args?: ReadonlyMap<number, Kind>;
  precheck?: Precheck;
  /** Replaces nunjucks' implementation (see each for why). */
  implementation?: Filter;
}

/**
 * nunjucks' `trim` uses /^\s*|\s*$/g, which takes quadratic time on a long run
 * of inner whitespace; String.prototype.trim strips the same characters.
 */
function trim(value: unknown): unknown {
  return nunjucksRuntime.copySafeness(value, String(value).trim());
}

/** Text filters see '' for null, undefined and false, as nunjucks' normalize() does. */
const textOf = (value: unknown) =>
  value === null || value === undefined || value === false ? '' : String(value);

const isWordCharacter = (code: number) =>
  (code >= 48 && code <= 57) || // 0-9
  (code >= 65 && code <= 90) || // A-Z
  (code >= 97 && code <= 122) || // a-z
  code === 95; // _

/**
 * nunjucks' `wordcount` builds the array of every /\w+/ match only to take
 * its length (a million matches for "a a a ..."); this counts the same runs.
 */
function wordcount(value: unknown): number | null {
  const text = textOf(value);
  let words = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const wordCharacter = isWordCharacter(text.charCodeAt(index));
    if (wordCharacter && !inWord) words++;
    inWord = wordCharacter;
  }
  return words || null;
}

/** Non-overlapping occurrences of `part` in `text`, as nunjucks' replace finds them. */
function occurrences(text: string, part: string): number {
  if (part === '') return text.length + 1;
  let count = 0;
  for (
    let index = text.indexOf(part);
    index !== -1;
    index = text.indexOf(part, index + part.length)
  ) {
    count++;
  }
  return count;
}

/** Characters `escape` turns into entities, the longest of which (&quot;) has 6. */
const ESCAPED = new Set(
  ['&', '"', "'", '<', '>', '\\'].map(c => c.charCodeAt(0)),
);

function escapePrecheck([text]: unknown[]): number {
  const value = textOf(text);
  let escaped = 0;
  for (let index = 0; index < value.length; index++) {
    if (ESCAPED.has(value.charCodeAt(index))) escaped++;
  }
  checkedString(value.length + 5 * escaped, 'the escaped text');
  // nunjucks calls a function for each of them.
  return ITEM_COST * escaped;
}

/** encodeURIComponent's output length for each ASCII character. */
const ASCII_ENCODED_LENGTH = Uint8Array.from(
  { length: 128 },
  (_, code) => encodeURIComponent(String.fromCharCode(code)).length,
);

/** Length of encodeURIComponent(text), without building it. */
function encodedLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) length += ASCII_ENCODED_LENGTH[code];
    else if (code < 0x800) length += 6;
    // Three UTF-8 bytes, or half of a surrogate pair's four.
    else length += 9;
  }
  return length;
}

/**
 * How often sorting `count` items visits each: sort compares (and, unless
 * case_sensitive, lower-cases) every item about log2(count) times.
 */
const sortPasses = (count: number) =>
  Math.max(1, Math.ceil(Math.log2(count + 1)));

const FILTER_GUARDS: ReadonlyMap<string, FilterGuard> = new Map<
  string,
  FilterGuard
>([
  ['abs', { input: SCALAR }],
  ['capitalize', { input: TEXT }],
  ['center', { input: TEXT }],
  ['d', { input: DATA }],
  ['default', { input: DATA }],
  [
    'dump',
    {
      input: DATA,
      precheck: ([, spaces], [valueShape]) => {
        checkedString(
          valueShape.chars +
            2 * valueShape.chars * valueShape.depth * (Number(spaces) || 0),
          'the JSON text',
        );
        return 0;
      },
    },
  ],
  ['e', { input: SCALAR, precheck: escapePrecheck }],
  ['escape', { input: SCALAR, precheck: escapePrecheck }],
  ['first', { input: LIST_OR_STRING }],
  ['float', { input: SCALAR }],
  [
    'indent',
    {
      input: TEXT,
      precheck: ([text, width], [textShape]) => {
        const lines = occurrences(textOf(text), '\n') + 1;
        checkedString(
          textShape.chars + lines * (Number(width) || 4),
          'the indented text',
        );
        return ITEM_COST * lines;
      },
    },
  ],
  ['int', { input: SCALAR, args: new Map([[2, SCALAR]]) }],
  [
    'join',
    {
      input: LIST_OF_SCALARS,
      args: new Map([[1, SCALAR]]),
      precheck: ([items, separator], [itemsShape, separatorShape]) => {
        checkedString(
          itemsShape.chars +
            (items as unknown[]).length *
              (separator ? separatorShape.chars : 0),
          'the joined text',
        );
        return 0;
      },
    },
  ],
  ['last', { input: LIST_OR_STRING }],
  ['length', { input: DATA }],
  [
    'list',
    {
      input: ITERABLE,
      precheck: ([value], [shape]) => {
        checkedString(
          typeof value === 'string' ? 2 * shape.chars + 2 : shape.chars,
          'the list',
        );
        return 0;
      },
    },
  ],
  ['lower', { input: TEXT }],
  [
    'replace',
    {
      input: SCALAR,
      args: new Map([
        [1, SCALAR],
        [2, SCALAR],
        [3, SCALAR],
      ]),
      precheck: ([text, old], [, , replacementShape]) => {
        // nunjucks returns anything else unchanged.
        if (typeof old !== 'string' && typeof old !== 'number') return 0;
        if (typeof text !== 'number' && !isText(text)) return 0;
        const [value, part] = [String(text), String(old)];
        const found = occurrences(value, part);
        checkedString(
          value.length + found * ((replacementShape?.chars ?? 0) - part.length),
          'the replaced text',
        );
        return ITEM_COST * found;
      },
    },
  ],
  [
    'reverse',
    {
      input: LIST_OR_STRING,
      // A string is reversed as the list of its characters.
      precheck: ([value]) =>
        typeof value === 'string' ? ITEM_COST * value.length : 0,
    },
  ],
  [
    'round',
    {
      input: SCALAR,
      args: new Map([
        [1, SCALAR],
        [2, SCALAR],
      ]),
    },
  ],
  [
    'sort',
    {
      input: SORTABLE,
      precheck: ([items], [shape]) => {
        const { length } = items as unknown[] | string;
        if (length > MAX_LOOP_ITERATIONS) {
          throw new GuardError(
            `the sort filter takes at most ${MAX_LOOP_ITERATIONS} items`,
          );
        }
        return (shape.chars + ITEM_COST * length) * sortPasses(length);
      },
    },
  ],
  ['string', { input: DATA }],
  [
    'title',
    {
      input: TEXT,
      // Capitalizes each space-separated word on its own, building four
      // strings per word.
      precheck: ([text]) =>
        4 * ITEM_COST * (occurrences(textOf(text), ' ') + 1),
    },
  ],
  ['trim', { input: STRING_ONLY, implementation: trim }],
  ['truncate', { input: TEXT, args: new Map([[3, SCALAR]]) }],
  ['upper', { input: TEXT }],
  [
    'urlencode',
    {
      input: URL_PARAMETERS,
      precheck: ([value]) => {
        const parts =
          typeof value === 'string'
            ? [value]
            : (isPlainArray(value)
                ? (value as unknown[][]).flatMap(pair => pair.slice(0, 2))
                : Object.entries(value as object).flat()
              ).map(part => String(part));
        checkedString(
          parts.reduce((sum, part) => sum + encodedLength(part) + 1, 0),
          'the URL-encoded text',
        );
        return ITEM_COST * parts.length;
      },
    },
  ],
  [
    'wordcount',
    {
      input: TEXT,
      implementation: wordcount,
      // Its loop takes a few nanoseconds per character.
      precheck: ([text]) => 4 * textOf(text).length,
    },
  ],
]);

function guardFilter(
  name: string,
  rule: FilterRule,
  budget: RenderBudget,
): Filter {
  const guard = FILTER_GUARDS.get(name);
  if (!guard) {
    // templatePolicy.ts and this file list the same filters; a test keeps them equal.
    throw new Error(`the ${name} filter has no run-time guard`);
  }
  const filter = guard.implementation ?? BUILTINS.filters[name];
  return function guardedFilter(this: unknown, ...args: unknown[]) {
    const keywords = isKeywordArgs(args[args.length - 1])
      ? (args[args.length - 1] as Record<string, unknown>)
      : undefined;
    const positional = keywords ? args.slice(0, -1) : args;
    if (positional.length > rule.maxArgs) {
      throw new GuardError(
        `the ${name} filter takes at most ${rule.maxArgs - 1} argument(s) here`,
      );
    }
    for (const keyword of Object.keys(keywords ?? {})) {
      if (keyword !== '__keywords' && !rule.keywords?.has(keyword)) {
        throw new GuardError(
          `the ${name} filter takes no \`${keyword}\` keyword argument here`,
        );
      }
    }
    for (const [index, cap] of rule.sizeArgs ?? []) {
      const size = positional[index];
      if (
        size !== undefined &&
        size !== null &&
        !(
          Number.isInteger(size) &&
          (size as number) >= 0 &&
          (size as number) <= cap
        )
      ) {
        throw new GuardError(
          `the size argument of the ${name} filter must be a whole number from 0 to ${cap}`,
        );
      }
    }
    // Measuring proves every argument is plain data, before any is looked at.
    const shapes = args.map(arg => shapeOf(arg));
    if (!guard.input.accepts(positional[0])) {
      throw new GuardError(
        `the ${name} filter needs ${guard.input.expected}, not ${describe(
          positional[0],
        )}`,
      );
    }
    for (const [index, kind] of guard.args ?? []) {
      if (index < positional.length && !kind.accepts(positional[index])) {
        throw new GuardError(
          `argument ${index} of the ${name} filter must be ${
            kind.expected
          }, not ${describe(positional[index])}`,
        );
      }
    }
    const extraWork = guard.precheck?.(positional, shapes) ?? 0;
    budget.charge(
      shapes.reduce((sum, shape) => sum + workOf(shape), 0) + extraWork,
    );
    const result = filter.apply(this, args);
    const resultShape = shapeOf(result);
    checkedString(resultShape.chars, `the result of the ${name} filter`);
    budget.charge(workOf(resultShape));
    return result;
  };
}

function describe(value: unknown): string {
  if (isPlainArray(value)) {
    return value.every(isScalar) ? 'a list' : 'a list holding lists or dicts';
  }
  if (isPlainObject(value)) return 'a dict';
  if (value === null) return 'none';
  if (isText(value)) return 'a string';
  return `a ${typeof value}`;
}

function guardTest(test: Filter, budget: RenderBudget): Filter {
  return function guardedTest(this: unknown, ...args: unknown[]) {
    budget.charge(
      args.reduce<number>((sum, arg) => sum + workOf(shapeOf(arg)), 0),
    );
    return test.apply(this, args);
  };
}

/** The filters and tests a template may use, each guarded. */
export function createFilters(
  budget: RenderBudget,
  tests: Iterable<string>,
): { filters: Map<string, Filter>; tests: Map<string, Filter> } {
  const filters = new Map<string, Filter>();
  for (const [name, rule] of FILTER_RULES) {
    filters.set(name, guardFilter(name, rule, budget));
  }
  const guardedTests = new Map<string, Filter>();
  for (const name of tests) {
    guardedTests.set(name, guardTest(BUILTINS.tests[name], budget));
  }
  return { filters, tests: guardedTests };
}

/** Names of the filters this file guards, for the test that keeps them equal to FILTER_RULES. */
export const GUARDED_FILTERS: ReadonlySet<string> = new Set(
  FILTER_GUARDS.keys(),
);

const SAFE_INTEGERS = `whole numbers from ${-Number.MAX_SAFE_INTEGER} to ${
  Number.MAX_SAFE_INTEGER
}`;

/**
 * nunjucks' range(), built here: nunjucks loops `i += step` until `stop`,
 * which never ends once `i + step === i` (at 2^53). Only safe integers, so
 * every number in the list is exact; the length is computed exactly (with
 * BigInt) and capped before the list is built.
 */
export function range(...args: unknown[]): readonly number[] {
  if (args.length < 1 || args.length > 3 || !args.every(Number.isSafeInteger)) {
    throw new GuardError(`range() takes one to three ${SAFE_INTEGERS}`);
  }
  let [start, stop, step] = args as number[];
  if (stop === undefined) {
    [start, stop, step] = [0, start, 1];
  } else if (!step) {
    step = 1;
  }
  const span =
    step > 0 ? BigInt(stop) - BigInt(start) : BigInt(start) - BigInt(stop);
  const stride = BigInt(Math.abs(step));
  const exactLength = span > 0n ? (span + stride - 1n) / stride : 0n;
  if (exactLength > BigInt(MAX_RANGE_LENGTH)) {
    throw new GuardError(
      `range() may produce at most ${MAX_RANGE_LENGTH} numbers, this one would produce ${exactLength}`,
    );
  }
  const numbers: number[] = [];
  // Every number pushed lies between start and stop, so each sum is exact.
  for (let k = 0, value = start; k < Number(exactLength); k++, value += step) {
    numbers.push(value);
  }
  return Object.freeze(numbers);
}
