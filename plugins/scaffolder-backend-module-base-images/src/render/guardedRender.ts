import {
  BaseCompiler,
  builtins,
  CompilerFrame,
  describeExpression,
  Filter,
  nunjucksRuntime,
  RuntimeFrame,
  TemplateError,
  TemplateNode,
} from './nunjucksInternals';
import {
  ALLOWED_GLOBALS,
  ALLOWED_NODE_TYPES,
  ALLOWED_TESTS,
  BLOCKED_NAMES,
  FILTER_RULES,
  FilterRule,
  IDENTIFIER,
  MAX_LOOP_ITERATIONS,
  MAX_OUTPUT_BYTES,
  MAX_RANGE_LENGTH,
  MAX_VALUE_CHARS,
  MAX_VALUE_DEPTH,
  NODE_TYPE_SYNTAX,
  OPERATION_COST,
  WORK_BUDGET,
} from './templatePolicy';

/**
 * Layer (b) of the safe renderer, independent of the static check: compiles
 * the parsed template with a hardened nunjucks compiler and runs it against a
 * guarded copy of nunjucks' runtime. The shared nunjucks module is not
 * patched.
 *
 * - The compiler only accepts the node types the guarded runtime handles and
 *   refuses names that are not identifiers, because nunjucks pastes names
 *   (variables, filters, tests, set/for targets) into the generated
 *   JavaScript unescaped: `${{ x"&&Function`...`&&" }}` would otherwise run
 *   as code, beyond the reach of any runtime guard. It also routes `~`, `+`,
 *   list and dict literals and output through the runtime so they can be
 *   size-checked, and charges every statement to the work budget.
 * - The runtime resolves only own properties of data and the allow-listed
 *   globals, never blocked names; calls only functions this module approved;
 *   counts loop iterations, output size and work; and refuses anything that
 *   is not plain data (functions, regular expressions, class instances)
 *   where data is expected.
 */

/** A run-time refusal; the compiled template adds the line and column. */
class GuardError extends Error {}

const hasOwn = (target: object, key: string) =>
  Object.prototype.hasOwnProperty.call(target, key);

const { SafeString } = nunjucksRuntime;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isPlainArray(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype
  );
}

function notData(value: unknown): GuardError {
  let what = `a ${typeof value}`;
  if (typeof value === 'function') what = 'a function';
  else if (value instanceof RegExp) what = 'a regular expression';
  else if (typeof value === 'object')
    what = 'an object that is not a plain list or dict';
  return new GuardError(
    `${what} is not data; templates may only use strings, numbers, booleans, lists and dicts`,
  );
}

/** How big a value is as text, and how deeply lists and dicts nest in it. */
interface Shape {
  chars: number;
  depth: number;
}

/** Shapes of frozen values, which cannot change. */
const frozenShapes = new WeakMap<object, Shape>();

/**
 * Measures a value and proves it is plain data: strings, numbers, booleans,
 * null, undefined, lists and dicts of those. Values a template builds by
 * sharing (a list of the same list ten times, nested) are measured as the
 * text they would become, so they cannot grow past MAX_VALUE_CHARS.
 */
