import path from 'node:path';
import fs from 'node:fs/promises';
import {
  resolveSafeChildPath,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import {
  createTemplateAction,
  fetchContents,
} from '@backstage/plugin-scaffolder-node';
import {
  BaseImagesConfig,
  classifyImage,
  InvalidImageReferenceError,
  parseImageReference,
  RUNTIMES,
} from '@internal/backstage-plugin-base-images-common';
import { checkDockerfile } from '../render/checkDockerfile';
import { renderSkeleton } from '../render/renderSkeleton';
import { examples } from './render.examples';
import {
  checkDescription,
  checkServiceName,
  MAX_DESCRIPTION_LENGTH,
  SERVICE_NAME,
  SERVICE_NAME_RULE,
} from './inputRules';

/**
 * Refuses images the policy could not have produced: the runtime image must
 * match the variant, and every image must be the runtime's standard image or
 * a configured hardened image of the same runtime.
 */
function checkImages(
  images: {
    runtimeImage: string;
    builderImage: string;
    debugImage: string;
    variant: string;
  },
  runtime: string,
  config: BaseImagesConfig,
) {
  for (const [key, ref] of Object.entries(images)) {
    if (key === 'variant') continue;
    let parsed;
    try {
      parsed = parseImageReference(ref);
    } catch (error) {
      if (error instanceof InvalidImageReferenceError)
        throw new InputError(`images.${key}: ${error.message}`);
      throw error;
    }
    const classification = classifyImage(parsed, config);
    const standard =
      parsed.registry === 'docker.io' &&
      parsed.repository === `library/${runtime}`;
    if (
      !standard &&
      !(classification.hardened && classification.runtime === runtime)
    ) {
      throw new InputError(
        `images.${key} ${JSON.stringify(
          ref,
        )} is neither the standard ${runtime} image nor a configured hardened ${runtime} image; pass the outputs of base-images:resolve`,
      );
    }
    if (key === 'runtimeImage' && classification.variant !== images.variant) {
      throw new InputError(
        `images.runtimeImage ${JSON.stringify(ref)} is ${
          classification.variant
        }, not the ${images.variant} variant that was resolved`,
      );
    }
  }
}

/**
 * `base-images:render`: renders a service skeleton with nunjucks into the
 * workspace on the resolved images, then checks the generated Dockerfile.
 */
export function createRenderServiceAction(options: {
  reader: UrlReaderService;
  integrations: ScmIntegrations;
  config: BaseImagesConfig;
}) {
  const { reader, integrations, config } = options;
  return createTemplateAction({
    id: 'base-images:render',
    description:
      'Renders a Python or Node service skeleton on the resolved base images and checks its Dockerfile (allowed FROMs, no RUN on shell-less runtimes, non-root user, exec-form CMD)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        runtime: z => z.enum(RUNTIMES),
        name: z =>
          z
            .string()
            .regex(SERVICE_NAME, SERVICE_NAME_RULE)
            .describe('Service name'),
        description: z =>
          z
            .string()
            .max(MAX_DESCRIPTION_LENGTH)
            .optional()
            .describe(
              'Service description (data, never template source); default empty',
            ),
        owner: z => z.string().min(1).max(300).describe('Owner entity ref'),
        system: z =>
          z.string().max(300).optional().describe('System entity ref'),
        lifecycle: z =>
          z
            .string()
            .regex(/^[a-z][a-z0-9-]{0,31}$/)
            .optional(),
        port: z => z.number().int().min(1024).max(65535).optional(),
        skeleton: z =>
          z
            .string()
            .optional()
            .describe('Skeleton location, relative to the template'),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe('Directory inside the workspace to render into'),
        images: z =>
          z
            .object({
              runtimeImage: z.string(),
              builderImage: z.string(),
              debugImage: z.string(),
              variant: z.enum(['slim', 'dhi', 'dhi-fips']),
            })
            .describe(
              'runtimeImage, builderImage, debugImage and variant from base-images:resolve',
            ),
        version: z => z.string().regex(/^\d+(\.\d+){0,2}$/),
        shellless: z => z.boolean(),
        authRequired: z => z.boolean(),
        loginRegistries: z => z.array(z.string()).optional(),
        frameworks: z =>
          z.array(z.object({ id: z.string(), source: z.string() })).optional(),
        reasons: z => z.array(z.string()).optional(),
      },
      output: {
        files: z =>
          z
            .array(z.string())
            .describe('Rendered files, relative to targetPath'),
        dockerfile: z =>
          z
            .string()
            .describe('Path of the checked Dockerfile in the workspace'),
      },
    },
    async handler(ctx) {
      const input = {
        ...ctx.input,
        name: checkServiceName('name', ctx.input.name),
        description: checkDescription(ctx.input.description),
        lifecycle: ctx.input.lifecycle ?? 'production',
        port: ctx.input.port ?? 8080,
        skeleton: ctx.input.skeleton ?? './skeleton',
        targetPath: ctx.input.targetPath ?? '.',
        loginRegistries: ctx.input.loginRegistries ?? [],
        frameworks: ctx.input.frameworks ?? [],
        reasons: ctx.input.reasons ?? [],
      };
      const targetDir = resolveSafeChildPath(
        ctx.workspacePath,
        input.targetPath,
      );
      checkImages(input.images, input.runtime, config);

      const skeletonDir = await ctx.createTemporaryDirectory();
      await fetchContents({
        reader,
        integrations,
        baseUrl: ctx.templateInfo?.baseUrl,
        fetchUrl: input.skeleton,
        outputPath: skeletonDir,
      });

      const files = await renderSkeleton({
        skeletonDir,
        targetDir,
        values: {
          name: input.name,
          description: input.description,
          owner: input.owner,
          system: input.system ?? '',
          lifecycle: input.lifecycle,
          port: input.port,
          runtime: input.runtime,
          version: input.version,
          runtimeImage: input.images.runtimeImage,
          builderImage: input.images.builderImage,
          debugImage: input.images.debugImage,
          variant: input.images.variant,
          shellless: input.shellless,
          authRequired: input.authRequired,
          loginRegistries: input.loginRegistries,
          frameworks: input.frameworks,
          reasons: input.reasons,
        },
      });
      if (!files.includes('Dockerfile')) {
        throw new InputError(
          `The skeleton at ${input.skeleton} has no Dockerfile at its root`,
        );
      }

      const dockerfilePath = path.join(targetDir, 'Dockerfile');
      const violations = checkDockerfile(
        await fs.readFile(dockerfilePath, 'utf8'),
        {
          allowedImages: [
            input.images.runtimeImage,
            input.images.builderImage,
            input.images.debugImage,
          ],
          runtimeImage: input.images.runtimeImage,
          shellless: input.shellless,
        },
      );
      if (violations.length > 0) {
        throw new InputError(
          `The generated Dockerfile breaks the base-image rules:\n${violations
            .map(v => `  Dockerfile:${v.line} [${v.rule}] ${v.message}`)
            .join('\n')}`,
        );
      }
      ctx.logger.info(
        `Rendered ${files.length} files; Dockerfile passes the base-image rules`,
      );
      ctx.output('files', files);
      ctx.output(
        'dockerfile',
        path.relative(ctx.workspacePath, dockerfilePath) || 'Dockerfile',
      );
    },
  });
}
