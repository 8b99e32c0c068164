import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  CatalogService,
  locationSpecToMetadataName,
} from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { minimatch } from 'minimatch';
import yaml from 'yaml';
import { PublishSettings } from '../settings';
import { examples } from './registerLocal.examples';

/** How long to wait for the catalog to ingest the new entity. */
const INGESTION_TIMEOUT_MS = 60_000;

/**
 * `base-images:register-local`: brings a repository made by
 * `base-images:publish-local` into the catalog. The catalog reads it through a
 * file location configured by the platform team (a glob over the publish
 * directory), so users never get to register arbitrary server files; this
 * action refreshes that location and waits until the new entity is there.
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
      let target: string;
      try {
        target = resolveSafeChildPath(
          publish.localDirectory,
          ctx.input.catalogInfoPath,
        );
      } catch {
        throw new InputError(
          `catalogInfoPath ${JSON.stringify(
            String(ctx.input.catalogInfoPath).slice(0, 200),
          )} is outside ${publish.localDirectory}`,
        );
      }
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

      const credentials = await ctx.getInitiatorCredentials();
      await catalog.refreshEntity(locationRef, { credentials });
      const deadline = Date.now() + timeoutMs;
      while (!(await catalog.getEntityByRef(entityRef, { credentials }))) {
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
