import path from 'node:path';
import { Config } from '@backstage/config';

/** What makes a path segment a glob pattern: wildcards, classes, braces, extglobs. */
const GLOB_MAGIC = /[*?[\]{}]|[!?+*@]\(/;

/**
 * The directory a `file` location target covers: the directory of a plain
 * file, or for a glob the directory before its first pattern segment
 * (`../../.generated-repos/*\/catalog-info.yaml` covers `.generated-repos`).
 * Relative targets are resolved against the working directory, as the
 * catalog resolves them.
 */
export function fileLocationRoot(target: string): string {
  const absolute = path.resolve(target);
  const segments = absolute.split(path.sep);
  const firstPattern = segments.findIndex(segment => GLOB_MAGIC.test(segment));
  if (firstPattern === -1) return path.dirname(absolute);
  return segments.slice(0, firstPattern).join(path.sep) || path.sep;
}

/**
 * The directories whose Dockerfiles may be read from disk: those the
 * `catalog.locations` entries of type `file` name in config. Nothing else on
 * the disk is ever read, whatever an entity's location annotation says.
 */
export function fileLocationRoots(config: Config): string[] {
  const roots = new Set<string>();
  for (const location of config.getOptionalConfigArray('catalog.locations') ??
    []) {
    if (location.getOptionalString('type') !== 'file') continue;
    const target = location.getOptionalString('target');
    if (target) roots.add(fileLocationRoot(target));
  }
  return [...roots];
}
