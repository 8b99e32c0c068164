import nunjucks from 'nunjucks';

/**
 * Typed handles on the parts of nunjucks 3 that @types/nunjucks leaves out
 * (parser, compiler, runtime, AST nodes). The safe renderer drives them
 * itself instead of going through Environment.renderString, so that it can
 * check the AST and compile and run it against a guarded runtime.
 */

/** A nunjucks AST node; which fields are set depends on `typename`. */
export interface TemplateNode {
  readonly typename: string;
  lineno: number;
  colno: number;
  children?: TemplateNode[];
  value?: unknown;
  target?: TemplateNode;
  val?: TemplateNode;
  key?: TemplateNode;
  name?: TemplateNode;
  args?: TemplateNode;
  cond?: TemplateNode;
  body?: TemplateNode;
  else_?: TemplateNode | null;
  arr?: TemplateNode;
  targets?: TemplateNode[];
  left?: TemplateNode;
  right?: TemplateNode;
  expr?: TemplateNode;
  ops?: TemplateNode[];
  /** The operator of a CompareOperand. */
  type?: string;
}

/** How an expression reads in error messages, e.g. `values.name.toString`. */
export function describeExpression(node: TemplateNode | undefined): string {
  switch (node?.typename) {
    case 'Symbol':
      return String(node.value);
    case 'Literal':
      return JSON.stringify(node.value) ?? String(node.value);
    case 'Array':
      return '[...]';
    case 'Dict':
      return '{...}';
    case 'LookupVal': {
      const key = node.val;
      const target = describeExpression(node.target);
      return key?.typename === 'Literal' && typeof key.value === 'string'
        ? `${target}.${key.value}`
        : `${target}[...]`;
    }
    case 'FunCall':
      return `${describeExpression(node.name)}(...)`;
    default:
      return '(...)';
  }
}

/** The compile-time scope nunjucks threads through its compiler. */
export interface CompilerFrame {
  push(): CompilerFrame;
  /** Binds a template name to the JavaScript variable that holds it. */
  set(name: string, variable: string): void;
}

/** The members of nunjucks' Compiler that the hardened compiler uses. */
export interface Compiler {
  buffer: string;
  compile(node: TemplateNode, frame: CompilerFrame | undefined): void;
  fail(message: string, lineno?: number, colno?: number): never;
  getCode(): string;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _tmpid(): string;
  _emitLoopBindings(
    node: TemplateNode,
    items: string,
    index: string,
    length: string,
  ): void;
  _withScopedSyntax(compile: () => void): void;
  _compileExpression(node: TemplateNode, frame: CompilerFrame): void;
  _compileAggregate(
    node: TemplateNode,
    frame: CompilerFrame,
    startChar?: string,
    endChar?: string,
  ): void;
  compileLiteral(node: TemplateNode, frame: CompilerFrame): void;
  compileSymbol(node: TemplateNode, frame: CompilerFrame): void;
  compileArray(node: TemplateNode, frame: CompilerFrame): void;
  compileDict(node: TemplateNode, frame: CompilerFrame): void;
  compileKeywordArgs(node: TemplateNode, frame: CompilerFrame): void;
  compileSet(node: TemplateNode, frame: CompilerFrame): void;
  compileFor(node: TemplateNode, frame: CompilerFrame): void;
  compileIf(node: TemplateNode, frame: CompilerFrame): void;
  compileIs(node: TemplateNode, frame: CompilerFrame): void;
  compileIn(node: TemplateNode, frame: CompilerFrame): void;
  compileFilter(node: TemplateNode, frame: CompilerFrame): void;
  compileFunCall(node: TemplateNode, frame: CompilerFrame): void;
  compileConcat(node: TemplateNode, frame: CompilerFrame): void;
  compileAdd(node: TemplateNode, frame: CompilerFrame): void;
  compileOutput(node: TemplateNode, frame: CompilerFrame): void;
}

/** A run-time scope (nunjucks' Frame). */
export interface RuntimeFrame {
  topLevel: boolean;
  lookup(name: string): unknown;
}

/** The members of nunjucks' runtime module the compiled code calls. */
export interface Runtime {
  Frame: new () => RuntimeFrame;
  SafeString: new (value: string) => nunjucks.runtime.SafeString;
  suppressValue(value: unknown, autoescape: boolean): unknown;
  ensureDefined(value: unknown, lineno: number, colno: number): unknown;
  makeKeywordArgs(args: object): object;
  inOperator(key: unknown, value: unknown): boolean;
  copySafeness(source: unknown, target: unknown): unknown;
}

export type Filter = (this: unknown, ...args: unknown[]) => unknown;

interface NunjucksInternals {
  parser: {
    parse(
      source: string,
      extensions: unknown[],
      options: nunjucks.ConfigureOptions,
    ): TemplateNode;
  };
  compiler: {
    Compiler: new (templateName: string, throwOnUndefined: boolean) => Compiler;
  };
  runtime: Runtime;
  lib: {
    TemplateError: new (
      message: string | Error,
      lineno?: number,
      colno?: number,
    ) => nunjucks.lib.TemplateError;
  };
}

const internals = nunjucks as unknown as NunjucksInternals;

export const parser = internals.parser;
export const BaseCompiler = internals.compiler.Compiler;
export const nunjucksRuntime = internals.runtime;
export const TemplateError = internals.lib.TemplateError;

/** nunjucks' built-in filters, tests and globals, read from a throwaway environment. */
export function builtins(): {
  filters: Record<string, Filter>;
  tests: Record<string, Filter>;
  globals: Record<string, Filter>;
} {
  return new nunjucks.Environment([]) as unknown as {
    filters: Record<string, Filter>;
    tests: Record<string, Filter>;
    globals: Record<string, Filter>;
  };
}
