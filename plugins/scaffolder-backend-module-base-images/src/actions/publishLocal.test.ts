import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { mockContext } from '../__testUtils__/fixtures';
import { createPublishLocalAction } from './publishLocal';

describe('base-images:publish-local', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => {
    mockDir.clear();
    mockDir.addContent({
      workspace: {
        'catalog-info.yaml': 'kind: Component\n',
        src: { 'app.js': '// app\n' },
      },
    });
  });
  const localDirectory = () => mockDir.resolve('repos');
  const action = () =>
    createPublishLocalAction({
      publish: { target: 'local', localDirectory: localDirectory() },
    });

  it('creates a git repository with one commit of the workspace', async () => {
    const ctx = mockContext({
      input: { repoName: 'demo' },
      workspacePath: mockDir.resolve('workspace'),
    });
    await action().handler(ctx);
    const repo = path.join(localDirectory(), 'demo');
    expect(ctx.outputs()).toEqual({
      remoteUrl: `file://${repo}`,
      repoContentsUrl: `file://${repo}`,
      catalogInfoPath: path.join(repo, 'catalog-info.yaml'),
    });
    expect(
      execFileSync('git', ['log', '--format=%s', 'main'], {
        cwd: repo,
      }).toString(),
    ).toBe('Initial commit\n');
    expect(
      execFileSync('git', ['ls-files'], { cwd: repo })
        .toString()
        .split('\n')
        .filter(Boolean),
    ).toEqual(['catalog-info.yaml', 'src/app.js']);
  });

  it('writes nothing in dry-run', async () => {
    const ctx = mockContext({
      input: { repoName: 'demo' },
      workspacePath: mockDir.resolve('workspace'),
      isDryRun: true,
    });
    await action().handler(ctx);
    expect(fs.existsSync(localDirectory())).toBe(false);
    expect(ctx.outputs().remoteUrl).toBe(
      `file://${path.join(localDirectory(), 'demo')}`,
    );
  });

  it('refuses an existing repository', async () => {
    fs.mkdirSync(path.join(localDirectory(), 'demo'), { recursive: true });
    const ctx = mockContext({
      input: { repoName: 'demo' },
      workspacePath: mockDir.resolve('workspace'),
    });
    await expect(action().handler(ctx)).rejects.toThrow(
      /A repository named demo already exists/,
    );
  });

  it.each(['../escape', 'a/b', '.git', ''])(
    'refuses the repository name %j',
    async repoName => {
      const ctx = mockContext({
        input: { repoName },
        workspacePath: mockDir.resolve('workspace'),
      });
      await expect(action().handler(ctx)).rejects.toThrow(
        /repoName .* must be 1-63 lowercase/,
      );
      expect(fs.readdirSync(mockDir.path)).toEqual(['workspace']);
    },
  );

  it('refuses a source path outside the workspace', async () => {
    const ctx = mockContext({
      input: { repoName: 'demo', sourcePath: '..' },
      workspacePath: mockDir.resolve('workspace'),
    });
    await expect(action().handler(ctx)).rejects.toThrow(/outside its parent/);
  });
});
