import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { PublishSettings } from '../settings';
import { examples } from './publishLocal.examples';
import {
  checkBranchName,
  checkServiceName,
  quote,
  SERVICE_NAME,
  SERVICE_NAME_RULE,
} from './inputRules';

const run = promisify(execFile);

const BRANCH = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_COMMIT_MESSAGE_LENGTH = 500;
const GIT_TIMEOUT_MS = 60_000;

/**
 * git sees only what we give it: no system or global config (both can run
 * programs: filters, gpg.program, core.fsmonitor, hooks), none of the
 * backend's own GIT_* variables (GIT_DIR would point it elsewhere), no
 * prompts.
 */
const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};
/** On every command, over any repository config: no hooks, no fsmonitor program. */
const GIT_SAFETY = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
];

/**
 * Runs git on `repoDir`'s work tree and `.git`, never through a shell, and
 * returns its output. `input` is written to its stdin; `indexFile` points it
 * at another index than the repository's own.
 */
export async function runGit(
  repoDir: string,
  args: string[],
  options: { input?: Buffer; indexFile?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [
        ...GIT_SAFETY,
        `--git-dir=${path.join(repoDir, '.git')}`,
        `--work-tree=${repoDir}`,
        ...args,
      ],
      {
        cwd: repoDir,
        env: options.indexFile
          ? { ...GIT_ENV, GIT_INDEX_FILE: options.indexFile }
          : GIT_ENV,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(options.input);
  });
}

interface SourceTree {
  directories: string[];
  files: string[];
}

/**
 * Lists the workspace to publish, relative to `root`, refusing anything but
 * regular files and directories: a `.git` entry (a directory, or a file such
 * as `gitdir: /elsewhere`) would hand the new repository someone else's git
 * metadata, and a symbolic link would publish (or point into) files outside
 * the workspace. Walked by hand because fs.cp follows or keeps links.
 */
async function listSourceTree(
  root: string,
  shownAs: string,
): Promise<SourceTree> {
  const tree: SourceTree = { directories: [], files: [] };
  const refuse = (relative: string, what: string) =>
    new InputError(
      `${path.join(
        shownAs,
        relative,
      )} in the workspace is ${what}; base-images:publish-local publishes only regular files and directories, and no git metadata`,
    );
  const walk = async (relative: string) => {
    const entries = await fs.readdir(path.join(root, relative), {
      withFileTypes: true,
    });
    for (const entry of entries) {
      const child = path.join(relative, entry.name);
      if (entry.name.toLowerCase() === '.git')
        throw refuse(child, 'a .git entry');
      if (entry.isSymbolicLink()) throw refuse(child, 'a symbolic link');
      if (entry.isDirectory()) {
        tree.directories.push(child);
        await walk(child);
      } else if (entry.isFile()) {
        tree.files.push(child);
      } else {
        throw refuse(child, 'neither a regular file nor a directory');
      }
    }
  };
  await walk('');
  return tree;
}

/**
 * Reads one regular file without following a link swapped in since it was
 * listed (O_NOFOLLOW); returns its bytes and permission bits.
 */
async function readRegularFile(from: string, shownAs: string) {
  const source = await fs
    .open(from, constants.O_RDONLY | constants.O_NOFOLLOW)
    .catch(error => {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw new InputError(`${shownAs} became a symbolic link; not copied`);
      throw error;
    });
  try {
    const stat = await source.stat();
    if (!stat.isFile())
      throw new InputError(`${shownAs} is not a regular file; not copied`);
    return { bytes: await source.readFile(), mode: stat.mode & 0o777 };
  } finally {
    await source.close();
  }
}

/** Copies one regular file (see readRegularFile) without writing over anything (O_EXCL). */
async function copyRegularFile(from: string, to: string, shownAs: string) {
  const { bytes, mode } = await readRegularFile(from, shownAs);
  await fs.writeFile(to, bytes, { flag: 'wx', mode });
}

