import {
  describeExpression,
  TemplateError,
  TemplateNode,
} from './nunjucksInternals';
import {
  ALLOWED_GLOBALS,
  ALLOWED_NODE_TYPES,
  ALLOWED_TESTS,
  BLOCKED_NAMES,
  FILTER_RULES,
  IDENTIFIER,
  MAX_LOOP_NESTING,
  NODE_TYPE_SYNTAX,
} from './templatePolicy';

/** How many `for` loops enclose the node being visited. */
let loopNesting = 0;

/**
 * Layer (a) of the safe renderer: walks a parsed skeleton template and
 * refuses, before anything runs, every construct that could reach a
 * JavaScript function instead of data, and loops nested deeper than
 * MAX_LOOP_NESTING. Independent of the run-time guard (guardedRender.ts):
 * each layer alone stops every known payload.
 *
 * Throws a nunjucks TemplateError carrying the 1-based line and column.
 */
export function checkTemplate(root: TemplateNode): void {
  loopNesting = 0;
  visit(root);
}

function refuse(node: TemplateNode, message: string): never {
  const position = (n: number) => (Number.isInteger(n) ? n + 1 : undefined);
  throw new TemplateError(message, position(node.lineno), position(node.colno));
}

function isNode(value: unknown): value is TemplateNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TemplateNode).typename === 'string'
  );
}

const list = (names: Iterable<string>) => [...names].join(', ');

function visit(node: TemplateNode | null | undefined): void {
  if (!node) return;
  const type = node.typename;
  if (!ALLOWED_NODE_TYPES.has(type)) {
    refuse(
      node,
      `${
        NODE_TYPE_SYNTAX.get(type) ?? type
      } is not supported in skeletons: each file renders on its own from values.* with output, if, for, set, raw and filters`,
    );
  }
  switch (type) {
    case 'TemplateData':
      return;
    case 'Literal':
      if (node.value instanceof RegExp) {
        refuse(
          node,
          'regular expression literals are not supported in skeletons; use the replace filter with a plain string',
        );
      }
      return;
    case 'Symbol':
      checkName(node);
      return;
    case 'LookupVal':
      checkLookup(node);
      return;
    case 'Pair':
      visit(node.value as TemplateNode);
      checkKey(node.key);
      return;
    case 'For':
      for (const name of node.name?.typename === 'Array'
        ? node.name.children ?? []
        : [node.name]) {
        checkTarget(node, name);
      }
      if (loopNesting >= MAX_LOOP_NESTING) {
        refuse(
          node,
          `for loops may nest at most ${MAX_LOOP_NESTING} deep; move the inner loops into a separate value or file`,
        );
      }
      visit(node.arr);
      loopNesting++;
      try {
        visit(node.body);
      } finally {
        loopNesting--;
      }
      visit(node.else_);
      return;
    case 'Set':
      for (const target of node.targets ?? []) checkTarget(node, target);
      visit(node.value as TemplateNode | null);
      visit(node.body);
      return;
    case 'FunCall':
      checkCall(node);
      return;
    case 'Filter':
      checkFilter(node);
      return;
    case 'Is':
      checkIs(node);
      return;
    default:
      visitFields(node);
  }
}

/** Visits every child node of a node whose fields hold no names. */
function visitFields(node: TemplateNode): void {
  const fields = (node as unknown as { fields: string[] }).fields;
  for (const field of fields) {
    const value = (node as unknown as Record<string, unknown>)[field];
    if (Array.isArray(value))
      value.forEach(child => isNode(child) && visit(child));
    else if (isNode(value)) visit(value);
  }
}

function checkName(node: TemplateNode): void {
  const name = node.value;
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    refuse(
      node,
      `${JSON.stringify(
        name,
      )} is not a valid name; names are letters, digits and _ (for example values.name)`,
    );
  }
  if (BLOCKED_NAMES.has(name)) {
    refuse(
      node,
      `\`${name}\` cannot be used in skeletons: it reaches JavaScript internals, not data; read values.* instead`,
    );
  }
}

