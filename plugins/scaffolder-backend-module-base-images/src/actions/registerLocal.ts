import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
  stringifyLocationRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  CatalogService,
  locationSpecToMetadataName,
} from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { minimatch } from 'minimatch';
import yaml from 'yaml';
import { PublishSettings } from '../settings';
import { quote } from './inputRules';
import { examples } from './registerLocal.examples';

/** How long to wait for the catalog to ingest the new entity. */
const INGESTION_TIMEOUT_MS = 60_000;

/**
 * The published catalog-info.yaml: inside the publish directory, reached
 * through no symbolic link, a regular file. A link could make another
 * repository's file (and its entity) pass for this one's.
 */
async function readCatalogInfoPath(
  localDirectory: string,
  value: unknown,
  options: { dryRun: boolean },
): Promise<string> {
  const shown = quote(value, 200);
  let target: string;
  try {
    if (typeof value !== 'string') throw new Error('not a path');
    target = resolveSafeChildPath(localDirectory, value);
  } catch {
    throw new InputError(
      `catalogInfoPath ${shown} is outside ${localDirectory}`,
    );
  }
  // a dry run of publish-local creates nothing, so there is no file to look at yet
  if (options.dryRun) return target;
  const expected = path.join(
    await fs.realpath(localDirectory).catch(() => localDirectory),
    path.relative(localDirectory, target),
  );
  const stat = await fs.lstat(target).catch(() => undefined);
  if (!stat) {
    throw new InputError(
      `catalogInfoPath ${shown} does not exist; pass the catalogInfoPath output of base-images:publish-local`,
    );
  }
  if (
    !stat.isFile() ||
    (await fs.realpath(target).catch(() => undefined)) !== expected
  ) {
    throw new InputError(
      `catalogInfoPath ${shown} is a symbolic link, goes through one, or is not a regular file; register the repository's own catalog-info.yaml`,
    );
  }
  return target;
}

/**
 * `base-images:register-local`: brings a repository made by
 * `base-images:publish-local` into the catalog. The catalog reads it through a
 * file location configured by the platform team (a glob over the publish
 * directory), so users never get to register arbitrary server files; this
 * action refreshes that location and waits until the new entity is there.
 * @public
 */
export function createRegisterLocalAction(options: {
  catalog: CatalogService;
  publish: PublishSettings;
  /** Absolute targets of the `file` locations in `catalog.locations`. */
  fileLocations: string[];
  timeoutMs?: number;
}) {
  const { catalog, publish, fileLocations } = options;
  const timeoutMs = options.timeoutMs ?? INGESTION_TIMEOUT_MS;
  return createTemplateAction({
    id: 'base-images:register-local',
    description:
      'Brings a repository from the local publish directory into the catalog through the configured file location',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoPath: z =>
          z
            .string()
            .describe(
              'catalog-info.yaml path output by base-images:publish-local',
            ),
      },
      output: {
        entityRef: z => z.string(),
      },
    },
    async handler(ctx) {
      const target = await readCatalogInfoPath(
        publish.localDirectory,
        ctx.input.catalogInfoPath,
        { dryRun: ctx.isDryRun ?? false },
      );
      const suggestion = `add a catalog location to app-config: catalog.locations: [{ type: file, target: ${path.join(
        publish.localDirectory,
        '*',
        'catalog-info.yaml',
      )} }]`;
      const pattern = fileLocations.find(candidate =>
        minimatch(target, candidate),
      );
      if (!pattern) {
        throw new InputError(
          `No catalog location reads ${target}; ${suggestion}`,
        );
      }
      // The catalog names the entity of a configured location after its type and target.
      const locationRef = `location:default/${locationSpecToMetadataName({
        type: 'file',
        target: pattern,
      })}`;
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would refresh ${locationRef} to read ${target}`,
        );
        ctx.output('entityRef', 'component:default/dry-run');
        return;
      }

      const documents = yaml
        .parseAllDocuments(await fs.readFile(target, 'utf8'))
        .map(d => d.toJS() as Entity);
      const entity =
        documents.find(d => d?.kind === 'Component') ?? documents[0];
      if (!entity?.kind || !entity.metadata?.name)
        throw new InputError(`${target} holds no catalog entity`);
      const entityRef = stringifyEntityRef(entity);

      // How the catalog annotates what it reads from a file location
      // (FileReaderProcessor + AnnotateLocationEntityProcessor): the file
      // itself, and the configured location that found it.
      const ownLocation = stringifyLocationRef({ type: 'file', target });
      const originLocations = fileLocations
        .filter(candidate => minimatch(target, candidate))
        .map(candidate =>
          stringifyLocationRef({ type: 'file', target: candidate }),
        );

      const credentials = await ctx.getInitiatorCredentials();
      await catalog.refreshEntity(locationRef, { credentials });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = await catalog.getEntityByRef(entityRef, { credentials });
        if (found) {
          // Another file's entity of the same name keeps its place in the
          // catalog (ours is a conflict); it must never count as ours.
          const annotations = found.metadata.annotations ?? {};
          const location = annotations[ANNOTATION_LOCATION];
          if (location !== ownLocation) {
            throw new ConflictError(
              `${entityRef} already exists, defined in ${
                location ?? 'an unknown location'
              }; choose another name`,
            );
          }
          const origin = annotations[ANNOTATION_ORIGIN_LOCATION];
          if (!origin || !originLocations.includes(origin)) {
            throw new ConflictError(
              `${entityRef} is read from ${target} through ${
                origin ?? 'an unknown location'
              }, not through the configured ${locationRef}; remove that other registration`,
            );
          }
          break;
        }
        if (Date.now() > deadline) {
          throw new NotFoundError(
            `${entityRef} did not appear in the catalog within ${
              timeoutMs / 1000
            }s; check the catalog's processing errors for ${target}`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      ctx.logger.info(`Registered ${entityRef} (read by ${locationRef})`);
      ctx.output('entityRef', entityRef);
    },
  });
}