/** What `git init --template=` writes to a repository's own config, and nothing that runs programs. */
const INIT_CONFIG_KEYS = new Set([
  'core.repositoryformatversion',
  'core.filemode',
  'core.bare',
  'core.logallrefupdates',
  'core.ignorecase',
  'core.precomposeunicode',
  'core.symlinks',
]);

/**
 * The repository a branch goes into: a directory (not a link) in the publish
 * directory with a `.git` directory (not a link, not a `gitdir:` file) whose
 * config holds only what `git init` wrote, as publish-local makes them.
 * Anything else is refused before git runs on it.
 */
async function checkOwnRepository(
  repoDir: string,
  repoName: string,
  localDirectory: string,
) {
  const missing = () =>
    new InputError(
      `There is no repository named ${repoName} in ${localDirectory}; a branch goes into a repository that base-images:publish-local created`,
    );
  const [dir, git] = await Promise.all([
    fs.lstat(repoDir).catch(() => undefined),
    fs.lstat(path.join(repoDir, '.git')).catch(() => undefined),
  ]);
  if (!dir?.isDirectory()) throw missing();
  if (!git?.isDirectory()) {
    throw new InputError(
      `${repoDir} is not a git repository made by base-images:publish-local (its .git is ${
        git ? 'not a directory' : 'missing'
      })`,
    );
  }
  const config = await runGit(repoDir, [
    'config',
    '--local',
    '--no-includes',
    '--name-only',
    '--list',
  ]);
  const foreign = config
    .split('\n')
    .filter(key => key && !INIT_CONFIG_KEYS.has(key.toLowerCase()));
  if (foreign.length > 0) {
    throw new InputError(
      `${repoDir} was not made by base-images:publish-local: its git config sets ${foreign
        .slice(0, 5)
        .join(', ')}; refusing to run git on it`,
    );
  }
}

/**
 * Commits the workspace files over the tip of `defaultBranch` on a new
 * `branch`, without touching the repository's work tree or index (the
 * catalog reads the work tree): objects are hashed in, the tree is built in a
 * temporary index, and the branch is created only if it does not exist yet,
 * atomically, so of two tasks making the same branch exactly one wins.
 */
