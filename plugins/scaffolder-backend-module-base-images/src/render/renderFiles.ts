import path from 'node:path';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { renderTemplate } from './safeNunjucks';
import { MAX_SKELETON_OUTPUT_BYTES } from './templatePolicy';

/** A file of a skeleton, as the render worker receives it. */
export interface SkeletonFile {
  /** Its path relative to the skeleton directory. */
  source: string;
  /** Its text, when it is rendered; files without text are copied verbatim. */
  text?: string;
}

/** A skeleton file after rendering. */
export interface RenderedFile {
  source: string;
  /** Its rendered path relative to the target directory. */
  relative: string;
  /** Its rendered text; undefined for files copied verbatim. */
  output?: string;
}

/** A path segment containing this is a template for the file or directory name. */
const NAME_TEMPLATE_START = '${{';

function isValidName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    ![...name].some(c => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20)
  );
}

/**
 * Renders every file of a skeleton, its contents and the `${{ }}` segments
 * of its path alike, with the safe renderer (safeNunjucks.ts), in order, and
 * refuses invalid and duplicate names. Pure: reads and writes nothing, so
 * that it can run in the render worker (renderWorker.ts). `onFile` hears the
 * label of each file before it renders, for errors the worker cannot report
 * itself (a deadline, running out of memory).
 */
export function renderSkeletonFiles(
  files: SkeletonFile[],
  values: Record<string, JsonValue>,
  onFile: (label: string) => void = () => {},
): RenderedFile[] {
  const rendered = new Map<string, RenderedFile>();
  let outputBytes = 0;
  for (const { source, text } of files) {
    const relative = renderPath(source, values, onFile);
    const earlier = rendered.get(relative);
    if (earlier) {
      throw new InputError(
        `Skeleton files ${earlier.source} and ${source} both render to ${relative}; give them distinct names`,
      );
    }
    let output: string | undefined;
    if (text !== undefined) {
      const label = `Skeleton file ${source}`;
      onFile(label);
      output = renderTemplate(text, { values }, label);
      outputBytes += Buffer.byteLength(output);
      if (outputBytes > MAX_SKELETON_OUTPUT_BYTES) {
        throw new InputError(
          `${label}: the rendered skeleton would be larger than ${MAX_SKELETON_OUTPUT_BYTES} bytes in total; generate less output`,
        );
      }
    }
    rendered.set(relative, { source, relative, output });
  }
  return [...rendered.values()];
}

/** Renders the templated segments of a skeleton path. */
function renderPath(
  relative: string,
  values: Record<string, JsonValue>,
  onFile: (label: string) => void,
): string {
  const label = `Skeleton file name ${relative}`;
  return relative
    .split(path.sep)
    .map(segment => {
      if (!segment.includes(NAME_TEMPLATE_START)) return segment;
      onFile(label);
      const name = renderTemplate(segment, { values }, label);
      if (!isValidName(name)) {
        throw new InputError(
          `${label} renders to ${JSON.stringify(
            name,
          )}, which is not a file or directory name; a templated name must render to a non-empty name without /, \\ or control characters`,
        );
      }
      return name;
    })
    .join(path.sep);
}