function shapeOf(value: unknown, level = 0): Shape {
  switch (typeof value) {
    case 'string':
      return { chars: value.length, depth: 0 };
    case 'number':
    case 'boolean':
    case 'undefined':
      return { chars: String(value).length, depth: 0 };
    case 'object':
      break;
    default:
      throw notData(value);
  }
  if (value === null) return { chars: 4, depth: 0 };
  if (value instanceof SafeString) return { chars: value.length, depth: 0 };
  const known = frozenShapes.get(value);
  if (known) return known;
  if (level > MAX_VALUE_DEPTH) {
    throw new GuardError(
      `lists and dicts may nest at most ${MAX_VALUE_DEPTH} levels deep`,
    );
  }
  let chars: number;
  let entries: unknown[];
  if (isPlainArray(value)) {
    chars = value.length;
    entries = value;
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    chars = keys.reduce((sum, key) => sum + key.length + 4, 0);
    entries = keys.map(key => value[key]);
  } else {
    throw notData(value);
  }
  let depth = 0;
  for (const entry of entries) {
    const inner = shapeOf(entry, level + 1);
    chars += inner.chars;
    depth = Math.max(depth, inner.depth);
    if (chars > MAX_VALUE_CHARS) {
      throw new GuardError(
        `a value may be at most ${MAX_VALUE_CHARS} characters long as text`,
      );
    }
  }
  const shape = { chars, depth: depth + 1 };
  if (shape.depth > MAX_VALUE_DEPTH) {
    throw new GuardError(
      `lists and dicts may nest at most ${MAX_VALUE_DEPTH} levels deep`,
    );
  }
  if (Object.isFrozen(value)) frozenShapes.set(value, shape);
  return shape;
}

