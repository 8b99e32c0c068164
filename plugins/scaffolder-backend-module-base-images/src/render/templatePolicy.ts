/**
 * What a skeleton template may use. Both safety layers read these constants:
 * the static check before rendering (staticCheck.ts) and the run-time guard
 * (guardedRender.ts), so the two layers cannot drift apart. Lookups by a name
 * that came from a template always go through a Set or Map, never a plain
 * object, so Object.prototype names cannot match.
 */

/**
 * Member and variable names that lead from data to JavaScript functions and
 * prototypes (the Function constructor, property accessors, bound methods).
 */
export const BLOCKED_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'call',
  'apply',
  'bind',
  'valueOf',
  'toString',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'caller',
  'callee',
  'arguments',
]);

/** Names are emitted into compiled JavaScript, so they must be plain identifiers. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Largest file parsed as a template, in bytes; renderSkeleton copies bigger
 * files verbatim. The real skeleton files are at most 3.2 KiB, and parsing
 * is where nunjucks itself is slow on crafted text (its lexer walks the
 * source one character at a time, and two of its regular expressions are
 * quadratic; sourceCheck.ts refuses those inputs): 64 KiB keeps the parse of
 * any file well under a second while leaving room for twenty times the
 * largest real file.
 */
export const MAX_TEMPLATE_BYTES = 64 * 1024;
/**
 * Longest run of whitespace in a template that uses whitespace control
 * (`{%-`, `${{-`, `{#-`): nunjucks trims the text before such a tag with
 * /\s*$/, which takes time quadratic in the length of each whitespace run
 * in that text. 256 bounds that to about 16 million steps per 64 KiB file.
 */
export const MAX_WHITESPACE_RUN = 256;

/** Most iterations all `for` loops of one file may run together. */
export const MAX_LOOP_ITERATIONS = 10_000;
/**
 * Deepest nesting of `for` loops. Each loop opens a scope, and nunjucks
 * looks a name up through every enclosing scope, so with a thousand nested
 * loops one lookup costs a thousand steps. The skeletons nest two deep.
 */
export const MAX_LOOP_NESTING = 8;
/** Longest list `range()` may produce. */
export const MAX_RANGE_LENGTH = 10_000;
/** Largest rendered file (and largest file name), in UTF-8 bytes. */
export const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;
/**
 * Largest sum of the rendered files of one skeleton: what the render worker
 * hands back to the backend. The skeletons render to about 20 KiB.
 */
export const MAX_SKELETON_OUTPUT_BYTES = 8 * MAX_OUTPUT_BYTES;
/** Largest value (string, or list/dict by its text size) a template may build. */
export const MAX_VALUE_CHARS = MAX_OUTPUT_BYTES;
/** Deepest nesting of lists and dicts a template may build. */
export const MAX_VALUE_DEPTH = 32;
/**
 * CPU budget of one file: every guarded operation and statement costs
 * OPERATION_COST, plus the characters it touches, plus ITEM_COST for every
 * list item, dict entry or match it visits. The weights follow measured
 * times (a statement of a large loop body takes about a microsecond,
 * visiting an item 10-100 ns, copying a character about 1 ns), so that the
 * whole budget takes a fraction of a second whatever it is spent on.
 */
export const WORK_BUDGET = 64 * 1024 * 1024;
export const OPERATION_COST = 256;
export const ITEM_COST = 32;

/** The only functions a template may call. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set(['range']);

export interface FilterRule {
  /** Most positional arguments, counting the filtered value itself. */
  maxArgs: number;
  /** Arguments (by position) that size the result, each with its cap. */
  sizeArgs?: ReadonlyMap<number, number>;
  /** Keyword arguments the filter accepts. */
  keywords?: ReadonlySet<string>;
}

/**
 * Pure string and list filters. Left out on purpose: filters that read
 * attributes by name (groupby, selectattr, dictsort, sum, join's third
 * argument, sort's attribute), that allocate by a size argument without a
 * useful cap (batch, slice), that are slow on crafted input (striptags,
 * urlize) or that are not deterministic (random).
 */
export const FILTER_RULES: ReadonlyMap<string, FilterRule> = new Map<
  string,
  FilterRule
