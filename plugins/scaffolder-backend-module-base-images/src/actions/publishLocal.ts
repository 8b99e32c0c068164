import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { PublishSettings } from '../settings';
import { examples } from './publishLocal.examples';
import {
  checkServiceName,
  SERVICE_NAME,
  SERVICE_NAME_RULE,
} from './inputRules';

const run = promisify(execFile);

/**
 * `base-images:publish-local`: makes the workspace a git repository under
 * `baseImages.publish.localDirectory`, so "Create component" works with no
 * external service.
 */
export function createPublishLocalAction(options: {
  publish: PublishSettings;
}) {
  const { publish } = options;
  return createTemplateAction({
    id: 'base-images:publish-local',
    description:
      'Publishes the workspace as a git repository in the configured local directory (baseImages.publish.localDirectory)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoName: z => z.string().regex(SERVICE_NAME, SERVICE_NAME_RULE),
        sourcePath: z =>
          z
            .string()
            .optional()
            .describe('Directory of the workspace to publish'),
        defaultBranch: z =>
          z
            .string()
            .regex(/^[A-Za-z0-9._-]{1,64}$/)
            .optional(),
        commitMessage: z => z.string().max(500).optional(),
      },
      output: {
        remoteUrl: z => z.string(),
        repoContentsUrl: z => z.string(),
        catalogInfoPath: z => z.string(),
      },
    },
    async handler(ctx) {
      const input = {
        repoName: checkServiceName('repoName', ctx.input.repoName),
        sourcePath: ctx.input.sourcePath ?? '.',
        defaultBranch: ctx.input.defaultBranch ?? 'main',
        commitMessage: ctx.input.commitMessage ?? 'Initial commit',
      };
      const sourceDir = resolveSafeChildPath(
        ctx.workspacePath,
        input.sourcePath,
      );
      const repoDir = resolveSafeChildPath(
        publish.localDirectory,
        input.repoName,
      );
      const url = `file://${repoDir}`;
      const exists = await fs.stat(repoDir).then(
        () => true,
        () => false,
      );
      if (exists) {
        throw new ConflictError(
          `A repository named ${input.repoName} already exists in ${publish.localDirectory}; choose another name`,
        );
      }
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create the git repository ${repoDir}`);
      } else {
        await fs.mkdir(publish.localDirectory, { recursive: true });
        await fs.cp(sourceDir, repoDir, {
          recursive: true,
          verbatimSymlinks: true,
          errorOnExist: true,
        });
        const author = [
          '-c',
          'user.name=Backstage Scaffolder',
          '-c',
          'user.email=scaffolder@backstage.local',
        ];
        await run(
          'git',
          ['init', '--quiet', '--initial-branch', input.defaultBranch],
          { cwd: repoDir },
        );
        await run('git', ['add', '--all'], { cwd: repoDir });
        await run(
          'git',
          [...author, 'commit', '--quiet', '--message', input.commitMessage],
          { cwd: repoDir },
        );
        ctx.logger.info(`Published ${repoDir} (branch ${input.defaultBranch})`);
      }
      ctx.output('remoteUrl', url);
      ctx.output('repoContentsUrl', url);
      ctx.output('catalogInfoPath', path.join(repoDir, 'catalog-info.yaml'));
    },
  });
}
