import fs from 'node:fs/promises';
import path from 'node:path';
import {
  resolveSafeChildPath,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ANNOTATION_BASE_IMAGE_RUNTIME,
  BaseImagesConfig,
  classifyImage,
  collectCompliance,
  complianceSubjectOf,
  DockerfileError,
  dockerfileLocation,
  InvalidDockerfilePathError,
  MissingEntityError,
  parseDockerfile,
  parseImageReference,
  PolicyError,
  replaceStageImages,
  rootStage,
  Runtime,
  RUNTIMES,
  selectImages,
} from '@internal/backstage-plugin-base-images-common';
import { DigestLookup } from '../digests/digestLookup';
import { checkDockerfile } from '../render/checkDockerfile';
import { PublishSettings } from '../settings';
import {
  branchNameFor,
  describeUpdate,
  isRuntimeImage,
  planUpdate,
  tagOf,
} from '../update/planUpdate';
import {
  readLocalDockerfile,
  readUrlDockerfile,
  ServiceDockerfile,
} from '../update/readDockerfile';
import {
  checkEntityRef,
  MAX_ENTITY_REF_LENGTH,
  quote,
  toOneLine,
  zodRule,
} from './inputRules';
import { examples } from './updateDockerfile.examples';

const COMPONENT_REF = { defaultKind: 'component', kinds: ['component'] };
const UTF8_BOM = '\ufeff';

function policyError(error: unknown): never {
  if (error instanceof MissingEntityError)
    throw new NotFoundError(error.message);
  if (error instanceof PolicyError) throw new InputError(error.message);
  throw error;
}

/** The Dockerfile's text, with a leading byte-order mark kept apart so it is written back as it was. */
function decode(dockerfile: ServiceDockerfile) {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      dockerfile.bytes,
    );
  } catch {
    throw new InputError(
      `${dockerfile.shownAs} is not a text Dockerfile: it is not valid UTF-8`,
    );
  }
  return text.startsWith(UTF8_BOM)
    ? { bom: UTF8_BOM, text: text.slice(1) }
    : { bom: '', text };
}

/**
 * `base-images:update-dockerfile`: moves an existing service to the base
 * images its compliance requires now. Rewrites only the image of the FROM
 * lines that use the runtime's images, checks the result with the same rules
 * as render, and writes it into the workspace at its path in the repository,
 * for publish-local (a branch) or publish:github:pull-request.
 * @public
 */
