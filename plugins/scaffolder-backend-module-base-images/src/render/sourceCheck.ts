import { TemplateError } from './nunjucksInternals';
import { MAX_TEMPLATE_BYTES, MAX_WHITESPACE_RUN } from './templatePolicy';

/**
 * Checks on a template's text, in linear time, before nunjucks parses it.
 * nunjucks 3.2.4's parser is quadratic on two kinds of input, and parsing
 * runs before either safety layer:
 *
 * - whitespace control: before a `{%-`, `${{-` or `{#-` tag it trims the
 *   text with /\s*$/, which tries every position of every whitespace run
 *   (512 KiB of spaces took 319 s);
 * - `{% raw %}` and `{% verbatim %}`: it finds the end of the block with
 *   /([\s\S]*?){%\s*(raw|endraw)\s*(?=%})%}/ searched from every position
 *   of the rest of the file, when the block has no end (400 KB took 58 s).
 *
 * Throws a nunjucks TemplateError carrying the 1-based line and column.
 */
export function checkSourceText(source: string): void {
  if (source.length > MAX_TEMPLATE_BYTES) {
    throw new TemplateError(
      `a template may be at most ${MAX_TEMPLATE_BYTES} characters long, this one has ${source.length}`,
    );
  }
  checkWhitespaceRuns(source);
  checkRawBlocks(source, 'raw');
  checkRawBlocks(source, 'verbatim');
}

function refuse(source: string, index: number, message: string): never {
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  throw new TemplateError(message, line, column);
}

/** Tag starts with whitespace control (the scaffolder's `${{` included). */
const WHITESPACE_CONTROL = /\{%-|\$\{\{-|\{#-/;

function checkWhitespaceRuns(source: string): void {
  if (!WHITESPACE_CONTROL.test(source)) return;
  // Each match is a maximal run, found once: linear.
  for (const run of source.matchAll(/\s+/g)) {
    if (run[0].length > MAX_WHITESPACE_RUN) {
      refuse(
        source,
        run.index,
        `a run of ${run[0].length} whitespace characters starts here; files that use whitespace control ({%-, \${{- or {#-) may have at most ${MAX_WHITESPACE_RUN} in a row`,
      );
    }
  }
}

/** The characters nunjucks' lexer skips between the parts of a tag. */
const TAG_SPACE = '[ \\n\\t\\r\\u00a0]*';

/**
 * Refuses a raw (or verbatim) block that nunjucks' parser would search to
 * the end of the file for its end tag. From the end of an opening tag,
 * nunjucks walks the `{% raw %}`/`{% endraw %}` tags that follow (exactly
 * these spellings, without whitespace control), counting nesting, until the
 * count drops to zero. The running count after each tag is a prefix sum of
 * +1/-1 steps, so an opening is closed exactly when some later prefix sum
 * falls below the one before its first following tag: one pass collects the
 * tags, one computes suffix minima. Every text that could be an opening tag
 * is checked, also inside comments or other raw blocks, which only refuses
 * more.
 */
function checkRawBlocks(source: string, name: string): void {
  const openings = [
    ...source.matchAll(
      new RegExp(`\\{%-?${TAG_SPACE}${name}${TAG_SPACE}-?%\\}`, 'g'),
    ),
  ];
  if (openings.length === 0) return;
  // The regular expression nunjucks' parseRaw searches with, anchored on the tag.
  const tags = [
    ...source.matchAll(new RegExp(`\\{%\\s*(${name}|end${name})\\s*%\\}`, 'g')),
  ];
  const sums: number[] = [];
  let sum = 0;
  for (const tag of tags) {
    sum += tag[1] === name ? 1 : -1;
    sums.push(sum);
  }
  const suffixMinimum = [...sums];
  for (let index = sums.length - 2; index >= 0; index--) {
    suffixMinimum[index] = Math.min(sums[index], suffixMinimum[index + 1]);
  }
  let next = 0;
  for (const opening of openings) {
    const end = opening.index + opening[0].length;
    while (next < tags.length && tags[next].index < end) next++;
    const before = next === 0 ? 0 : sums[next - 1];
    if (next === tags.length || suffixMinimum[next] > before - 1) {
      refuse(
        source,
        opening.index,
        `{% ${name} %} has no matching {% end${name} %}; close the block (write the end tag exactly as {% end${name} %})`,
      );
    }
  }
}
