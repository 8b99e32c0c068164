import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { minimatch } from 'minimatch';
import yaml from 'yaml';
import { PublishSettings } from '../settings';
import { examples } from './registerLocal.examples';

/** How long to wait for the catalog to ingest the new entity. */
const INGESTION_TIMEOUT_MS = 60_000;

function locationTargets(location: Entity): string[] {
  const spec = (location.spec ?? {}) as { type?: string; target?: string; targets?: string[] };
  if (spec.type !== 'file') return [];
  return [spec.target, ...(spec.targets ?? [])].filter((t): t is string => typeof t === 'string');
}

/**
 * `base-images:register-local`: brings a repository made by
 * `base-images:publish-local` into the catalog. The catalog reads it through a
 * file location configured by the platform team (a glob over the publish
 * directory), so users never get to register arbitrary server files; this
 * action refreshes that location and waits until the new entity is there.
 */
export function createRegisterLocalAction(options: { catalog: CatalogService; publish: PublishSettings; timeoutMs?: number }) {
  const { catalog, publish } = options;
  const timeoutMs = options.timeoutMs ?? INGESTION_TIMEOUT_MS;
  return createTemplateAction({
    id: 'base-images:register-local',
    description: 'Brings a repository from the local publish directory into the catalog through the configured file location',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoPath: z => z.string().describe('catalog-info.yaml path output by base-images:publish-local'),
      },
      output: {
        entityRef: z => z.string(),
      },
    },
    async handler(ctx) {
      let target: string;
      try {
        target = resolveSafeChildPath(publish.localDirectory, ctx.input.catalogInfoPath);
      } catch {
        throw new InputError(`catalogInfoPath ${JSON.stringify(String(ctx.input.catalogInfoPath).slice(0, 200))} is outside ${publish.localDirectory}`);
      }
      const suggestion = `add a catalog location to app-config: catalog.locations: [{ type: file, target: ${path.join(publish.localDirectory, '*', 'catalog-info.yaml')} }]`;
      const credentials = await ctx.getInitiatorCredentials();
      const { items: locations } = await catalog.getEntities({ filter: { kind: 'Location' } }, { credentials });
      const location = locations.find(l => locationTargets(l).some(pattern => minimatch(target, path.resolve(pattern))));
      if (!location) {
        throw new InputError(`No catalog location reads ${target}; ${suggestion}`);
      }
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would refresh ${stringifyEntityRef(location)} to read ${target}`);
        ctx.output('entityRef', 'component:default/dry-run');
        return;
      }

      const documents = yaml.parseAllDocuments(await fs.readFile(target, 'utf8')).map(d => d.toJS() as Entity);
      const entity = documents.find(d => d?.kind === 'Component') ?? documents[0];
      if (!entity?.kind || !entity.metadata?.name) throw new InputError(`${target} holds no catalog entity`);
      const entityRef = stringifyEntityRef(entity);

      await catalog.refreshEntity(stringifyEntityRef(location), { credentials });
      const deadline = Date.now() + timeoutMs;
      while (!(await catalog.getEntityByRef(entityRef, { credentials }))) {
        if (Date.now() > deadline) {
          throw new NotFoundError(`${entityRef} did not appear in the catalog within ${timeoutMs / 1000}s; check the catalog's processing errors for ${target}`);
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      ctx.logger.info(`Registered ${entityRef} (read by ${stringifyEntityRef(location)})`);
      ctx.output('entityRef', entityRef);
    },
  });
}
