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
  checkEntityRef,
  checkFrameworkId,
  checkOneLine,
  checkRegistryHost,
  checkServiceName,
  MAX_DESCRIPTION_LENGTH,
  MAX_ENTITY_REF_LENGTH,
  OWNER_REF,
  quote,
  SERVICE_NAME,
  SERVICE_NAME_RULE,
  SYSTEM_REF,
  toOneLine,
  zodRule,
} from './inputRules';

const VARIANTS = ['slim', 'dhi', 'dhi-fips'] as const;
const LIFECYCLE = /^[a-z][a-z0-9-]{0,31}$/;
const VERSION = /^\d+(\.\d+){0,2}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_LIST_LENGTH = 50;
const MAX_TEXT_LENGTH = 1000;

function list(field: string, value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_LIST_LENGTH) {
    throw new InputError(
      `${field} must be a list of at most ${MAX_LIST_LENGTH} items`,
    );
  }
  return value;
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) {
    throw new InputError(
      `${field} must be text of at most ${MAX_TEXT_LENGTH} characters`,
    );
  }
  return value;
}

function oneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) {
    throw new InputError(
      `${field} ${quote(value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

function matching(field: string, value: unknown, rule: RegExp): string {
  if (typeof value !== 'string' || !rule.test(value)) {
    throw new InputError(`${field} ${quote(value)} does not match ${rule}`);
  }
  return value;
}

function port(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1024 ||
    value > 65535
  )
    throw new InputError('port must be an integer from 1024 to 65535');
  return value;
}

function flag(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new InputError(`${field} must be true or false`);
  return value;
}

const IMAGE_KEYS = ['runtimeImage', 'builderImage', 'debugImage'] as const;

/**
 * The digest each image is pinned to, from `pinnedImages` (resolve's
 * output): each entry must be its image exactly, or that image with
 * `@sha256:<digest>`; nothing else can reach a FROM line.
 */
function readPinnedDigests(
  images: Record<(typeof IMAGE_KEYS)[number], string>,
  value: unknown,
): Record<string, string> {
  const pinned = (value ?? {}) as Record<string, unknown>;
  if (typeof pinned !== 'object' || Array.isArray(pinned))
    throw new InputError('pinnedImages must be an object');
  const digests: Record<string, string> = {};
  for (const key of IMAGE_KEYS) {
    const image = images[key];
    const ref = pinned[key] ?? image;
    const digest =
      typeof ref === 'string' && ref.startsWith(`${image}@`)
        ? ref.slice(image.length + 1)
        : undefined;
    if (ref !== image && !(digest && DIGEST.test(digest))) {
      throw new InputError(
        `pinnedImages.${key} ${quote(
          ref,
          200,
        )} must be images.${key} (${image}) or ${image}@sha256:<64 hex>; pass the pinnedImages output of base-images:resolve`,
      );
    }
    if (digest) {
      if (digests[image] && digests[image] !== digest) {
        throw new InputError(
          `pinnedImages pins ${image} to two digests; pass the pinnedImages output of base-images:resolve`,
        );
      }
      digests[image] = digest;
    }
  }
  return digests;
}

/**
 * Every value the skeleton can write, checked so that none can start a new
 * line in the Dockerfile, CI workflow, README or catalog-info.yaml: names,
 * refs, versions and hosts must match their rules; display text from the
 * policy (reasons, framework sources) is kept to one line.
 */
function readRenderInput(input: Record<string, unknown>) {
  const images = (input.images ?? {}) as Record<string, unknown>;
  return {
    runtime: oneOf('runtime', input.runtime, RUNTIMES),
    name: checkServiceName('name', input.name),
    description: checkDescription(input.description),
    owner: checkEntityRef('owner', input.owner, OWNER_REF),
    system:
      input.system === undefined || input.system === ''
        ? ''
        : checkEntityRef('system', input.system, SYSTEM_REF),
    lifecycle: matching(
      'lifecycle',
      input.lifecycle ?? 'production',
      LIFECYCLE,
    ),
    port: port(input.port ?? 8080),
    version: matching('version', input.version, VERSION),
    images: {
      runtimeImage: text('images.runtimeImage', images.runtimeImage),
      builderImage: text('images.builderImage', images.builderImage),
      debugImage: text('images.debugImage', images.debugImage),
      variant: oneOf('images.variant', images.variant, VARIANTS),
    },
    pinnedImages: input.pinnedImages,
    shellless: flag('shellless', input.shellless),
    authRequired: flag('authRequired', input.authRequired),
    loginRegistries: list('loginRegistries', input.loginRegistries).map(
      (registry, i) => checkRegistryHost(`loginRegistries[${i}]`, registry),
    ),
    frameworks: list('frameworks', input.frameworks).map((framework, i) => {
      const { id, source } = (framework ?? {}) as Record<string, unknown>;
      return {
        id: checkFrameworkId(`frameworks[${i}].id`, id),
        source: toOneLine(text(`frameworks[${i}].source`, source)),
      };
    }),
    reasons: list('reasons', input.reasons).map((reason, i) =>
      toOneLine(text(`reasons[${i}]`, reason)),
    ),
    skeleton: text('skeleton', input.skeleton ?? './skeleton'),
    targetPath: text('targetPath', input.targetPath ?? '.'),
  };
}

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
 * @public
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
      "Renders a Python or Node service skeleton on the resolved base images and checks its Dockerfile (allowed FROM, COPY --from and RUN --mount sources, Docker's own syntax frontend, no ONBUILD, no RUN on shell-less runtimes, non-root final USER, exec-form CMD)",
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
            .superRefine(zodRule(v => checkOneLine('description', v)))
            .optional()
            .describe(
              'Service description, one line (data, never template source); default empty',
            ),
        owner: z =>
          z
            .string()
            .min(1)
            .max(MAX_ENTITY_REF_LENGTH)
            .superRefine(zodRule(v => checkEntityRef('owner', v, OWNER_REF)))
            .describe('Owner entity ref, [group:][namespace/]name'),
        system: z =>
          z
            .string()
            .max(MAX_ENTITY_REF_LENGTH)
            .superRefine(
              zodRule(v => v && checkEntityRef('system', v, SYSTEM_REF)),
            )
            .optional()
            .describe('System entity ref, [system:][namespace/]name'),
        lifecycle: z => z.string().regex(LIFECYCLE).optional(),
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
              variant: z.enum(VARIANTS),
            })
            .describe(
              'runtimeImage, builderImage, debugImage and variant from base-images:resolve',
            ),
        pinnedImages: z =>
          z
            .object({
              runtimeImage: z.string(),
              builderImage: z.string(),
              debugImage: z.string(),
            })
            .optional()
            .describe(
              'pinnedImages from base-images:resolve: the FROM lines use these (<image>@sha256:<digest>, or the image when the registry did not answer)',
            ),
        version: z => z.string().regex(VERSION),
        shellless: z => z.boolean(),
        authRequired: z => z.boolean(),
        loginRegistries: z =>
          z
            .array(
              z
                .string()
                .superRefine(
                  zodRule(v => checkRegistryHost('loginRegistries[]', v)),
                ),
            )
            .max(MAX_LIST_LENGTH)
            .optional()
            .describe('Registry hosts (host[:port]) the CI logs in to'),
        frameworks: z =>
          z
            .array(
              z.object({
                id: z
                  .string()
                  .superRefine(
                    zodRule(v => checkFrameworkId('frameworks[].id', v)),
                  ),
                source: z.string().max(MAX_TEXT_LENGTH),
              }),
            )
            .max(MAX_LIST_LENGTH)
            .optional(),
        reasons: z =>
          z
            .array(z.string().max(MAX_TEXT_LENGTH))
            .max(MAX_LIST_LENGTH)
            .optional()
            .describe(
              'Why the policy chose the images; line breaks become spaces',
            ),
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
      const input = readRenderInput(ctx.input);
      const targetDir = resolveSafeChildPath(
        ctx.workspacePath,
        input.targetPath,
      );
      checkImages(input.images, input.runtime, config);
      const pinnedDigests = readPinnedDigests(input.images, input.pinnedImages);
      const fromImage = (image: string) =>
        pinnedDigests[image] ? `${image}@${pinnedDigests[image]}` : image;
      const fromImages = {
        runtime: fromImage(input.images.runtimeImage),
        builder: fromImage(input.images.builderImage),
        debug: fromImage(input.images.debugImage),
      };

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
          system: input.system,
          lifecycle: input.lifecycle,
          port: input.port,
          runtime: input.runtime,
          version: input.version,
          runtimeImage: input.images.runtimeImage,
          builderImage: input.images.builderImage,
          debugImage: input.images.debugImage,
          variant: input.images.variant,
          // what the FROM lines and base-image/ref name: pinned when the registry answered
          fromImages,
          pinned: Object.values(fromImages).every(image => image.includes('@')),
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
          pinnedDigests,
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
