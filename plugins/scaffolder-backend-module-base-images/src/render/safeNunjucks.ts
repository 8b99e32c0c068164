import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import nunjucks from 'nunjucks';
import { renderGuarded } from './guardedRender';
import { parser, TemplateNode } from './nunjucksInternals';
import { checkSourceText } from './sourceCheck';
import { checkTemplate } from './staticCheck';

/**
 * Renders skeleton templates with nunjucks in a way that can never run code
 * on the backend, although template text is controlled by any template
 * author (and any Template Editor dry-run). Two independent layers:
 *
 * (a) checkTemplate (staticCheck.ts) refuses, before rendering, every
 *     construct that could reach a JavaScript function: lookups of
 *     constructor/__proto__/call/..., computed lookups, calls of anything but
 *     range(), unknown filters and tests, include/import/extends/macro/...;
 * (b) renderGuarded (guardedRender.ts) compiles with a hardened compiler and
 *     runs against a guarded runtime: own properties of data only, approved
 *     functions only, and limits on loops, value and output size and work.
 *
 * What a template may use is in templatePolicy.ts, shared by both layers.
 * Before either, sourceCheck.ts refuses text that nunjucks' own parser
 * takes quadratic time on. Bounded work per file is what the layers
 * promise; renderSkeleton additionally renders in a worker thread with a
 * heap limit and a deadline (renderWorker.ts), for whatever slow path they
 * miss.
 */

const PARSE_OPTIONS: nunjucks.ConfigureOptions = {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: false,
  lstripBlocks: false,
  tags: { variableStart: '${{', variableEnd: '}}' },
};

type TemplateData = Record<string, JsonValue>;

/**
 * Renders `source` with the scaffolder's `${{ }}` syntax; the keys of `data`
 * are the template's variables (e.g. `{ values }`). Values are data: text in
 * them is never rendered again. Throws an InputError that names `fileLabel`,
 * the line and column, and what to change.
 */
export function renderTemplate(
  source: string,
  data: TemplateData,
  fileLabel: string,
): string {
  return labelErrors(fileLabel, () => {
    const ast = parse(source);
    checkTemplate(ast);
    return renderGuarded(ast, data);
  });
}

/**
 * Layer (a) alone: parses and checks `source` without rendering it. Throws
 * the same InputError renderTemplate would throw for a refused construct.
 */
export function checkTemplateSource(source: string, fileLabel: string): void {
  labelErrors(fileLabel, () => checkTemplate(parse(source)));
}

/**
 * Layer (b) alone, without the static check: only for the tests that prove
 * each layer stops every payload on its own. Never render skeletons with it.
 */
export function renderWithRuntimeGuardOnly(
  source: string,
  data: TemplateData,
  fileLabel: string,
): string {
  return labelErrors(fileLabel, () => renderGuarded(parse(source), data));
}

/** Every entry point parses through here, so the text checks cover both layers. */
function parse(source: string): TemplateNode {
  checkSourceText(source);
  return parser.parse(source, [], PARSE_OPTIONS);
}

function labelErrors<T>(fileLabel: string, render: () => T): T {
  try {
    return render();
  } catch (error) {
    const { lineno, colno, cause } = error as {
      lineno?: number;
      colno?: number;
      cause?: unknown;
    };
    const reason = cause instanceof Error ? cause : error;
    const where = lineno
      ? `, line ${lineno}${colno ? `, column ${colno}` : ''}`
      : '';
    throw new InputError(
      `${fileLabel}${where}: ${
        reason instanceof Error ? reason.message : String(reason)
      }`,
    );
  }
}