>([
  ['abs', { maxArgs: 1 }],
  ['capitalize', { maxArgs: 1 }],
  ['center', { maxArgs: 2, sizeArgs: new Map([[1, 1000]]) }],
  ['d', { maxArgs: 3 }],
  ['default', { maxArgs: 3 }],
  ['dump', { maxArgs: 2, sizeArgs: new Map([[1, 8]]) }],
  ['e', { maxArgs: 1 }],
  ['escape', { maxArgs: 1 }],
  ['first', { maxArgs: 1 }],
  ['float', { maxArgs: 2 }],
  ['indent', { maxArgs: 3, sizeArgs: new Map([[1, 100]]) }],
  ['int', { maxArgs: 3 }],
  ['join', { maxArgs: 2 }],
  ['last', { maxArgs: 1 }],
  ['length', { maxArgs: 1 }],
  ['list', { maxArgs: 1 }],
  ['lower', { maxArgs: 1 }],
  ['replace', { maxArgs: 4 }],
  ['reverse', { maxArgs: 1 }],
  ['round', { maxArgs: 3 }],
  ['sort', { maxArgs: 3, keywords: new Set(['reverse', 'case_sensitive']) }],
  ['string', { maxArgs: 1 }],
  ['title', { maxArgs: 1 }],
  ['trim', { maxArgs: 1 }],
  ['truncate', { maxArgs: 4, sizeArgs: new Map([[1, MAX_VALUE_CHARS]]) }],
  ['upper', { maxArgs: 1 }],
  ['urlencode', { maxArgs: 1 }],
  ['wordcount', { maxArgs: 1 }],
]);

/** `is` tests: all return a boolean and look at nothing but their operands. */
export const ALLOWED_TESTS: ReadonlySet<string> = new Set([
  'defined',
  'undefined',
  'null',
  'number',
  'string',
  'mapping',
  'iterable',
  'odd',
  'even',
  'divisibleby',
  'eq',
  'equalto',
  'sameas',
  'ne',
  'lt',
  'lessthan',
  'gt',
  'greaterthan',
  'le',
  'ge',
  'truthy',
  'falsy',
  'lower',
  'upper',
]);

/**
 * Template syntax a skeleton may use (nunjucks AST node types): output,
 * `if`, `for`, `set` (also as a block), `raw`, literals, lookups, filters,
 * `is` tests, operators and calls of ALLOWED_GLOBALS. Not listed, so
 * refused: macro, call/caller, import, from-import, include, extends, block,
 * super, switch, custom extensions and the async variants.
 */
export const ALLOWED_NODE_TYPES: ReadonlySet<string> = new Set([
  'Root',
  'NodeList',
  'Output',
  'TemplateData',
  'Literal',
  'Symbol',
  'Group',
  'Array',
  'Dict',
  'Pair',
  'KeywordArgs',
  'LookupVal',
  'If',
  'InlineIf',
  'For',
  'Set',
  'Capture',
  'FunCall',
  'Filter',
  'Is',
  'In',
  'Or',
  'And',
  'Not',
  'Add',
  'Concat',
  'Sub',
  'Mul',
  'Div',
  'FloorDiv',
  'Mod',
  'Pow',
  'Neg',
  'Pos',
  'Compare',
  'CompareOperand',
]);

/** How refused node types read in error messages. */
export const NODE_TYPE_SYNTAX: ReadonlyMap<string, string> = new Map([
  ['Macro', '{% macro %}'],
  ['Caller', '{% call %}'],
  ['Import', '{% import %}'],
  ['FromImport', '{% from ... import %}'],
  ['Include', '{% include %}'],
  ['Extends', '{% extends %}'],
  ['Block', '{% block %}'],
  ['Super', 'super()'],
  ['Switch', '{% switch %}'],
  ['Case', '{% case %}'],
  ['CallExtension', 'a custom tag'],
  ['CallExtensionAsync', 'a custom tag'],
  ['FilterAsync', 'an async filter'],
  ['IfAsync', '{% ifAsync %}'],
  ['AsyncEach', '{% asyncEach %}'],
  ['AsyncAll', '{% asyncAll %}'],
]);