async function commitOnNewBranch(options: {
  repoDir: string;
  sourceDir: string;
  sourcePath: string;
  files: string[];
  defaultBranch: string;
  branch: string;
  commitMessage: string;
  indexFile: string;
}): Promise<string> {
  const { repoDir, branch } = options;
  const branchRef = `refs/heads/${branch}`;
  const conflict = (detail = '') =>
    new ConflictError(
      `The branch ${branch} already exists in ${repoDir}${detail}; merge or delete it first, or wait for the change it holds`,
    );
  const base = (
    await runGit(repoDir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${options.defaultBranch}^{commit}`,
    ]).catch(() => {
      throw new InputError(
        `${repoDir} has no branch ${options.defaultBranch} to branch from`,
      );
    })
  ).trim();

  await runGit(repoDir, ['read-tree', base], { indexFile: options.indexFile });
  for (const file of options.files) {
    const { bytes, mode } = await readRegularFile(
      path.join(options.sourceDir, file),
      path.join(options.sourcePath, file),
    );
    // --no-filters: the bytes as they are, whatever .gitattributes asks
    const blob = (
      await runGit(repoDir, ['hash-object', '-w', '--no-filters', '--stdin'], {
        input: bytes,
      })
    ).trim();
    await runGit(
      repoDir,
      [
        'update-index',
        '--add',
        '--cacheinfo',
        mode & 0o111 ? '100755' : '100644',
        blob,
        file.split(path.sep).join('/'),
      ],
      { indexFile: options.indexFile },
    );
  }
  const tree = (
    await runGit(repoDir, ['write-tree'], { indexFile: options.indexFile })
  ).trim();
  const baseTree = (
    await runGit(repoDir, ['rev-parse', `${base}^{tree}`])
  ).trim();
  if (tree === baseTree) {
    throw new InputError(
      `The workspace changes nothing on ${options.defaultBranch} of ${repoDir}; there is nothing to commit on ${branch}`,
    );
  }
  const commit = (
    await runGit(repoDir, [
      '-c',
      'user.name=Backstage Scaffolder',
      '-c',
      'user.email=scaffolder@backstage.local',
      'commit-tree',
      '--no-gpg-sign',
      tree,
      '-p',
      base,
      '-m',
      options.commitMessage,
    ])
  ).trim();
  // the all-zero old value: create the ref only if it does not exist
  await runGit(repoDir, [
    'update-ref',
    '--no-deref',
    '-m',
    `base-images:publish-local: ${branch}`,
    branchRef,
    commit,
    '0'.repeat(commit.length),
  ]).catch(async error => {
    const exists = await runGit(repoDir, [
      'show-ref',
      '--verify',
      '--quiet',
      branchRef,
    ]).then(
      () => true,
      () => false,
    );
    if (exists) throw conflict(' (another task created it just now)');
    throw new ConflictError(
      `Could not create the branch ${branch} in ${repoDir}: ${String(
        (error as { stderr?: string }).stderr ?? error,
      ).trim()}`,
    );
  });
  return commit;
}

/**
 * `base-images:publish-local`: makes the workspace a git repository under
 * `baseImages.publish.localDirectory`, so "Create component" works with no
 * external service.
 * @public
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
        defaultBranch: z => z.string().regex(BRANCH).optional(),
        commitMessage: z =>
          z.string().max(MAX_COMMIT_MESSAGE_LENGTH).optional(),
        branch: z =>
          z
            .string()
            .max(200)
            .optional()
            .describe(
              'Commit the workspace on this new branch of the existing repository repoName, branched from defaultBranch, instead of creating the repository',
            ),
      },
      output: {
        remoteUrl: z => z.string(),
        repoContentsUrl: z => z.string(),
        catalogInfoPath: z => z.string(),
        branch: z =>
          z
            .string()
            .optional()
            .describe('With the branch input: the new branch'),
        commitHash: z =>
          z
            .string()
            .optional()
            .describe(
              'With the branch input: the commit on it (empty in a dry run)',
            ),
      },
    },
    async handler(ctx) {
      const input = {
        repoName: checkServiceName('repoName', ctx.input.repoName),
        sourcePath: ctx.input.sourcePath ?? '.',
        defaultBranch: ctx.input.defaultBranch ?? 'main',
        commitMessage:
          ctx.input.commitMessage ??
          (ctx.input.branch ? 'Update from Backstage' : 'Initial commit'),
        branch:
          ctx.input.branch === undefined
            ? undefined
            : checkBranchName('branch', ctx.input.branch),
      };
      if (typeof input.sourcePath !== 'string')
        throw new InputError('sourcePath must be a path in the workspace');
      if (
        typeof input.defaultBranch !== 'string' ||
        !BRANCH.test(input.defaultBranch)
      ) {
        throw new InputError(
          `defaultBranch ${quote(
            input.defaultBranch,
          )} must be 1-64 letters, digits, ".", "_" or "-"`,
        );
      }
      if (
        typeof input.commitMessage !== 'string' ||
        input.commitMessage.length > MAX_COMMIT_MESSAGE_LENGTH
      ) {
        throw new InputError(
          `commitMessage must be text of at most ${MAX_COMMIT_MESSAGE_LENGTH} characters`,
        );
      }

      const sourceDir = resolveSafeChildPath(
        ctx.workspacePath,
        input.sourcePath,
      );
      // resolveSafeChildPath only keeps the path inside: no component may be a link
      const realSourceDir = path.join(
        await fs.realpath(ctx.workspacePath),
        path.relative(ctx.workspacePath, sourceDir),
      );
      const actualSourceDir = await fs.realpath(sourceDir).catch(() => {
        throw new InputError(
          `sourcePath ${quote(input.sourcePath)} is not in the workspace`,
        );
      });
      if (actualSourceDir !== realSourceDir) {
        throw new InputError(
          `sourcePath ${quote(
            input.sourcePath,
          )} goes through a symbolic link; publish a directory of the workspace itself`,
        );
      }
      const tree = await listSourceTree(sourceDir, input.sourcePath);

      const repoDir = resolveSafeChildPath(
        publish.localDirectory,
        input.repoName,
      );
      const url = `file://${repoDir}`;
      const conflict = () =>
        new ConflictError(
          `A repository named ${input.repoName} already exists in ${publish.localDirectory}; choose another name, or remove ${repoDir} if nothing uses it`,
        );

      if (input.branch) {
        await checkOwnRepository(
          repoDir,
          input.repoName,
          publish.localDirectory,
        );
        const exists = await runGit(repoDir, [
          'show-ref',
          '--verify',
          '--quiet',
          `refs/heads/${input.branch}`,
        ]).then(
          () => true,
          () => false,
        );
        if (exists) {
          throw new ConflictError(
            `The branch ${input.branch} already exists in ${repoDir}; merge or delete it first, or wait for the change it holds`,
          );
        }
        let commit = '';
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would commit ${tree.files.length} files on a new branch ${input.branch} of ${repoDir}`,
          );
        } else {
          commit = await commitOnNewBranch({
            repoDir,
            sourceDir,
            sourcePath: input.sourcePath,
            files: tree.files,
            defaultBranch: input.defaultBranch,
            branch: input.branch,
            commitMessage: input.commitMessage,
            indexFile: path.join(await ctx.createTemporaryDirectory(), 'index'),
          });
          ctx.logger.info(
            `Committed ${commit} on the new branch ${input.branch} of ${repoDir}`,
          );
        }
        ctx.output('remoteUrl', url);
        ctx.output('repoContentsUrl', url);
        ctx.output('catalogInfoPath', path.join(repoDir, 'catalog-info.yaml'));
        ctx.output('branch', input.branch);
        ctx.output('commitHash', commit);
        return;
      }

      if (ctx.isDryRun) {
        const exists = await fs.lstat(repoDir).then(
          () => true,
          () => false,
        );
        if (exists) throw conflict();
        ctx.logger.info(
          `Dry run: would create the git repository ${repoDir} with ${tree.files.length} files`,
        );
      } else {
        await fs.mkdir(publish.localDirectory, { recursive: true });
        // Not recursive: exactly one task can create the directory, and the
        // one that did owns it. Another task of the same name fails here.
        await fs.mkdir(repoDir).catch(error => {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST')
            throw conflict();
          throw error;
        });
        try {
          for (const directory of tree.directories)
            await fs.mkdir(path.join(repoDir, directory));
          for (const file of tree.files) {
            await copyRegularFile(
              path.join(sourceDir, file),
              path.join(repoDir, file),
              path.join(input.sourcePath, file),
            );
          }
          await run(
            'git',
            [
              ...GIT_SAFETY,
              'init',
              '--quiet',
              // no template: no sample hooks, nothing but what git needs
              '--template=',
              '--initial-branch',
              input.defaultBranch,
              repoDir,
            ],
            { cwd: repoDir, env: GIT_ENV, timeout: GIT_TIMEOUT_MS },
          );
          await runGit(repoDir, ['add', '--all']);
          await runGit(repoDir, [
            '-c',
            'user.name=Backstage Scaffolder',
            '-c',
            'user.email=scaffolder@backstage.local',
            'commit',
            '--quiet',
            '--no-verify',
            '--no-gpg-sign',
            '--message',
            input.commitMessage,
          ]);
        } catch (error) {
          // ours: created above, so a half-made repository never stays
          await fs.rm(repoDir, { recursive: true, force: true });
          throw error;
        }
        ctx.logger.info(`Published ${repoDir} (branch ${input.defaultBranch})`);
      }
      ctx.output('remoteUrl', url);
      ctx.output('repoContentsUrl', url);
      ctx.output('catalogInfoPath', path.join(repoDir, 'catalog-info.yaml'));
    },
  });
}
