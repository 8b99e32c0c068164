import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  BaseImagesConfig,
  checkNewServiceInput,
  FLAVORS,
  resolveNewService,
  RUNTIMES,
  SITUATIONS,
  toBackstageError,
} from '@internal/backstage-plugin-base-images-common';
import { DigestLookup, pinnedImage } from '../digests/digestLookup';
import { PublishSettings } from '../settings';
import {
  checkEntityRef,
  checkOneLine,
  MAX_ENTITY_REF_LENGTH,
  OWNER_REF,
  SYSTEM_REF,
  toOneLine,
  zodRule,
} from './inputRules';
import { examples } from './resolve.examples';

/**
 * `base-images:resolve`: reads the compliance of the chosen owner and system
 * through the catalog, with the task initiator's credentials, and applies the
 * platform team's base-image policy.
 * @public
 */
export function createResolveBaseImagesAction(options: {
  catalog: CatalogService;
  config: BaseImagesConfig;
  publish: PublishSettings;
  /** Where digests come from; without it the images keep their tags. */
  digests?: DigestLookup;
}) {
  const { catalog, config, publish, digests } = options;
  return createTemplateAction({
    id: 'base-images:resolve',
    description:
      'Chooses the runtime, builder and debug base images for a new service from the compliance annotations of its owner, system and domain',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        runtime: z =>
          z.enum(RUNTIMES).describe('Service runtime: python or node'),
        version: z =>
          z
            .string()
            .max(20)
            .optional()
            .describe(
              'Runtime version, for example 3.13 or 22; defaults to the policy default',
            ),
        flavor: z =>
          z.enum(FLAVORS).optional().describe('standard (Debian) or alpine'),
        situation: z =>
          z
            .enum(SITUATIONS)
            .optional()
            .describe(
              'production (default), prototype, open-source or security-sensitive',
            ),
        owner: z =>
          z
            .string()
            .max(MAX_ENTITY_REF_LENGTH)
            .superRefine(
              zodRule(v => v && checkEntityRef('owner', v, OWNER_REF)),
            )
            .optional()
            .describe(
              'Owner entity ref, [group:][namespace/]name (a Group carries compliance)',
            ),
        system: z =>
          z
            .string()
            .max(MAX_ENTITY_REF_LENGTH)
            .superRefine(
              zodRule(v => v && checkEntityRef('system', v, SYSTEM_REF)),
            )
            .optional()
            .describe('System entity ref, [system:][namespace/]name'),
        frameworks: z =>
          z
            .array(
              z
                .string()
                .max(64)
                .superRefine(zodRule(v => checkOneLine('frameworks[]', v))),
            )
            .max(20)
            .optional()
            .describe('Extra compliance frameworks for this service'),
      },
      output: {
        runtimeImage: z =>
          z.string().describe('Image of the final, runtime stage'),
        builderImage: z => z.string().describe('Image of the build stage'),
        debugImage: z => z.string().describe('Image of the debug target'),
        variant: z => z.enum(['slim', 'dhi', 'dhi-fips']),
        shellless: z => z.boolean().describe('The runtime image has no shell'),
        frameworks: z =>
          z.array(z.object({ id: z.string(), source: z.string() })),
        authRequired: z =>
          z.boolean().describe('Pulling the images needs a registry login'),
        loginRegistries: z => z.array(z.string()),
        reasons: z => z.array(z.string()),
        version: z => z.string(),
        pinnedImages: z =>
          z
            .object({
              runtimeImage: z.string(),
              builderImage: z.string(),
              debugImage: z.string(),
            })
            .describe(
              'The images pinned to the digests the registry gave now (<image>@sha256:...), or as they are when it did not answer',
            ),
        pinned: z => z.boolean().describe('Every image is pinned to a digest'),
        publishTarget: z =>
          z
            .enum(['local', 'github'])
            .describe(
              'Where the templates publish, from baseImages.publish.target',
            ),
        githubRepoUrlPrefix: z =>
          z
            .string()
            .describe(
              'For publish:github: "<host>?owner=<owner>&repo=" (empty when publishing locally)',
            ),
      },
    },
    async handler(ctx) {
      const credentials = await ctx.getInitiatorCredentials();
      let selection;
      try {
        // the same reading of the input as the status backend's POST /preview
        selection = await resolveNewService(
          checkNewServiceInput(ctx.input),
          ref => catalog.getEntityByRef(ref, { credentials }),
          config,
        );
      } catch (error) {
        throw toBackstageError(error);
      }

      ctx.logger.info(
        `Base image: ${selection.runtimeImage} (${selection.variant}); builder ${selection.builderImage}`,
      );
      ctx.output('runtimeImage', selection.runtimeImage);
      ctx.output('builderImage', selection.builderImage);
      ctx.output('debugImage', selection.debugImage);
      ctx.output('variant', selection.variant);
      ctx.output('shellless', selection.shellless);
      // reasons and sources quote catalog data; they are display text, one line each
      const reasons = selection.reasons.map(toOneLine);
      ctx.output(
        'frameworks',
        selection.frameworks.map(({ id, source }) => ({
          id,
          source: toOneLine(source),
        })),
      );
      ctx.output('authRequired', selection.authRequired);
      ctx.output('loginRegistries', selection.loginRegistries);
      reasons.forEach(reason => ctx.logger.info(`  ${reason}`));
      ctx.output('reasons', reasons);
      ctx.output('version', selection.version);

      // Offline (or outside the allow-list) the images keep their tags.
      const images = [
        selection.runtimeImage,
        selection.builderImage,
        selection.debugImage,
      ];
      const answer = digests
        ? await digests.lookup(images, credentials, ctx.logger)
        : { digests: new Map<string, string>(), messages: [] };
      answer.messages.forEach(message =>
        ctx.logger.info(`  not pinned: ${message}`),
      );
      ctx.output('pinnedImages', {
        runtimeImage: pinnedImage(
          selection.runtimeImage,
          answer.digests.get(selection.runtimeImage),
        ),
        builderImage: pinnedImage(
          selection.builderImage,
          answer.digests.get(selection.builderImage),
        ),
        debugImage: pinnedImage(
          selection.debugImage,
          answer.digests.get(selection.debugImage),
        ),
      });
      ctx.output(
        'pinned',
        images.every(image => answer.digests.has(image)),
      );
      ctx.output('publishTarget', publish.target);
      ctx.output(
        'githubRepoUrlPrefix',
        publish.github
          ? `${publish.github.host}?owner=${encodeURIComponent(
              publish.github.owner,
            )}&repo=`
          : '',
      );
    },
  });
}
