import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { mockContext } from '../__testUtils__/fixtures';
import { createPublishLocalAction, runGit } from './publishLocal';

/**
 * A child process inherits the backend's environment unless given its own,
 * but jest's `process.env` is a sandbox copy that never reaches children. This
 * stands the environment below in for the backend's, exactly where Node would
 * use it: calls that pass no `env`.
 */
const mockBackendEnv: { current?: NodeJS.ProcessEnv } = {};
jest.mock('node:child_process', () => {
  const actual = jest.requireActual('node:child_process');
  return {
    ...actual,
    execFile: (
      file: string,
      args: string[],
      options: { env?: NodeJS.ProcessEnv },
      callback: (...results: unknown[]) => void,
    ) =>
      actual.execFile(
        file,
        args,
        { ...options, env: options.env ?? mockBackendEnv.current },
        callback,
      ),
  };
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd }).toString();
const lsFiles = (repo: string) =>
  git(repo, 'ls-files').split('\n').filter(Boolean);

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
  const publish = (input: Record<string, unknown>, workspace = 'workspace') =>
    action().handler(
      mockContext({
        input: { repoName: 'demo', ...input },
        workspacePath: mockDir.resolve(workspace),
      }),
    );

  it('creates a git repository with one commit of the workspace', async () => {
    fs.chmodSync(mockDir.resolve('workspace/src/app.js'), 0o755);
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
    expect(git(repo, 'log', '--format=%s', 'main')).toBe('Initial commit\n');
    expect(lsFiles(repo)).toEqual(['catalog-info.yaml', 'src/app.js']);
    expect(git(repo, 'ls-files', '-s', 'src/app.js')).toMatch(/^100755 /);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    // initialised without a template: no sample hooks to enable
    expect(fs.existsSync(path.join(repo, '.git', 'hooks'))).toBe(false);
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

  it('refuses an existing repository and leaves it alone', async () => {
    mockDir.addContent({ repos: { demo: { 'theirs.txt': 'theirs\n' } } });
    const error = await publish({}).catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      `A repository named demo already exists in ${localDirectory()}; choose another name, or remove ${path.join(
        localDirectory(),
        'demo',
      )} if nothing uses it`,
    );
    expect(fs.readdirSync(path.join(localDirectory(), 'demo'))).toEqual([
      'theirs.txt',
    ]);
  });

  it('lets exactly one of two tasks with the same name create the repository', async () => {
    mockDir.addContent({
      'workspace-a': { 'a.txt': 'a\n', 'catalog-info.yaml': 'a\n' },
      'workspace-b': { 'b.txt': 'b\n', 'catalog-info.yaml': 'b\n' },
    });
    for (const name of ['race-1', 'race-2', 'race-3', 'race-4', 'race-5']) {
      const results = await Promise.allSettled([
        publish({ repoName: name }, 'workspace-a'),
        publish({ repoName: name }, 'workspace-b'),
      ]);
      const rejected = results.filter(r => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      const reason = (rejected[0] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(ConflictError);
      expect(reason.message).toMatch(
        new RegExp(`A repository named ${name} already exists`),
      );

      const repo = path.join(localDirectory(), name);
      const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
      expect(lsFiles(repo)).toEqual([`${winner}.txt`, 'catalog-info.yaml']);
      expect(fs.readdirSync(repo).sort()).toEqual(
        ['.git', `${winner}.txt`, 'catalog-info.yaml'].sort(),
      );
      expect(git(repo, 'log', '--format=%s')).toBe('Initial commit\n');
      expect(git(repo, 'status', '--porcelain')).toBe('');
    }
  });

  it.each([
    [
      'a .git directory whose config runs a command',
      (marker: string) => ({
        '.git': {
          config: `[core]\n\tfsmonitor = "touch ${marker}; false"\n`,
          HEAD: 'ref: refs/heads/main\n',
        },
      }),
      '.git',
    ],
    [
      'a .git file pointing elsewhere',
      () => ({ src: { '.git': 'gitdir: /elsewhere\n' } }),
      'src/.git',
    ],
    ['an upper-case .GIT', () => ({ '.GIT': { config: '' } }), '.GIT'],
  ])('refuses %s before git runs', async (_name, content, entry) => {
    mockDir.addContent({
      workspace: content(mockDir.resolve('fsmonitor-ran')),
    });
    const error = await publish({}).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      `${entry} in the workspace is a .git entry; base-images:publish-local publishes only regular files and directories, and no git metadata`,
    );
    expect(fs.existsSync(localDirectory())).toBe(false);
    expect(fs.existsSync(mockDir.resolve('fsmonitor-ran'))).toBe(false);
  });

  it.each([
    ['a link to a file outside', 'src/passwd', '/etc/passwd'],
    ['a link to a directory outside', 'etc', '/etc'],
    ['a link inside the workspace', 'copy.yaml', 'catalog-info.yaml'],
  ])('refuses %s', async (_name, link, target) => {
    fs.symlinkSync(target, mockDir.resolve(`workspace/${link}`));
    await expect(publish({})).rejects.toThrow(
      `${link} in the workspace is a symbolic link;`,
    );
    expect(fs.existsSync(localDirectory())).toBe(false);
  });

  it('refuses a named pipe', async () => {
    execFileSync('mkfifo', [mockDir.resolve('workspace/src/pipe')]);
    await expect(publish({})).rejects.toThrow(
      'src/pipe in the workspace is neither a regular file nor a directory',
    );
  });

  it.each([
    [
      'inside the workspace',
      'src',
      /sourcePath "linked" goes through a symbolic link/,
    ],
    ['out of the workspace', '../elsewhere', /outside its parent/],
  ])(
    'refuses a source path that is a symbolic link %s',
    async (_name, target, message) => {
      mockDir.addContent({ elsewhere: { 'catalog-info.yaml': 'x\n' } });
      fs.symlinkSync(target, mockDir.resolve('workspace/linked'));
      await expect(publish({ sourcePath: 'linked' })).rejects.toThrow(message);
      expect(fs.existsSync(localDirectory())).toBe(false);
    },
  );

  it('removes the repository it created when git fails', async () => {
    // NTFS reads ".git." as ".git", so git refuses to add it
    mockDir.addContent({ workspace: { '.git.': { config: '' } } });
    await expect(publish({})).rejects.toThrow(/invalid path '.git.\/config'/);
    expect(fs.readdirSync(localDirectory())).toEqual([]);
  });

  describe('git configuration from outside the repository', () => {
    afterEach(() => {
      mockBackendEnv.current = undefined;
    });

    it('is never read: a global clean filter does not run and GIT_DIR does not redirect', async () => {
      const marker = mockDir.resolve('filter-ran');
      mockDir.addContent({
        'global.gitconfig': `[filter "evil"]\n\tclean = "touch ${marker}; cat"\n`,
        workspace: { '.gitattributes': '* filter=evil\n' },
      });
      mockBackendEnv.current = {
        ...process.env,
        GIT_CONFIG_GLOBAL: mockDir.resolve('global.gitconfig'),
        GIT_DIR: mockDir.resolve('elsewhere.git'),
      };

      await publish({});
      const repo = path.join(localDirectory(), 'demo');
      expect(fs.existsSync(marker)).toBe(false);
      expect(fs.existsSync(mockDir.resolve('elsewhere.git'))).toBe(false);
      expect(lsFiles(repo)).toEqual([
        '.gitattributes',
        'catalog-info.yaml',
        'src/app.js',
      ]);
    });
  });

  describe('runGit', () => {
    // The second layer: even a repository whose own config asks for an
    // fsmonitor program and hooks runs neither through runGit.
    function hostileRepo() {
      const repo = mockDir.resolve('hostile');
      const marker = (name: string) => mockDir.resolve(`${name}-ran`);
      fs.mkdirSync(path.join(repo, 'hooks'), { recursive: true });
      git(repo, 'init', '--quiet', '--template=');
      for (const hook of ['pre-commit', 'post-commit']) {
        fs.writeFileSync(
          path.join(repo, 'hooks', hook),
          `#!/bin/sh\ntouch ${marker(hook)}\n`,
          { mode: 0o755 },
        );
      }
      fs.appendFileSync(
        path.join(repo, '.git', 'config'),
        `[core]\n\tfsmonitor = "touch ${marker(
          'fsmonitor',
        )}; false"\n\thooksPath = ${path.join(repo, 'hooks')}\n`,
      );
      fs.writeFileSync(path.join(repo, 'file.txt'), 'x\n');
      return { repo, marker };
    }
    const commit = [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '--quiet',
      '--message',
      'm',
    ];

    it('runs no fsmonitor program and no hooks a repository config names', async () => {
      const { repo, marker } = hostileRepo();
      await runGit(repo, ['add', '--all']);
      await runGit(repo, commit);
      expect(git(repo, 'log', '--format=%s')).toBe('m\n');
      for (const name of ['fsmonitor', 'pre-commit', 'post-commit'])
        expect(fs.existsSync(marker(name))).toBe(false);
    });

    it('is needed: plain git runs them', () => {
      const { repo, marker } = hostileRepo();
      git(repo, 'add', '--all');
      git(repo, ...commit);
      for (const name of ['fsmonitor', 'pre-commit', 'post-commit'])
        expect(fs.existsSync(marker(name))).toBe(true);
    });
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

  it.each([
    [{ defaultBranch: 'main\n' }, /defaultBranch "main\\n" must be/],
    [
      { commitMessage: 'x'.repeat(501) },
      /commitMessage must be text of at most 500/,
    ],
  ])('refuses %j', async (input, message) => {
    await expect(publish(input)).rejects.toThrow(message);
    expect(fs.existsSync(localDirectory())).toBe(false);
  });

  it('refuses a source path outside the workspace', async () => {
    const ctx = mockContext({
      input: { repoName: 'demo', sourcePath: '..' },
      workspacePath: mockDir.resolve('workspace'),
    });
    await expect(action().handler(ctx)).rejects.toThrow(/outside its parent/);
  });

  describe('on a new branch', () => {
    const DOCKERFILE = [
      '# syntax=docker/dockerfile:1',
      'FROM python:3.13-slim AS builder',
      'RUN pip install -r requirements.txt',
      '',
      'FROM python:3.13-slim AS production',
      'USER 10001:10001',
      'CMD ["python", "main.py"]',
      '',
    ].join('\n');
    const MOVED = DOCKERFILE.replace(
      'FROM python:3.13-slim AS builder',
      'FROM dhi.io/python:3.13-dev AS builder',
    ).replace(
      'FROM python:3.13-slim AS production',
      'FROM dhi.io/python:3.13 AS production',
    );
    const repo = () => path.join(localDirectory(), 'demo');

    /** A repository as publish-local makes it, then a workspace holding only the new Dockerfile. */
    async function published() {
      mockDir.addContent({
        workspace: { Dockerfile: DOCKERFILE, docs: { 'a.md': 'a\n' } },
        change: { Dockerfile: MOVED },
      });
      await publish({});
    }
    const publishBranch = (
      input: Record<string, unknown> = {},
      dryRun = false,
    ) => {
      const ctx = mockContext({
        input: {
          repoName: 'demo',
          branch: 'base-image/3.13',
          commitMessage: 'Move demo to dhi.io/python:3.13',
          ...input,
        },
        workspacePath: mockDir.resolve('change'),
        isDryRun: dryRun,
      });
      return action()
        .handler(ctx)
        .then(() => ctx.outputs());
    };

    it('commits only the workspace files on a new branch from main, leaving main and the work tree alone', async () => {
      await published();
      const mainBefore = git(repo(), 'rev-parse', 'main');
      const outputs = await publishBranch();

      expect(outputs).toMatchObject({
        remoteUrl: `file://${repo()}`,
        branch: 'base-image/3.13',
      });
      expect(git(repo(), 'rev-parse', 'base-image/3.13').trim()).toBe(
        outputs.commitHash,
      );
      expect(git(repo(), 'log', '--format=%s', 'base-image/3.13')).toBe(
        'Move demo to dhi.io/python:3.13\nInitial commit\n',
      );
      expect(git(repo(), 'rev-parse', 'base-image/3.13~1')).toBe(mainBefore);
      expect(
        git(repo(), 'diff', '--name-only', 'main', 'base-image/3.13'),
      ).toBe('Dockerfile\n');
      // exactly the two FROM lines changed
      const diff = git(repo(), 'diff', '-U0', 'main', 'base-image/3.13')
        .split('\n')
        .filter(line => /^[-+][^-+]/.test(line));
      expect(diff).toEqual([
        '-FROM python:3.13-slim AS builder',
        '+FROM dhi.io/python:3.13-dev AS builder',
        '-FROM python:3.13-slim AS production',
        '+FROM dhi.io/python:3.13 AS production',
      ]);
      // main, HEAD, the index and the work tree the catalog reads are as they were
      expect(git(repo(), 'rev-parse', 'main')).toBe(mainBefore);
      expect(git(repo(), 'symbolic-ref', 'HEAD')).toBe('refs/heads/main\n');
      expect(git(repo(), 'status', '--porcelain')).toBe('');
      expect(fs.readFileSync(path.join(repo(), 'Dockerfile'), 'utf8')).toBe(
        DOCKERFILE,
      );
    });

    it('writes nothing in dry-run', async () => {
      await published();
      const refs = git(repo(), 'show-ref');
      const objects = git(repo(), 'count-objects', '-v');
      const outputs = await publishBranch({}, true);
      expect(outputs).toMatchObject({
        branch: 'base-image/3.13',
        commitHash: '',
      });
      expect(git(repo(), 'show-ref')).toBe(refs);
      expect(git(repo(), 'count-objects', '-v')).toBe(objects);
    });

    it('refuses a branch that exists, in dry-run too', async () => {
      await published();
      await publishBranch();
      const tip = git(repo(), 'rev-parse', 'base-image/3.13');
      for (const dryRun of [false, true]) {
        const error = await publishBranch({}, dryRun).catch(e => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error.message).toBe(
          `The branch base-image/3.13 already exists in ${repo()}; merge or delete it first, or wait for the change it holds`,
        );
      }
      expect(git(repo(), 'rev-parse', 'base-image/3.13')).toBe(tip);
    });

    it('lets exactly one of two tasks create the same branch', async () => {
      await published();
      for (const branch of ['base-image/a', 'base-image/b', 'base-image/c']) {
        const results = await Promise.allSettled([
          publishBranch({ branch, commitMessage: 'one' }),
          publishBranch({ branch, commitMessage: 'two' }),
        ]);
        const rejected = results.filter(r => r.status === 'rejected');
        expect(rejected).toHaveLength(1);
        const reason = (rejected[0] as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(ConflictError);
        expect(reason.message).toMatch(
          new RegExp(`The branch ${branch} already exists`),
        );
        const winner = results[0].status === 'fulfilled' ? 'one' : 'two';
        expect(git(repo(), 'log', '-1', '--format=%s', branch)).toBe(
          `${winner}\n`,
        );
      }
      expect(git(repo(), 'status', '--porcelain')).toBe('');
    });

    it('refuses a repository that does not exist', async () => {
      mockDir.addContent({ change: { Dockerfile: MOVED } });
      const error = await publishBranch().catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        `There is no repository named demo in ${localDirectory()}; a branch goes into a repository that base-images:publish-local created`,
      );
      expect(fs.existsSync(localDirectory())).toBe(false);
    });

    it.each([
      [
        'a directory without .git',
        () => mockDir.addContent({ repos: { demo: { 'x.txt': 'x' } } }),
        /\.git is missing/,
      ],
      [
        'a .git file pointing elsewhere',
        () =>
          mockDir.addContent({
            repos: { demo: { '.git': 'gitdir: /elsewhere\n' } },
          }),
        /its \.git is not a directory/,
      ],
      [
        'a symbolic link to a repository',
        async () => {
          await published();
          fs.renameSync(repo(), path.join(localDirectory(), 'real'));
          fs.symlinkSync(path.join(localDirectory(), 'real'), repo());
        },
        /There is no repository named demo/,
      ],
      [
        'a repository whose config names a filter program',
        async () => {
          await published();
          git(
            repo(),
            'config',
            'filter.evil.clean',
            `touch ${mockDir.resolve('filter-ran')}; cat`,
          );
        },
        /was not made by base-images:publish-local: its git config sets filter\.evil\.clean; refusing to run git on it/,
      ],
      [
        'a repository whose config includes another file',
        async () => {
          await published();
          git(repo(), 'config', 'include.path', '/tmp/elsewhere');
        },
        /its git config sets include\.path/,
      ],
    ])('refuses %s', async (_name, prepare, message) => {
      await prepare();
      mockDir.addContent({
        change: { Dockerfile: MOVED, '.gitattributes': '* filter=evil\n' },
      });
      await expect(publishBranch()).rejects.toThrow(message);
      expect(fs.existsSync(mockDir.resolve('filter-ran'))).toBe(false);
    });

    it('refuses a workspace that changes nothing', async () => {
      await published();
      mockDir.addContent({ change: { Dockerfile: DOCKERFILE } });
      await expect(publishBranch()).rejects.toThrow(
        /The workspace changes nothing on main of .*; there is nothing to commit on base-image\/3\.13/,
      );
      expect(git(repo(), 'branch', '--list')).toBe('* main\n');
    });

    it('keeps the workspace checks: no links, no git metadata', async () => {
      await published();
      fs.symlinkSync('/etc/passwd', mockDir.resolve('change/passwd'));
      await expect(publishBranch()).rejects.toThrow(
        'passwd in the workspace is a symbolic link;',
      );
      fs.unlinkSync(mockDir.resolve('change/passwd'));
      mockDir.addContent({ change: { '.git': { config: '' } } });
      await expect(publishBranch()).rejects.toThrow(
        '.git in the workspace is a .git entry;',
      );
      expect(git(repo(), 'branch', '--list')).toBe('* main\n');
    });

    it.each([
      [
        'base-image/3..13',
        /branch "base-image\/3\.\.13" must not contain "\.\."/,
      ],
      ['base-image/x.lock', /ending with "\.lock"/],
      ['-x', /must not start with "-"/],
      ['x y', /must be 1-200 letters/],
    ])('refuses the branch name %j', async (branch, message) => {
      await published();
      await expect(publishBranch({ branch })).rejects.toThrow(message);
      expect(git(repo(), 'branch', '--list')).toBe('* main\n');
    });

    it('refuses a default branch that does not exist', async () => {
      await published();
      await expect(publishBranch({ defaultBranch: 'trunk' })).rejects.toThrow(
        /has no branch trunk to branch from/,
      );
    });
  });
});
