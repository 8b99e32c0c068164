import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { PublishSettings } from '../settings';
import { examples } from './registerLocal.examples';

/**
 * `base-images:register-local`: registers a repository made by
 * `base-images:publish-local` in the catalog as a file location, with the
 * initiator's credentials. Only files inside the local publish directory.
 */
export function createRegisterLocalAction(options: { catalog: CatalogService; publish: PublishSettings }) {
  const { catalog, publish } = options;
  return createTemplateAction({
    id: 'base-images:register-local',
    description: 'Registers a catalog-info.yaml from the local publish directory in the catalog',
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
        throw new InputError(`catalogInfoPath ${JSON.stringify(ctx.input.catalogInfoPath)} is outside ${publish.localDirectory}`);
      }
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${target}`);
        ctx.output('entityRef', 'component:default/dry-run');
        return;
      }
      const result = await catalog.addLocation({ type: 'file', target }, { credentials: await ctx.getInitiatorCredentials() });
      const component = result.entities.find(e => e.kind === 'Component') ?? result.entities[0];
      if (!component) {
        throw new InputError(`${target} holds no catalog entity`);
      }
      const entityRef = stringifyEntityRef(component);
      ctx.logger.info(`Registered ${entityRef} from ${target}`);
      ctx.output('entityRef', entityRef);
    },
  });
}
