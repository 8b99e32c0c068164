import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { exampleSteps, runExample } from '../__testUtils__/exampleInput';
import {
  componentAt,
  publishedService,
  updateAction,
} from '../__testUtils__/localService';
import { resolveAndRender } from '../__testUtils__/renderService';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './publishLocal.examples';
import { examples as updateExamples } from './updateDockerfile.examples';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-C', cwd, ...args]).toString();

describe('base-images:publish-local examples', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());
  const publish = () => ({
    target: 'local' as const,
    localDirectory: mockDir.resolve('repos'),
  });

  it('are the examples of base-images:publish-local, each running it', () => {
    expect(createPublishLocalAction({ publish: publish() }).examples).toBe(
      examples,
    );
    expect(examples).toHaveLength(2);
    for (const example of examples)
      expect(exampleSteps(example).map(step => step.action)).toContain(
        'base-images:publish-local',
      );
  });

  it('publishes a rendered service as a new local git repository', async () => {
    const workspacePath = mockDir.resolve('workspace');
    const { rendered } = await resolveAndRender({
      runtime: 'python',
      system: 'system:default/internal-tools',
      workspacePath,
      name: 'ledger-api',
    });

    const { outputs } = await runExample(
      createPublishLocalAction({ publish: publish() }),
      examples[0],
      { context: { parameters: { name: 'ledger-api' } }, workspacePath },
    );

    const repoDir = mockDir.resolve('repos/ledger-api');
    expect(outputs).toEqual({
      remoteUrl: `file://${repoDir}`,
      repoContentsUrl: `file://${repoDir}`,
      catalogInfoPath: path.join(repoDir, 'catalog-info.yaml'),
    });
    expect(git(repoDir, 'log', '--format=%s', 'main').trim()).toBe(
      'Initial commit',
    );
    expect(git(repoDir, 'ls-files').trim().split('\n').sort()).toEqual(
      [...rendered.files].sort(),
    );
    expect(git(repoDir, 'status', '--porcelain')).toBe('');
  });

  it('commits the Dockerfile that the update example rewrote on a new branch', async () => {
    const service = await publishedService({
      root: mockDir.path,
      runtime: 'python',
      system: 'system:default/marketing-site',
      name: 'ledger-api',
    });
    const mainBefore = git(service.repoDir, 'rev-parse', 'main').trim();
    const dockerfileBefore = fs.readFileSync(service.dockerfilePath, 'utf8');
    // its system now requires FIPS: the Dockerfile has drifted
    const { action: update } = updateAction({
      entities: [
        componentAt(service.catalogInfoPath, {
          system: 'system:default/patient-records',
        }),
      ],
      publish: publish(),
    });
    const workspacePath = mockDir.resolve('workspace');
    const updated = await runExample(update, updateExamples[0], {
      context: { parameters: { entity: 'component:default/ledger-api' } },
      workspacePath,
    });
    expect(updated.outputs.changed).toBe(true);

    const { outputs } = await runExample(
      createPublishLocalAction({ publish: publish() }),
      examples[1],
      { context: updated.context, workspacePath },
    );

    const branch = 'base-image/3.13-fips';
    expect(outputs).toEqual({
      remoteUrl: `file://${service.repoDir}`,
      repoContentsUrl: `file://${service.repoDir}`,
      catalogInfoPath: service.catalogInfoPath,
      branch,
      commitHash: git(service.repoDir, 'rev-parse', branch).trim(),
    });
    expect(
      git(service.repoDir, 'log', '-1', '--format=%B', branch).trim(),
    ).toBe(updated.outputs.title);
    expect(git(service.repoDir, 'rev-parse', `${branch}^`).trim()).toBe(
      mainBefore,
    );
    expect(
      git(service.repoDir, 'diff', '--name-only', 'main', branch).trim(),
    ).toBe('Dockerfile');
    expect(git(service.repoDir, 'show', `${branch}:Dockerfile`)).toBe(
      fs.readFileSync(path.join(workspacePath, 'Dockerfile'), 'utf8'),
    );
    // main and the work tree the catalog reads stay as they were
    expect(git(service.repoDir, 'rev-parse', 'main').trim()).toBe(mainBefore);
    expect(fs.readFileSync(service.dockerfilePath, 'utf8')).toBe(
      dockerfileBefore,
    );
  });
});