export function createUpdateDockerfileAction(options: {
  catalog: CatalogService;
  config: BaseImagesConfig;
  publish: PublishSettings;
  reader: UrlReaderService;
  integrations: ScmIntegrations;
  digests: DigestLookup;
}) {
  const { catalog, config, publish, reader, integrations, digests } = options;
  return createTemplateAction({
    id: 'base-images:update-dockerfile',
    description:
      "Rewrites an existing service's FROM lines (runtime, builder and debug stages) to the base images its compliance requires, pinned to digests when the registry answers, keeping every other byte, and checks the result with render's Dockerfile rules",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entity: z =>
          z
            .string()
            .max(MAX_ENTITY_REF_LENGTH)
            .superRefine(
              zodRule(v => checkEntityRef('entity', v, COMPONENT_REF)),
            )
            .describe('The service: a Component entity ref'),
        dockerfilePath: z =>
          z
            .string()
            .max(256)
            .optional()
            .describe(
              'The Dockerfile, relative to the directory of its catalog-info.yaml; default Dockerfile',
            ),
      },
      output: {
        changed: z =>
          z.boolean().describe('False when the service is already there'),
        previousImage: z =>
          z.string().describe("The final stage's image before the move"),
        requiredImage: z =>
          z
            .string()
            .describe(
              'The runtime image the policy requires, pinned when the registry answered',
            ),
        newTag: z => z.string().describe('The tag of the required image'),
        branchName: z =>
          z.string().describe('base-image/<new tag>: where the change goes'),
        title: z => z.string(),
        description: z =>
          z.string().describe('Markdown naming what requires the move'),
        message: z => z.string().describe('One line saying what happened'),
        dockerfile: z =>
          z
            .string()
            .describe(
              'Path of the rewritten Dockerfile in the workspace and in its repository',
            ),
        publishTarget: z => z.enum(['local', 'github']),
        repoUrl: z =>
          z
            .string()
            .describe(
              'For publish:github:pull-request: <host>?owner=<owner>&repo=<repo> (empty for local publishing)',
            ),
        targetBranchName: z =>
          z.string().describe('The branch the change is proposed against'),
        localRepository: z =>
          z
            .string()
            .describe(
              'For local publishing: the repository directory (empty for GitHub)',
            ),
        repoName: z =>
          z
            .string()
            .describe(
              'For base-images:publish-local: the repository name (empty for GitHub)',
            ),
      },
    },
    async handler(ctx) {
      const entityRef = checkEntityRef(
        'entity',
        ctx.input.entity,
        COMPONENT_REF,
      );
      const credentials = await ctx.getInitiatorCredentials();
      const entity = await catalog.getEntityByRef(entityRef, { credentials });
      if (!entity) {
        throw new NotFoundError(
          `${entityRef} is not in the catalog, or you may not read it`,
        );
      }
      if (entity.kind.toLowerCase() !== 'component') {
        throw new InputError(
          `${stringifyEntityRef(entity)} is a ${
            entity.kind
          }; only a Component has a Dockerfile to move`,
        );
      }

      let location;
      try {
        location = dockerfileLocation(entity, ctx.input.dockerfilePath);
      } catch (error) {
        if (error instanceof InvalidDockerfilePathError)
          throw new InputError(`dockerfilePath: ${error.message}`);
        throw error;
      }
      if (!location) {
        throw new InputError(
          `${entityRef} has no file or url location (backstage.io/managed-by-location), so its Dockerfile cannot be found`,
        );
      }
      const dockerfile =
        location.type === 'file'
          ? await readLocalDockerfile(location, publish.localDirectory)
          : await readUrlDockerfile(location, reader, integrations);
      const { repository } = dockerfile;
      if (publish.target === 'local' && repository.type !== 'local') {
        throw new InputError(
          `${entityRef} lives at ${dockerfile.shownAs}, but baseImages.publish.target is local: a change can only be published to a repository in ${publish.localDirectory}; set baseImages.publish.target to github to open a pull request`,
        );
      }
      if (publish.target === 'github' && repository.type !== 'github') {
        throw new InputError(
          `${entityRef} lives at ${dockerfile.shownAs}, which is not a file of a GitHub repository the integrations know, so no pull request can be opened for it (baseImages.publish.target is github)`,
        );
      }
      const { bom, text } = decode(dockerfile);

      let parsed;
      try {
        parsed = parseDockerfile(text);
      } catch (error) {
        if (error instanceof DockerfileError)
          throw new InputError(`${dockerfile.shownAs}: ${error.message}`);
        throw error;
      }
      const final = parsed.stages[parsed.stages.length - 1];
      const root = rootStage(parsed, final);
      if (root.problem) {
        throw new InputError(
          `${dockerfile.shownAs}:${root.line}: ${root.problem.message}`,
        );
      }
      if (root.scratch) {
        throw new InputError(
          `${dockerfile.shownAs}:${root.line}: the final stage is built FROM scratch; there is no base image to move`,
        );
      }
      const previousImage = root.image!;

      const annotated =
        entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_RUNTIME];
      if (
        annotated !== undefined &&
        !(RUNTIMES as readonly string[]).includes(annotated)
      ) {
        throw new InputError(
          `${entityRef} has ${ANNOTATION_BASE_IMAGE_RUNTIME}: ${quote(
            annotated,
          )}; it must be ${RUNTIMES.join(' or ')}`,
        );
      }
      const current = parseImageReference(previousImage);
      const classification = classifyImage(current, config);
      const runtime = (annotated ?? classification.runtime) as
        | Runtime
        | undefined;
      if (!runtime) {
        throw new InputError(
          `Cannot tell the runtime of ${previousImage} (${dockerfile.shownAs}:${
            root.line
          }); set the ${ANNOTATION_BASE_IMAGE_RUNTIME} annotation of ${entityRef} to ${RUNTIMES.join(
            ' or ',
          )}`,
        );
      }
      if (!isRuntimeImage(previousImage, runtime, config)) {
        throw new InputError(
          `The final stage of ${dockerfile.shownAs} builds on ${previousImage} (line ${root.line}), which is neither the standard ${runtime} image nor a configured hardened ${runtime} image; move it by hand`,
        );
      }

      let selection;
      try {
        const compliance = await collectCompliance(
          complianceSubjectOf(entity),
          ref => catalog.getEntityByRef(ref, { credentials }),
          config,
        );
        // unreadable parents could hide a requirement: never guess weaker
        if (compliance.missing.length > 0)
          throw new MissingEntityError(compliance.missing);
        selection = selectImages(
          {
            runtime,
            version: classification.version,
            flavor: /(^|[-_.])alpine/.test(current.tag ?? '')
              ? 'alpine'
              : 'standard',
          },
          compliance,
          config,
        );
        selection = {
          ...selection,
          reasons: [...compliance.notes, ...selection.reasons],
        };
      } catch (error) {
        policyError(error);
      }

      const answer = await digests.lookup(
        [selection.runtimeImage, selection.builderImage, selection.debugImage],
        credentials,
        ctx.logger,
      );
      const plan = planUpdate(parsed, selection, answer.digests, config);
      const runtimeIndex = [...plan.roles].find(
        ([, role]) => role === 'runtime',
      )?.[0];
      const requiredImage =
        plan.changes.find(c => c.role === 'runtime')?.image ??
        (runtimeIndex === undefined
          ? selection.runtimeImage
          : parsed.stages[runtimeIndex].imageText);
      const newTag = tagOf(selection.runtimeImage);
      const branchName = branchNameFor(newTag);
      const updated =
        bom +
        replaceStageImages(
          text,
          parsed,
          new Map(
            plan.changes.map(change => [change.stage.index, change.image]),
          ),
        );

      const violations = checkDockerfile(updated.slice(bom.length), {
        allowedImages: [
          selection.runtimeImage,
          selection.builderImage,
          selection.debugImage,
          ...plan.foreignImages,
        ],
        runtimeImage: selection.runtimeImage,
        pinnedDigests: plan.pinnedDigests,
        shellless: selection.shellless,
      });
      const changed = plan.changes.length > 0;
      const report = violations
        .map(
          v =>
            `  ${dockerfile.repositoryPath}:${v.line} [${v.rule}] ${v.message}`,
        )
        .join('\n');
      if (changed && violations.length > 0) {
        throw new InputError(
          `After the move to ${selection.runtimeImage}, ${dockerfile.shownAs} breaks the base-image rules; fix these by hand first:\n${report}`,
        );
      }
      if (!changed && violations.length > 0)
        ctx.logger.warn(
          `${dockerfile.shownAs} already names the required images, but breaks the base-image rules:\n${report}`,
        );

      const { title, description } = describeUpdate({
        entityRef,
        entityName: entity.metadata.name,
        dockerfile: dockerfile.repositoryPath,
        previousImage,
        selection,
        plan,
        oneLine: toOneLine,
      });
      const message = changed
        ? `${plan.changes.length} FROM line${
            plan.changes.length === 1 ? '' : 's'
          } of ${dockerfile.shownAs} moved to what the policy requires (${
            selection.runtimeImage
          }, ${selection.variant}), on ${branchName}`
        : `${entityRef} is already on ${requiredImage}: nothing to change in ${dockerfile.shownAs}`;
      ctx.logger.info(message);
      for (const change of plan.changes) {
        ctx.logger.info(
          `  line ${change.stage.line} (${change.role}): ${change.stage.imageText} -> ${change.image}`,
        );
      }
      answer.messages.forEach(m => ctx.logger.info(`  not pinned: ${m}`));

      if (changed) {
        // at its path in the repository, so publishing copies it into place
        const target = resolveSafeChildPath(
          ctx.workspacePath,
          dockerfile.repositoryPath,
        );
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, updated, { flag: 'wx' }).catch(error => {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          throw new InputError(
            `${dockerfile.repositoryPath} already exists in the workspace; run base-images:update-dockerfile in an empty workspace`,
          );
        });
      }

      ctx.output('changed', changed);
      ctx.output('previousImage', previousImage);
      ctx.output('requiredImage', requiredImage);
      ctx.output('newTag', newTag);
      ctx.output('branchName', branchName);
      ctx.output('title', title);
      ctx.output('description', description);
      ctx.output('message', message);
      ctx.output('dockerfile', dockerfile.repositoryPath);
      ctx.output('publishTarget', publish.target);
      ctx.output(
        'repoUrl',
        repository.type === 'github'
          ? `${repository.host}?owner=${encodeURIComponent(
              repository.owner,
            )}&repo=${encodeURIComponent(repository.repo)}`
          : '',
      );
      ctx.output(
        'targetBranchName',
        repository.type === 'github' ? repository.ref : 'main',
      );
      ctx.output(
        'localRepository',
        repository.type === 'local' ? repository.directory : '',
      );
      ctx.output(
        'repoName',
        repository.type === 'local' ? repository.name : '',
      );
    },
  });
}