function checkLookup(node: TemplateNode): void {
  visit(node.target);
  const key = node.val!;
  const literal =
    key.typename === 'Literal' &&
    (typeof key.value === 'string' || typeof key.value === 'number');
  if (!literal) {
    refuse(
      key,
      'a lookup with a computed key (x[name]) cannot be checked; write x.key or x["key"] with a literal key',
    );
  }
  if (typeof key.value === 'string' && BLOCKED_NAMES.has(key.value)) {
    refuse(
      key,
      `\`.${key.value}\` cannot be read in skeletons: it reaches JavaScript internals, not data; read values.* instead`,
    );
  }
}

function checkKey(key: TemplateNode | undefined): void {
  if (!key) return;
  const name = key.value;
  if (typeof name === 'string' && BLOCKED_NAMES.has(name)) {
    refuse(
      key,
      `\`${name}\` cannot be a dict key in skeletons: it would change the dict's prototype or methods; choose another key`,
    );
  }
  if (key.typename === 'Symbol') checkName(key);
}

function checkTarget(
  statement: TemplateNode,
  target: TemplateNode | undefined,
): void {
  if (!target || target.typename !== 'Symbol') {
    refuse(
      target ?? statement,
      'only plain names can be assigned by set and for (for example {% set port = values.port %})',
    );
  }
  checkName(target);
  if (ALLOWED_GLOBALS.has(target.value as string)) {
    refuse(
      target,
      `\`${target.value}\` is a built-in function and cannot be reassigned; choose another name`,
    );
  }
}

function checkCall(node: TemplateNode): void {
  const callee = node.name!;
  // A callee like range.constructor is refused for its lookup first.
  if (callee.typename !== 'Symbol') visit(callee);
  if (
    callee.typename !== 'Symbol' ||
    !ALLOWED_GLOBALS.has(callee.value as string)
  ) {
    refuse(
      node,
      `${describeExpression(
        callee,
      )}(...) cannot be called: skeletons may only call ${list(
        ALLOWED_GLOBALS,
      )}(...); methods and other functions are not available`,
    );
  }
  for (const arg of node.args?.children ?? []) {
    visit(arg);
    // The parser gives keyword arguments no position of their own.
    if (arg.typename === 'KeywordArgs') {
      refuse(node, `${callee.value}(...) takes no keyword arguments`);
    }
  }
}

function checkFilter(node: TemplateNode): void {
  const name = node.name!;
  const rule =
    name.typename === 'Symbol'
      ? FILTER_RULES.get(name.value as string)
      : undefined;
  if (!rule) {
    refuse(
      name,
      `the \`${String(
        name.value,
      )}\` filter is not available in skeletons; available filters: ${list(
        FILTER_RULES.keys(),
      )}`,
    );
  }
  const args = node.args?.children ?? [];
  const positional = args.filter(arg => arg.typename !== 'KeywordArgs');
  if (positional.length > rule.maxArgs) {
    refuse(
      node,
      `the ${name.value} filter takes at most ${
        rule.maxArgs - 1
      } argument(s) here`,
    );
  }
  for (const keywords of args.filter(arg => arg.typename === 'KeywordArgs')) {
    for (const pair of keywords.children ?? []) {
      const keyword = String(pair.key?.value);
      if (!rule.keywords?.has(keyword)) {
        refuse(
          pair,
          `the ${name.value} filter takes no \`${keyword}\` keyword argument here`,
        );
      }
    }
  }
  for (const [index, cap] of rule.sizeArgs ?? []) {
    const size = positional[index];
    if (
      size &&
      !(
        size.typename === 'Literal' &&
        Number.isInteger(size.value) &&
        (size.value as number) >= 0 &&
        (size.value as number) <= cap
      )
    ) {
      refuse(
        size,
        `the size argument of the ${name.value} filter must be a whole number from 0 to ${cap} written in the template`,
      );
    }
  }
  args.forEach(visit);
}

function checkIs(node: TemplateNode): void {
  visit(node.left);
  const right = node.right!;
  const test = right.typename === 'FunCall' ? right.name : right;
  if (test?.typename !== 'Symbol' || !ALLOWED_TESTS.has(test.value as string)) {
    refuse(
      right,
      `\`is\` must be followed by one of the tests ${list(ALLOWED_TESTS)}`,
    );
  }
  if (right.typename === 'FunCall') right.args?.children?.forEach(visit);
}
