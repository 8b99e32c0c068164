import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';

/**
 * Skeleton text that runs code on the backend when a renderer hands template
 * text the Function constructor (plain nunjucks does). Each payload tries to
 * write its own marker file; the tests prove that with plain nunjucks it
 * does, and that through the portal it does not.
 */
export interface Payload {
  name: string;
  /** Skeleton text for a file's content. */
  content: string;
  /** The marker file the payload writes when it runs. */
  marker: string;
}

/** A nunjucks string literal holding `text`. */
const literal = (text: string) =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * JavaScript that writes `marker`. The path is built from its segments so the
 * code holds no '/', and so can also stand in a file name.
 */
const writeCode = (marker: string) =>
  `process.getBuiltinModule("fs").writeFileSync(${JSON.stringify(
    marker.split('/'),
  )}.join(String.fromCharCode(47)),"x")`;

/** The same code as one nunjucks name: everything but word characters hex-escaped. */
const asName = (code: string) =>
  code.replace(
    /\W/g,
    c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );

const CLASSES: Array<[string, (code: string) => string]> = [
  ['range global', c => `\${{ range.constructor(${literal(c)})() }}`],
  ['cycler global', c => `\${{ cycler.constructor(${literal(c)})() }}`],
  ['joiner global', c => `\${{ joiner.constructor(${literal(c)})() }}`],
  [
    'string constructor',
    c => `\${{ "".constructor.constructor(${literal(c)})() }}`,
  ],
  [
    'array constructor',
    c => `\${{ [].constructor.constructor(${literal(c)})() }}`,
  ],
  [
    'object constructor',
    c => `\${{ {}.constructor.constructor(${literal(c)})() }}`,
  ],
  [
    '__proto__ chain from the values',
    c => `\${{ values.__proto__.constructor.constructor(${literal(c)})() }}`,
  ],
  [
    'set + computed lookup',
    c => `{% set k = "constructor" %}\${{ range[k](${literal(c)})() }}`,
  ],
  [
    'dict literal with a __proto__ key',
    c =>
      `{% set o = {"__proto__": range} %}\${{ o.constructor(${literal(
        c,
      )})() }}`,
  ],
  [
    'top-level Object.prototype name',
    c => `\${{ constructor.constructor(${literal(c)})() }}`,
  ],
  [
    'bound method of a value',
    c => `\${{ values.name.toString.constructor(${literal(c)})() }}`,
  ],
  [
    'filter that returns a function',
    c => `\${{ ([range] | first).constructor(${literal(c)})() }}`,
  ],
  [
    '__lookupGetter__',
    c =>
      `\${{ values.__lookupGetter__("__proto__").constructor(${literal(
        c,
      )})() }}`,
  ],
  [
    'code injected through a variable name',
    c => `\${{ x"&&Function\`${asName(c)}\`\`\`&&" }}`,
  ],
];

/**
 * Every payload class, each with its own marker under `markerDir`. The
 * directory is created, so a payload that runs does write its marker.
 */
export function payloads(markerDir: string): Payload[] {
  fs.mkdirSync(markerDir, { recursive: true });
  return CLASSES.map(([name, make], i) => {
    const marker = path.join(markerDir, `marker-${i}`);
    return { name, content: make(writeCode(marker)), marker };
  });
}

/**
 * Renders `source` with plain nunjucks and the scaffolder's `${{ }}` tags, as
 * base-images:render did before it was made safe: proof that a payload is real.
 */
export function renderWithPlainNunjucks(source: string) {
  const env = new nunjucks.Environment(null, {
    autoescape: false,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  try {
    env.renderString(source, { values: { name: 'probe' } });
  } catch {
    // most payloads throw after their code ran; the marker tells
  }
}

/** Files of a template directory, as the dry-run API takes them. */
export function directoryContents(
  dir: string,
): Array<{ path: string; base64Content: string }> {
  const files: Array<{ path: string; base64Content: string }> = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        files.push({
          path: path.relative(dir, full),
          base64Content: fs.readFileSync(full).toString('base64'),
        });
    }
  };
  walk(dir);
  return files;
}
