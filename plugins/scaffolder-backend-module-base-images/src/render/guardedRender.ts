import {
  BaseCompiler,
  CompilerFrame,
  describeExpression,
  Filter,
  nunjucksRuntime,
  RuntimeFrame,
  TemplateError,
  TemplateNode,
} from './nunjucksInternals';
import { createFilters, range } from './guardedFilters';
import {
  checkedString,
  deepFreeze,
  GuardError,
  hasOwn,
  isPlainArray,
  isPlainObject,
  isScalar,
  isText,
  notData,
  RenderBudget,
  SafeString,
  shapeOf,
  workOf,
} from './guardedValues';
import {
  ALLOWED_GLOBALS,
  ALLOWED_NODE_TYPES,
  ALLOWED_TESTS,
  BLOCKED_NAMES,
  IDENTIFIER,
  ITEM_COST,
  MAX_LOOP_NESTING,
  MAX_OUTPUT_BYTES,
  NODE_TYPE_SYNTAX,
  OPERATION_COST,
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
 *   list and dict literals, output and every operand of comparisons and
 *   arithmetic through the runtime so they can be checked and charged by
 *   size, compiles `for` over a copy the runtime makes, caps how deeply
 *   loops nest, and charges every statement and loop iteration to the work
 *   budget.
 * - The runtime resolves only own properties of data and the allow-listed
 *   globals, never blocked names; calls only functions this module approved;
 *   counts loop iterations, output size and work; and refuses anything that
 *   is not plain data (functions, regular expressions, class instances)
 *   where data is expected. Filters check their input and arguments before
 *   nunjucks' code runs, and their result after (guardedFilters.ts).
 */

/** The environment the compiled template sees: allow-listed filters and tests only. */
interface GuardedEnvironment {
  opts: { autoescape: boolean; throwOnUndefined: boolean };
  getFilter(name: string): Filter;
  getTest(name: string): Filter;
}

function createEnvironment(budget: RenderBudget): GuardedEnvironment {
  const { filters, tests } = createFilters(budget, ALLOWED_TESTS);
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

/** An own property of data, or undefined: never inherited, blocked or a function. */
function ownMember(target: unknown, key: unknown): unknown {
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
  return typeof value === 'function' ? undefined : value;
}

/**
 * What a `for` loop iterates, as a new array, so the compiled loop runs
 * exactly as many times as counted (nunjucks' loop runs `value.length`
 * times, which a dict can set to anything). With one name: the characters
 * of a string, the items of a list, the keys of a dict. With several: for
 * each item of a list, its items; [index, character] for a string and
 * [key, value] for a dict, as nunjucks binds them. Anything else (none,
 * numbers, booleans) runs no iteration, as in nunjucks.
 */
function loopItems(
  value: unknown,
  names: number,
  budget: RenderBudget,
): unknown[] {
  const shape = shapeOf(value);
  let items: unknown[] = [];
  if (isText(value)) {
    const text = String(value);
    budget.loop(text.length);
    const characters = text.split('');
    items =
      names === 1
        ? characters
        : characters.map((character, index) => [String(index), character]);
  } else if (isPlainArray(value)) {
    budget.loop(value.length);
    items =
      names === 1
        ? value.slice()
        : value.map(item =>
            Array.from({ length: names }, (_, index) => ownMember(item, index)),
          );
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    budget.loop(keys.length);
    items = names === 1 ? keys : keys.map(key => [key, value[key]]);
  }
  budget.charge(workOf(shape) + ITEM_COST * items.length);
  return items;
}

/**
 * Checks an operand of a comparison or of arithmetic, which JavaScript
 * converts to a number or compares as text: a list would be joined into
 * text each time (a million-item list takes 12 ms), so only strings,
 * numbers, booleans and none are operands, charged by their length.
 */
function operand<T>(value: T, budget: RenderBudget): T {
  if (!isScalar(value)) {
    if (isPlainArray(value) || isPlainObject(value)) {
      throw new GuardError(
        'lists and dicts cannot be compared or used in arithmetic; compare their length or their items',
      );
    }
    throw notData(value);
  }
  budget.charge(isText(value) ? (value as { length: number }).length : 0);
  return value;
}

/** The guarded copy of nunjucks' runtime for one rendering. */
function createRuntime(budget: RenderBudget, context: RenderContext) {
  // Reading a string costs its length (what comparing or copying it costs);
  // whatever reads the contents of a list or dict pays for them there.
  const lookedUp = (value: unknown) => {
    budget.charge(typeof value === 'string' ? value.length : 0);
    return value;
  };
  return Object.freeze({
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
      const value = ownMember(target, key);
      return value === undefined ? undefined : lookedUp(value);
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
      const result = callee(...args);
      budget.charge(workOf(shapeOf(result)));
      return result;
    },

    /** Before every statement and every loop iteration: charges its size. */
    step(nodes: number): void {
      budget.charge(OPERATION_COST * nodes);
    },

    loopItems(value: unknown, names: number): unknown[] {
      return loopItems(value, names, budget);
    },

    operand<T>(value: T): T {
      return operand(value, budget);
    },

    inOperator(key: unknown, container: unknown): boolean {
      budget.charge(workOf(shapeOf(key)) + workOf(shapeOf(container)));
      if (isPlainObject(container)) return hasOwn(container, String(key));
      return nunjucksRuntime.inOperator(key, container);
    },

    suppressValue(value: unknown, autoescape: boolean): unknown {
      const shape = shapeOf(value);
      budget.output(shape.chars);
      budget.charge(workOf(shape));
      return nunjucksRuntime.suppressValue(value, autoescape);
    },

    /**
     * `a ~ b`, which nunjucks compiles to `a + "" + b`; the same text for
     * the plain data shapeOf lets through. Costs the text it builds.
     */
    concat(left: unknown, right: unknown): unknown {
      const [leftShape, rightShape] = [shapeOf(left), shapeOf(right)];
      checkedString(leftShape.chars + rightShape.chars, 'the joined text');
      budget.charge(workOf(leftShape) + workOf(rightShape));
      return `${left}${right}`;
    },

    /** `a + b`: numbers, or text when either side is not a number. */
    add(left: unknown, right: unknown): unknown {
      const [leftShape, rightShape] = [shapeOf(left), shapeOf(right)];
      checkedString(leftShape.chars + rightShape.chars, 'the sum');
      budget.charge(workOf(leftShape) + workOf(rightShape));
      return (left as number) + (right as number);
    },

    /** List and dict literals: frozen, measured plain data. */
    data(value: object): object {
      Object.freeze(value);
      budget.charge(workOf(shapeOf(value)));
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

/** Operators the hardened compiler emits as JavaScript operators, with checked operands. */
const FLAT_OPERATORS: ReadonlySet<string> = new Set([
  'Sub',
  'Mul',
  'Div',
  'Mod',
  'FloorDiv',
  'Pow',
  'Neg',
  'Pos',
  'Compare',
]);

/** nunjucks' comparison operators, which it emits as JavaScript's. */
const COMPARE_OPERATORS: ReadonlyMap<string, string> = new Map(
  ['==', '===', '!=', '!==', '<', '>', '<=', '>='].map(op => [op, op]),
);

function position(node: TemplateNode): string {
  return `lineno = ${Number(node.lineno)}, colno = ${Number(node.colno)}`;
}

/** nunjucks' compiler, refusing input it would turn into malformed or injected code. */
class HardenedCompiler extends BaseCompiler {
  /** How many `for` loops enclose the node being compiled. */
  private loopNesting = 0;

  constructor() {
    super('skeleton', true);
  }

  compile(node: TemplateNode, frame: CompilerFrame | undefined): void {
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

  /**
   * Like nunjucks' loop, but over the array runtime.loopItems builds, so it
   * runs exactly the counted number of times, and every iteration is charged
   * to the work budget even when its body is empty.
   */
  compileFor(node: TemplateNode, frame: CompilerFrame): void {
    const names = (
      node.name?.typename === 'Array' ? node.name.children ?? [] : [node.name]
    ) as TemplateNode[];
    for (const name of names) this.assertName(name, node);
    if (this.loopNesting >= MAX_LOOP_NESTING) {
      this.fail(
        `for loops may nest at most ${MAX_LOOP_NESTING} deep`,
        node.lineno,
        node.colno,
      );
    }
    this.emitStep(node, [node.arr]);
    const items = this._tmpid();
    const index = this._tmpid();
    const length = this._tmpid();
    const loopFrame = frame.push();
    this._emitLine('frame = frame.push();');
    this._emit(`var ${items} = (${position(node)}, runtime.loopItems(`);
    this._compileExpression(node.arr!, loopFrame);
    this._emitLine(`, ${names.length}));`);
    this._emitLine(`var ${length} = ${items}.length;`);
    this._emitLine(
      `for (var ${index} = 0; ${index} < ${length}; ${index}++) {`,
    );
    this._emitLine('runtime.step(1);');
    names.forEach((name, slot) => {
      const binding = this._tmpid();
      const item =
        names.length === 1
          ? `${items}[${index}]`
          : `${items}[${index}][${slot}]`;
      this._emitLine(`var ${binding} = ${item};`);
      this._emitLine(`frame.set(${JSON.stringify(name.value)}, ${binding});`);
      loopFrame.set(name.value as string, binding);
    });
    this._emitLoopBindings(node, items, index, length);
    this.loopNesting++;
    this._withScopedSyntax(() => this.compile(node.body!, loopFrame));
    this.loopNesting--;
    this._emitLine('}');
    if (node.else_) {
      this._emitLine(`if (!${length}) {`);
      this.compile(node.else_, loopFrame);
      this._emitLine('}');
    }
    this._emitLine('frame = frame.pop();');
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

  /**
   * An operand of a comparison or of arithmetic, through runtime.operand;
   * the operators stay JavaScript's, with JavaScript's precedence, as
   * nunjucks emits them. The position goes inside the call's parentheses so
   * that it cannot change how the operators group.
   */
  private compileOperand(node: TemplateNode, frame: CompilerFrame): void {
    // Nested operators are emitted flat, as nunjucks does (its grammar and
    // JavaScript's differ: it reads 10 / 4 % 2 as 10 / (4 % 2) but emits
    // the text, so JavaScript computes (10 / 4) % 2). Their own operands
    // are checked, and what they compute is a number or a boolean.
    if (FLAT_OPERATORS.has(node.typename)) {
      this.compile(node, frame);
      return;
    }
    this._emit(`runtime.operand((${position(node)}, `);
    this.compile(node, frame);
    this._emit('))');
  }

  private binaryOperator(
    node: TemplateNode,
    frame: CompilerFrame,
    [before, between, after]: [string, string, string],
  ): void {
    this._emit(before);
    this.compileOperand(node.left!, frame);
    this._emit(between);
    this.compileOperand(node.right!, frame);
    this._emit(after);
  }

  compileSub(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['', ' - ', '']);
  }

  compileMul(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['', ' * ', '']);
  }

  compileDiv(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['', ' / ', '']);
  }

  compileMod(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['', ' % ', '']);
  }

  compileFloorDiv(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['Math.floor(', ' / ', ')']);
  }

  compilePow(node: TemplateNode, frame: CompilerFrame): void {
    this.binaryOperator(node, frame, ['Math.pow(', ', ', ')']);
  }

  compileNeg(node: TemplateNode, frame: CompilerFrame): void {
    this._emit('-');
    this.compileOperand(node.target!, frame);
  }

  compilePos(node: TemplateNode, frame: CompilerFrame): void {
    this._emit('+');
    this.compileOperand(node.target!, frame);
  }

  compileCompare(node: TemplateNode, frame: CompilerFrame): void {
    this.compileOperand(node.expr!, frame);
    for (const op of node.ops ?? []) {
      const operator = COMPARE_OPERATORS.get(op.type!);
      if (!operator) {
        this.fail(
          `${JSON.stringify(op.type)} is not a comparison`,
          op.lineno,
          op.colno,
        );
      }
      this._emit(` ${operator} `);
      this.compileOperand(op.expr!, frame);
    }
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