function checkedString(chars: number, what: string): void {
  if (chars > MAX_VALUE_CHARS) {
    throw new GuardError(
      `${what} would be longer than ${MAX_VALUE_CHARS} characters`,
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Counts what one file's rendering costs and stops it at the limits. */
class RenderBudget {
  private work = 0;
  private iterations = 0;
  private outputChars = 0;

  charge(chars: number): void {
    this.work += OPERATION_COST + chars;
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

const BUILTINS = builtins();

/**
 * nunjucks' `trim` uses /^\s*|\s*$/g, which takes quadratic time on a long run
 * of inner whitespace; String.prototype.trim strips the same characters.
 */
function trim(value: unknown): unknown {
  if (typeof value !== 'string' && !(value instanceof SafeString)) {
    throw new GuardError('the trim filter needs a string');
  }
  return nunjucksRuntime.copySafeness(value, String(value).trim());
}

type Precheck = (args: unknown[], shapes: Shape[]) => void;

/** Bounds on what a filter builds, checked before it allocates anything. */
const PRECHECKS: ReadonlyMap<string, Precheck> = new Map<string, Precheck>([
  [
    'join',
    ([items, separator], [itemsShape, separatorShape]) => {
      const count = isPlainArray(items) ? items.length : 0;
      checkedString(
        itemsShape.chars + count * (separator ? separatorShape.chars : 0),
        'the joined text',
      );
    },
  ],
  [
    'replace',
    ([, old], [textShape, , replacementShape]) => {
      if (typeof old !== 'string' && typeof old !== 'number') return;
      const oldLength = String(old).length;
      const occurrences =
        oldLength === 0
          ? textShape.chars + 1
          : Math.floor(textShape.chars / oldLength);
      checkedString(
        textShape.chars + occurrences * (replacementShape?.chars ?? 0),
        'the replaced text',
      );
    },
  ],
  [
    'indent',
    ([text, width], [textShape]) => {
      const lines = typeof text === 'string' ? text.split('\n').length : 1;
      checkedString(
        textShape.chars + lines * (Number(width) || 4),
        'the indented text',
      );
    },
  ],
  [
    'dump',
    ([, spaces], [valueShape]) => {
      checkedString(
        valueShape.chars +
          2 * valueShape.chars * valueShape.depth * (Number(spaces) || 0),
        'the JSON text',
      );
    },
  ],
  [
    'sort',
    ([items]) => {
      if (isPlainArray(items) && items.length > MAX_LOOP_ITERATIONS) {
        throw new GuardError(
          `the sort filter takes at most ${MAX_LOOP_ITERATIONS} items`,
        );
      }
    },
  ],
]);

function isKeywordArgs(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && hasOwn(value, '__keywords');
}

function guardFilter(
  name: string,
  filter: Filter,
  rule: FilterRule,
  budget: RenderBudget,
): Filter {
  const precheck = PRECHECKS.get(name);
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
    const shapes = args.map(arg => shapeOf(arg));
    budget.charge(shapes.reduce((sum, shape) => sum + shape.chars, 0));
    precheck?.(positional, shapes);
    const result = filter.apply(this, args);
    budget.charge(shapeOf(result).chars);
    return result;
  };
}

function guardTest(test: Filter, budget: RenderBudget): Filter {
  return function guardedTest(this: unknown, ...args: unknown[]) {
    budget.charge(
      args.reduce<number>((sum, arg) => sum + shapeOf(arg).chars, 0),
    );
    return test.apply(this, args);
  };
}

/** nunjucks' range, refusing non-numbers and lists over MAX_RANGE_LENGTH. */
function range(...args: unknown[]): unknown {
  if (
    args.length < 1 ||
    args.length > 3 ||
    !args.every(arg => typeof arg === 'number' && Number.isFinite(arg))
  ) {
    throw new GuardError('range() takes one to three numbers');
  }
  let [start, stop, step] = args as number[];
  if (stop === undefined) {
    [start, stop, step] = [0, start, 1];
  } else if (!step) {
    step = 1;
  }
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE_LENGTH) {
    throw new GuardError(
      `range() may produce at most ${MAX_RANGE_LENGTH} numbers, this one would produce ${length}`,
    );
  }
  return Object.freeze(BUILTINS.globals.range(start, stop, step));
}

/** The environment the compiled template sees: allow-listed filters and tests only. */
interface GuardedEnvironment {
  opts: { autoescape: boolean; throwOnUndefined: boolean };
  getFilter(name: string): Filter;
  getTest(name: string): Filter;
}

function createEnvironment(budget: RenderBudget): GuardedEnvironment {
  const filters = new Map<string, Filter>();
  for (const [name, rule] of FILTER_RULES) {
    const filter = name === 'trim' ? trim : BUILTINS.filters[name];
    filters.set(name, guardFilter(name, filter, rule, budget));
  }
  const tests = new Map<string, Filter>();
  for (const name of ALLOWED_TESTS) {
    tests.set(name, guardTest(BUILTINS.tests[name], budget));
  }
  return Object.freeze({
    opts: Object.freeze({ autoescape: false, throwOnUndefined: true }),
    getFilter(name: string) {
      const filter = filters.get(name);
      if (!filter) {
        throw new GuardError(
          `the \`${name}\` filter is not available in skeletons`,
        );
      }
      return filter;
    },
    getTest(name: string) {
      const test = tests.get(name);
      if (!test) {
        throw new GuardError(
          `the \`${name}\` test is not available in skeletons`,
        );
      }
      return test;
    },
  });
}

/** What the compiled template calls `context`: the template's variables. */
class RenderContext {
  readonly variables: Record<string, unknown> = Object.create(null);

  constructor(readonly env: GuardedEnvironment, data: Record<string, unknown>) {
    Object.assign(this.variables, data);
  }

  /** Top-level `{% set %}`. */
  setVariable(name: string, value: unknown): void {
    this.variables[name] = value;
  }

  /** Exports only matter to importing templates, and imports are refused. */
  addExport(): void {}
}

/** The implementations of ALLOWED_GLOBALS. */
const GLOBALS: ReadonlyMap<string, unknown> = new Map([['range', range]]);
/** The only functions callWrap calls. */
const APPROVED_FUNCTIONS = new WeakSet<object>([range]);

function isDataContainer(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    value instanceof SafeString ||
    isPlainArray(value) ||
    isPlainObject(value)
  );
}

/** The guarded copy of nunjucks' runtime for one rendering. */
function createRuntime(budget: RenderBudget, context: RenderContext) {
  // Reading a string costs its length (what comparing or copying it costs);
  // reading a list or dict touches none of its contents.
  const lookedUp = (value: unknown) => {
    budget.charge(typeof value === 'string' ? value.length : 0);
    return value;
  };
  return Object.freeze({
    isArray: nunjucksRuntime.isArray,
    keys: nunjucksRuntime.keys,
    makeKeywordArgs: nunjucksRuntime.makeKeywordArgs,
    ensureDefined: nunjucksRuntime.ensureDefined,

    handleError(
      error: Error & { lineno?: number },
      lineno: number,
      colno: number,
    ) {
      return error.lineno
        ? error
        : new TemplateError(error, lineno + 1, colno + 1);
    },

    /** Member access: own properties of data only, never blocked names or functions. */
    memberLookup(target: unknown, key: unknown): unknown {
      if (typeof key !== 'string' && typeof key !== 'number') return undefined;
      const name = String(key);
      if (
        BLOCKED_NAMES.has(name) ||
        !isDataContainer(target) ||
        !hasOwn(Object(target), name)
      ) {
        return undefined;
      }
      const value = (target as Record<string, unknown>)[name];
      return typeof value === 'function' ? undefined : lookedUp(value);
    },

    /** Names: loop and set variables, then the data, then the allowed globals. */
    contextOrFrameLookup(
      _: unknown,
      frame: RuntimeFrame,
      name: string,
    ): unknown {
      if (typeof name !== 'string' || BLOCKED_NAMES.has(name)) return undefined;
      const local = frame.lookup(name);
      if (local !== undefined) return lookedUp(local);
      if (hasOwn(context.variables, name)) {
        return lookedUp(context.variables[name]);
      }
      return GLOBALS.get(name);
    },

    callWrap(
      callee: unknown,
      name: string,
      _: unknown,
      args: unknown[],
    ): unknown {
      if (typeof callee !== 'function' || !APPROVED_FUNCTIONS.has(callee)) {
        throw new GuardError(
          `${name}(...) cannot be called: skeletons may only call ${[
            ...ALLOWED_GLOBALS,
          ].join(', ')}(...)`,
        );
      }
      budget.charge(0);
      return callee(...args);
    },

    /** Before every statement: charges the statement and the size of its expressions. */
    step(nodes: number): void {
      budget.charge(OPERATION_COST * nodes);
    },

    /** Start of every `for` loop: counts its iterations against the budget. */
    fromIterator(value: unknown): unknown {
      const items = value instanceof SafeString ? String(value) : value;
      const { chars } = shapeOf(items);
      let count = 0;
      if (typeof items === 'string' || isPlainArray(items)) {
        count = items.length;
      } else if (isPlainObject(items)) count = Object.keys(items).length;
      budget.loop(count);
      budget.charge(chars);
      return items;
    },

    inOperator(key: unknown, container: unknown): boolean {
      budget.charge(shapeOf(key).chars + shapeOf(container).chars);
      if (isPlainObject(container)) return hasOwn(container, String(key));
      return nunjucksRuntime.inOperator(key, container);
    },

    suppressValue(value: unknown, autoescape: boolean): unknown {
      const { chars } = shapeOf(value);
      budget.output(chars);
      budget.charge(chars);
      return nunjucksRuntime.suppressValue(value, autoescape);
    },

    /**
     * `a ~ b`, which nunjucks compiles to `a + "" + b`; the same text for
     * the plain data shapeOf lets through.
     */
    concat(left: unknown, right: unknown): unknown {
      checkedString(
        shapeOf(left).chars + shapeOf(right).chars,
        'the joined text',
      );
      budget.charge(0);
      return `${left}${right}`;
    },

    /** `a + b`. */
    add(left: unknown, right: unknown): unknown {
      checkedString(shapeOf(left).chars + shapeOf(right).chars, 'the sum');
      budget.charge(0);
      return (left as number) + (right as number);
    },

    /** List and dict literals: frozen, measured plain data. */
    data(value: object): object {
      Object.freeze(value);
      shapeOf(value);
      budget.charge(0);
      return value;
    },
  });
}

/** How many AST nodes an expression has: what evaluating it costs at most, roughly. */
function countNodes(node: unknown): number {
  if (Array.isArray(node)) {
    return node.reduce((sum: number, child) => sum + countNodes(child), 0);
  }
  if (typeof node !== 'object' || node === null || !('typename' in node)) {
    return 0;
  }
  const { fields } = node as unknown as { fields: string[] };
  return fields.reduce(
    (sum, field) =>
      sum + countNodes((node as unknown as Record<string, unknown>)[field]),
    1,
  );
}

function position(node: TemplateNode): string {
  return `lineno = ${Number(node.lineno)}, colno = ${Number(node.colno)}`;
}

/** nunjucks' compiler, refusing input it would turn into malformed or injected code. */
class HardenedCompiler extends BaseCompiler {
  constructor() {
    super('skeleton', true);
  }

  compile(node: TemplateNode, frame: CompilerFrame): void {
    if (!ALLOWED_NODE_TYPES.has(node.typename)) {
      this.fail(
        `${
          NODE_TYPE_SYNTAX.get(node.typename) ?? node.typename
        } is not supported in skeletons`,
        node.lineno,
        node.colno,
      );
    }
    super.compile(node, frame);
  }

  private assertName(node: TemplateNode | undefined, owner: TemplateNode) {
    if (
      node?.typename !== 'Symbol' ||
      typeof node.value !== 'string' ||
      !IDENTIFIER.test(node.value)
    ) {
      const at = node ?? owner;
      this.fail(
        `${JSON.stringify(
          node?.value ?? null,
        )} is not a valid name; names are letters, digits and _`,
        at.lineno,
        at.colno,
      );
    }
  }

  private withPosition(node: TemplateNode, emit: () => void): void {
    this._emit(`(${position(node)}, `);
    emit();
    this._emit(')');
  }

  /**
   * Before a statement: records its position and charges the work budget for
   * it, so a large loop body costs its size on every iteration even when it
   * makes no other guarded call.
   */
  private emitStep(node: TemplateNode, expressions: unknown[]): void {
    this._emitLine(
      `${position(node).replace(',', ';')}; runtime.step(${
        1 + countNodes(expressions)
      });`,
    );
  }

  compileSymbol(node: TemplateNode, frame: CompilerFrame): void {
    this.assertName(node, node);
    super.compileSymbol(node, frame);
  }

  compileSet(node: TemplateNode, frame: CompilerFrame): void {
    for (const target of node.targets ?? []) this.assertName(target, node);
    this.emitStep(node, [node.value]);
    super.compileSet(node, frame);
  }

  compileFor(node: TemplateNode, frame: CompilerFrame): void {
    const names =
      node.name?.typename === 'Array' ? node.name.children ?? [] : [node.name];
    for (const name of names) this.assertName(name, node);
    this.emitStep(node, [node.arr]);
    super.compileFor(node, frame);
  }

  compileIf(node: TemplateNode, frame: CompilerFrame): void {
    this.emitStep(node, [node.cond]);
    super.compileIf(node, frame);
  }

  compileIs(node: TemplateNode, frame: CompilerFrame): void {
    const right = node.right;
    this.assertName(right?.typename === 'FunCall' ? right.name : right, node);
    this.withPosition(node, () => super.compileIs(node, frame));
  }

  compileIn(node: TemplateNode, frame: CompilerFrame): void {
    this.withPosition(node, () => super.compileIn(node, frame));
  }

  compileFilter(node: TemplateNode, frame: CompilerFrame): void {
    this.assertName(node.name, node);
    this.withPosition(node, () => super.compileFilter(node, frame));
  }

  /** Like nunjucks', but the callee's name is emitted as a JSON string. */
  compileFunCall(node: TemplateNode, frame: CompilerFrame): void {
    this._emit(`(${position(node)}, runtime.callWrap(`);
    this._compileExpression(node.name!, frame);
    this._emit(`, ${JSON.stringify(describeExpression(node.name))}, context, `);
    this._compileAggregate(node.args!, frame, '[', '])');
    this._emit(')');
  }

  private runtimeCall(name: string, node: TemplateNode, frame: CompilerFrame) {
    this.withPosition(node, () => {
      this._emit(`runtime.${name}(`);
      this.compile(node.left!, frame);
      this._emit(', ');
      this.compile(node.right!, frame);
      this._emit(')');
    });
  }

  compileConcat(node: TemplateNode, frame: CompilerFrame): void {
    this.runtimeCall('concat', node, frame);
  }

  compileAdd(node: TemplateNode, frame: CompilerFrame): void {
    this.runtimeCall('add', node, frame);
  }

  compileArray(node: TemplateNode, frame: CompilerFrame): void {
    this.withPosition(node, () => {
      this._emit('runtime.data(');
      super.compileArray(node, frame);
      this._emit(')');
    });
  }

  compileDict(node: TemplateNode, frame: CompilerFrame): void {
    this.withPosition(node, () => {
      this._emit('runtime.data(');
      super.compileDict(node, frame);
      this._emit(')');
    });
  }

  /** Keyword arguments stay unfrozen: makeKeywordArgs marks the object. */
  compileKeywordArgs(node: TemplateNode, frame: CompilerFrame): void {
    this._emit('runtime.makeKeywordArgs(');
    super.compileDict(node, frame);
    this._emit(')');
  }

  /** Like nunjucks', but literal text also goes through suppressValue, so it counts towards the output limit. */
  compileOutput(node: TemplateNode, frame: CompilerFrame): void {
    this.emitStep(node, node.children ?? []);
    for (const child of node.children ?? []) {
      this._emit(`${this.buffer} += runtime.suppressValue(`);
      if (child.typename === 'TemplateData') {
        this.compileLiteral(child, frame);
      } else {
        this._emit('runtime.ensureDefined(');
        this.compile(child, frame);
        this._emit(`, ${Number(node.lineno)}, ${Number(node.colno)})`);
      }
      this._emitLine(', env.opts.autoescape);');
    }
  }
}

type RootRenderFunction = (
  env: GuardedEnvironment,
  context: RenderContext,
  frame: RuntimeFrame,
  runtime: ReturnType<typeof createRuntime>,
  callback: (error: unknown, output?: string) => void,
) => void;

/**
 * nunjucks' own compile step also runs a transform that only rewrites async
 * filters, blocks and super(), all refused here, so the parsed AST is
 * compiled as it is.
 */
function compile(ast: TemplateNode): RootRenderFunction {
  const compiler = new HardenedCompiler();
  compiler.compile(ast, undefined);
  // The step nunjucks' Template takes; the source comes from HardenedCompiler.
  // eslint-disable-next-line no-new-func
  return new Function(compiler.getCode())().root;
}

/**
 * Renders a parsed template with `data` as its variables. Throws a nunjucks
 * TemplateError (with line and column) or a GuardError on refusal.
 */
export function renderGuarded(
  ast: TemplateNode,
  data: Record<string, unknown>,
): string {
  const root = compile(ast);
  const budget = new RenderBudget();
  const env = createEnvironment(budget);
  const context = new RenderContext(
    env,
    deepFreeze(JSON.parse(JSON.stringify(data))),
  );
  const frame = new nunjucksRuntime.Frame();
  frame.topLevel = true;
  let output: string | undefined;
  let failure: unknown;
  root(env, context, frame, createRuntime(budget, context), (error, result) => {
    if (error) failure = error;
    else output = result;
  });
  if (failure) throw failure;
  if (output === undefined) throw new Error('rendering did not finish');
  if (Buffer.byteLength(output) > MAX_OUTPUT_BYTES) {
    throw new GuardError(
      `the rendered file is larger than ${MAX_OUTPUT_BYTES} bytes; generate less output`,
    );
  }
  return output;
}
