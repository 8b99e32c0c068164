import fs from 'node:fs/promises';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';

/** Files larger than this are copied verbatim instead of rendered (binary assets, fixtures). */
const MAX_TEMPLATE_BYTES = 512 * 1024;

/**
 * A nunjucks environment with the scaffolder's `${{ }}` variable syntax and no
 * loader: skeleton files are templates, the values are data only, and
 * `include`/`import` cannot reach the file system.
 */
function createEnvironment(): nunjucks.Environment {
  return new nunjucks.Environment(null, {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: false,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      throw new Error(
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

/**
 * Renders every file of `skeletonDir` into `targetDir` with `values`
 * (available as `values.*`). Paths are kept as they are; every written path is
 * checked to stay inside `targetDir`. Returns the written paths, relative.
 */
export async function renderSkeleton(options: {
  skeletonDir: string;
  targetDir: string;
  values: Record<string, JsonValue>;
}): Promise<string[]> {
  const env = createEnvironment();
  const written: string[] = [];
  for (const file of await listFiles(options.skeletonDir)) {
    const relative = path.relative(options.skeletonDir, file);
    const destination = resolveSafeChildPath(options.targetDir, relative);
    const bytes = await fs.readFile(file);
    let output: Buffer | string = bytes;
    if (bytes.length <= MAX_TEMPLATE_BYTES && !bytes.includes(0)) {
      try {
        output = env.renderString(bytes.toString('utf8'), {
          values: options.values,
        });
      } catch (error) {
        throw new Error(
          `Rendering skeleton file ${relative} failed: ${
            (error as Error).message
          }`,
        );
      }
    }
    await fs.mkdir(path.dirname(destination), { recursive: true });
    await fs
      .writeFile(destination, output, { flag: 'wx' })
      .catch(async error => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        throw new Error(
          `${relative} already exists in the workspace; render into an empty targetPath`,
        );
      });
    written.push(relative);
  }
  return written;
}
