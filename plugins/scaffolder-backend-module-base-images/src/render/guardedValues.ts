import { nunjucksRuntime } from './nunjucksInternals';
import {
  ITEM_COST,
  MAX_LOOP_ITERATIONS,
  MAX_OUTPUT_BYTES,
  MAX_VALUE_CHARS,
  MAX_VALUE_DEPTH,
  OPERATION_COST,
  WORK_BUDGET,
} from './templatePolicy';

/**
 * What the run-time guard (guardedRender.ts) knows about values: which are
 * plain data, how big they are as text, and what one file's rendering has
 * cost so far.
 */

/** A run-time refusal; the compiled template adds the line and column. */
export class GuardError extends Error {}

export const hasOwn = (target: object, key: string) =>
  Object.prototype.hasOwnProperty.call(target, key);

export const { SafeString } = nunjucksRuntime;

export function isPlainObject(
  value: unknown,
): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isPlainArray(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype
  );
}

/** A string, or the marked-safe string some filters return. */
export function isText(value: unknown): boolean {
  return typeof value === 'string' || value instanceof SafeString;
}

/**
 * A value whose conversion to a string or number costs no more than its
 * length: what comparisons, arithmetic and the text filters may take.
 */
export function isScalar(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    isText(value)
  );
}

export function notData(value: unknown): GuardError {
  let what = `a ${typeof value}`;
  if (typeof value === 'function') what = 'a function';
  else if (value instanceof RegExp) what = 'a regular expression';
  else if (typeof value === 'object')
    what = 'an object that is not a plain list or dict';
  return new GuardError(
    `${what} is not data; templates may only use strings, numbers, booleans, lists and dicts`,
  );
}

/**
 * How big a value is as text, how many list items and dict entries it holds
 * (counted at every level, as often as they occur), and how deeply lists
 * and dicts nest in it.
 */
export interface Shape {
  chars: number;
  items: number;
  depth: number;
}

/** What walking, copying or converting a value of this shape costs. */
export const workOf = (shape: Shape) => shape.chars + ITEM_COST * shape.items;

/** Shapes of frozen values, which cannot change. */
const frozenShapes = new WeakMap<object, Shape>();

/** What JavaScript turns a dict into where it needs text (`~`, output, join). */
const DICT_AS_TEXT = String({});

/** Text length of a value that holds no list or dict, or -1. */
function primitiveChars(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value).length;
    case 'object':
      if (value === null) return 4;
      if (value instanceof SafeString) return value.length;
      return -1;
    default:
      throw notData(value);
  }
}

/**
 * Measures a value and proves it is plain data: strings, numbers, booleans,
 * null, undefined, lists and dicts of those. `chars` is at least the length
 * of the text the value becomes (String() or JSON without indentation), so
 * it bounds what converting the value costs. Values a template builds by
 * sharing (a list of the same list ten times, nested) are measured as the
 * text they would become, so they cannot grow past MAX_VALUE_CHARS.
 */
export function shapeOf(value: unknown, level = 0): Shape {
  const primitive = primitiveChars(value);
  if (primitive >= 0) return { chars: primitive, items: 0, depth: 0 };
  const container = value as object;
  const known = frozenShapes.get(container);
  if (known) return known;
  if (level > MAX_VALUE_DEPTH) {
    throw new GuardError(
      `lists and dicts may nest at most ${MAX_VALUE_DEPTH} levels deep`,
    );
  }
  let chars: number;
  let entries: unknown[];
  if (isPlainArray(container)) {
    chars = container.length + 2;
    entries = container;
  } else if (isPlainObject(container)) {
    const keys = Object.keys(container);
    chars = keys.reduce((sum, key) => sum + key.length + 4, 2);
    chars = Math.max(chars, DICT_AS_TEXT.length);
    entries = keys.map(key => container[key]);
  } else {
    throw notData(container);
  }
  let items = entries.length;
  let depth = 0;
  for (const entry of entries) {
    // Plain values, most items, are measured without a recursive call.
    const entryChars = primitiveChars(entry);
    if (entryChars >= 0) {
      chars += entryChars;
    } else {
      const inner = shapeOf(entry, level + 1);
      chars += inner.chars;
      items += inner.items;
      depth = Math.max(depth, inner.depth);
    }
    if (chars > MAX_VALUE_CHARS) {
      throw new GuardError(
        `a value may be at most ${MAX_VALUE_CHARS} characters long as text`,
      );
    }
  }
  const shape = { chars, items, depth: depth + 1 };
  if (shape.depth > MAX_VALUE_DEPTH) {
    throw new GuardError(
      `lists and dicts may nest at most ${MAX_VALUE_DEPTH} levels deep`,
    );
  }
  if (Object.isFrozen(container)) frozenShapes.set(container, shape);
  return shape;
}

export function checkedString(chars: number, what: string): void {
  if (chars > MAX_VALUE_CHARS) {
    throw new GuardError(
      `${what} would be longer than ${MAX_VALUE_CHARS} characters`,
    );
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Counts what one file's rendering costs and stops it at the limits. */
export class RenderBudget {
  private work = 0;
  private iterations = 0;
  private outputChars = 0;

  /** One operation, and the work (characters and items) it does. */
  charge(work: number): void {
    this.work += OPERATION_COST + work;
    if (this.work > WORK_BUDGET) {
      throw new GuardError(
        'rendering this file takes too much work; loop over less data or use fewer filters on large values',
      );
    }
  }

  loop(count: number): void {
    this.iterations += count;
    if (this.iterations > MAX_LOOP_ITERATIONS) {
      throw new GuardError(
        `loops may run at most ${MAX_LOOP_ITERATIONS} iterations per file in total; loop over less data`,
      );
    }
  }

  output(chars: number): void {
    this.outputChars += chars;
    if (this.outputChars > MAX_OUTPUT_BYTES) {
      throw new GuardError(
        `the rendered file would be larger than ${MAX_OUTPUT_BYTES} bytes; generate less output`,
      );
    }
  }
}
