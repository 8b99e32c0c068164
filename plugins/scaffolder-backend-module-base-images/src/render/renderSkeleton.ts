import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { renderTemplate } from './safeNunjucks';

/** Files larger than this are copied verbatim instead of rendered (binary assets, fixtures). */
const MAX_TEMPLATE_BYTES = 512 * 1024;

/** A path segment containing this is a template for the file or directory name. */
const NAME_TEMPLATE_START = '${{';

async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      throw new InputError(
        `Skeleton file ${path.relative(
          root,
          full,
        )} is a symbolic link; skeletons may only hold regular files`,
      );
    }
    if (entry.isDirectory()) files.push(...(await listFiles(root, full)));
    else if (entry.isFile()) files.push(full);
  }
  return files.sort();
}

function isValidName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    ![...name].some(c => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20)
  );
}

/** Renders the templated segments of a skeleton path with the same safe renderer as file contents. */
function renderPath(relative: string, values: Record<string, JsonValue>) {
  return relative
    .split(path.sep)
    .map(segment => {
      if (!segment.includes(NAME_TEMPLATE_START)) return segment;
      const name = renderTemplate(
        segment,
        { values },
        `Skeleton file name ${relative}`,
      );
      if (!isValidName(name)) {
        throw new InputError(
          `Skeleton file name ${relative} renders to ${JSON.stringify(
            name,
          )}, which is not a file or directory name; a templated name must render to a non-empty name without /, \\ or control characters`,
        );
      }
      return name;
    })
    .join(path.sep);
}

/**
 * Renders every file of `skeletonDir` into `targetDir` with `values`
 * (available as `values.*`), file contents and `${{ }}` segments of file
 * names alike, through the safe renderer (safeNunjucks.ts). Everything is
 * rendered and checked before the first file is written, and every written
 * path stays inside `targetDir`. Returns the written paths, relative.
 */
export async function renderSkeleton(options: {
  skeletonDir: string;
  targetDir: string;
  values: Record<string, JsonValue>;
}): Promise<string[]> {
  const { values } = options;
  const rendered = new Map<
    string,
    { source: string; destination: string; output: Buffer | string }
  >();
  for (const file of await listFiles(options.skeletonDir)) {
    const source = path.relative(options.skeletonDir, file);
    const relative = renderPath(source, values);
    const destination = resolveSafeChildPath(options.targetDir, relative);
    const earlier = rendered.get(relative);
    if (earlier) {
      throw new InputError(
        `Skeleton files ${earlier.source} and ${source} both render to ${relative}; give them distinct names`,
      );
    }
    const bytes = await fs.readFile(file);
    const output =
      bytes.length <= MAX_TEMPLATE_BYTES && !bytes.includes(0)
        ? renderTemplate(
            bytes.toString('utf8'),
            { values },
            `Skeleton file ${source}`,
          )
        : bytes;
    rendered.set(relative, { source, destination, output });
  }

  const written: string[] = [];
  for (const [relative, { destination, output }] of rendered) {
    await fs.mkdir(path.dirname(destination), { recursive: true });
    await fs
      .writeFile(destination, output, { flag: 'wx' })
      .catch(async error => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        throw new InputError(
          `${relative} already exists in the workspace; render into an empty targetPath`,
        );
      });
    written.push(relative);
  }
  return written;
}
