import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { SkeletonFile } from './renderFiles';
import { renderInWorker } from './renderWorker';
import { MAX_TEMPLATE_BYTES } from './templatePolicy';

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

/**
 * Renders every file of `skeletonDir` into `targetDir` with `values`
 * (available as `values.*`), file contents and `${{ }}` segments of file
 * names alike, through the safe renderer (safeNunjucks.ts), in a worker
 * thread with a heap limit and a deadline (renderWorker.ts). Files larger
 * than MAX_TEMPLATE_BYTES or holding a NUL byte (binary assets, fixtures)
 * are copied verbatim. Everything is rendered and checked before the first
 * file is written, and every written path stays inside `targetDir`.
 * Returns the written paths, relative.
 */
export async function renderSkeleton(options: {
  skeletonDir: string;
  targetDir: string;
  values: Record<string, JsonValue>;
}): Promise<string[]> {
  const copied = new Map<string, Buffer>();
  const files: SkeletonFile[] = [];
  for (const file of await listFiles(options.skeletonDir)) {
    const source = path.relative(options.skeletonDir, file);
    const bytes = await fs.readFile(file);
    if (bytes.length <= MAX_TEMPLATE_BYTES && !bytes.includes(0)) {
      files.push({ source, text: bytes.toString('utf8') });
    } else {
      files.push({ source });
      copied.set(source, bytes);
    }
  }
  const rendered = await renderInWorker({ files, values: options.values });

  const written: string[] = [];
  for (const { source, relative, output } of rendered) {
    const destination = resolveSafeChildPath(options.targetDir, relative);
    await fs.mkdir(path.dirname(destination), { recursive: true });
    await fs
      .writeFile(destination, output ?? copied.get(source)!, { flag: 'wx' })
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
