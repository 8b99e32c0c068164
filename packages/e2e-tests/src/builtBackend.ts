import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, Service, startService } from './processes';

/** The image's Dockerfile: the tests lay out and start the backend as it says. */
export const DOCKERFILE = path.join(ROOT, 'packages', 'backend', 'Dockerfile');

interface Instruction {
  keyword: string;
  args: string[];
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): Instruction[] {
  return fs
    .readFileSync(DOCKERFILE, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'))
    .map(line => {
      const [keyword, ...args] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args };
    });
}

/** The image's CMD (exec form). */
export function imageCommand(): string[] {
  const cmd = instructions()
    .filter(i => i.keyword === 'CMD')
    .pop();
  if (!cmd) throw new Error(`${DOCKERFILE} has no CMD`);
  return JSON.parse(cmd.args.join(' '));
}

/**
 * A directory laid out like the image's /app: everything the Dockerfile
 * COPYs from the build context, with the tarballs unpacked as its `RUN tar`
 * lines do (packages/backend/dist/*.tar.gz, from `yarn build:backend`).
 *
 * The image then installs the production dependencies with
 * `yarn workspaces focus --all --production`; that would compile
 * better-sqlite3 from source (about two minutes) and fetch every package
 * again. Instead the layout's node_modules is the repository's, hard-linked
 * (`cp -al`: every file a second name for the same bytes, in about two
 * seconds), with its workspace packages (`app`, `backend`, `@internal/*`)
 * pointing at the unpacked, built copies, whose package.json the build
 * rewrote to their dist entry points. Hard links, not a symlink per entry:
 * Node resolves a symlinked package from its real path, so a package that
 * looks another one up (the app backend finding `app`, resolvePackagePath
 * finding the base-images migrations) would reach the repository's source
 * workspaces instead of the built ones. Unlike the image, devDependencies
 * are there too.
 */
export function createImageLayout(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const { args } of instructions().filter(i => i.keyword === 'COPY')) {
    if (args.some(a => a.startsWith('--from'))) continue;
    const files = args.filter(a => !a.startsWith('--'));
    const target = files.pop()!;
    for (const source of files) {
      const from = path.join(ROOT, source);
      if (!fs.existsSync(from))
        throw new Error(
          `${source} (copied by ${DOCKERFILE}) is missing${
            source.endsWith('.tar.gz') ? ': run `yarn build:backend` first' : ''
          }`,
        );
      if (source.endsWith('.tar.gz')) {
        execFileSync('tar', ['xzf', from, '-C', dir]);
      } else {
        const to = target.endsWith('/')
          ? path.join(dir, target, path.basename(source))
          : path.join(dir, target);
        fs.cpSync(from, to, { recursive: true });
      }
    }
  }
  linkDependencies(dir);
}

/** The workspace packages in the layout (the skeleton's package.json files), by name. */
function builtWorkspaces(dir: string): Map<string, string> {
  const workspaces = new Map<string, string>();
  for (const parent of ['packages', 'plugins']) {
    const parentDir = path.join(dir, parent);
    if (!fs.existsSync(parentDir)) continue;
    for (const name of fs.readdirSync(parentDir)) {
      const manifest = path.join(parentDir, name, 'package.json');
      if (fs.existsSync(manifest))
        workspaces.set(
          JSON.parse(fs.readFileSync(manifest, 'utf8')).name,
          path.join(parentDir, name),
        );
    }
  }
  return workspaces;
}

function linkDependencies(dir: string) {
  const nodeModules = path.join(dir, 'node_modules');
  execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), nodeModules]);
  const workspaces = builtWorkspaces(dir);
  const linked = new Set<string>();
  const entries = fs
    .readdirSync(nodeModules)
    .flatMap(entry =>
      entry.startsWith('@')
        ? fs
            .readdirSync(path.join(nodeModules, entry))
            .map(e => `${entry}/${e}`)
        : [entry],
    );
  for (const name of entries) {
    const link = path.join(nodeModules, name);
    if (!fs.lstatSync(link).isSymbolicLink()) continue;
    // a workspace package: yarn links it to its folder in the repository
    fs.rmSync(link);
    const built = workspaces.get(name);
    if (built) {
      fs.symlinkSync(path.relative(path.dirname(link), built), link);
      linked.add(name);
    }
  }
  const missing = [...workspaces.keys()].filter(name => !linked.has(name));
  if (missing.length)
    throw new Error(
      `the repository's node_modules has no link for ${missing.join(
        ', ',
      )}: run yarn install`,
    );
}

/**
 * Starts the built backend in `layout` with the image's CMD, plus `--config`
 * for each overlay, in its own process group, with the image's
 * NODE_ENV=production. `node` is the Node running the tests (the project's
 * Node 22, as in the image).
 */
export function startBuiltBackend(
  name: string,
  options: {
    layout: string;
    overlays: string[];
    env: NodeJS.ProcessEnv;
    logDir: string;
  },
): Service {
  const [command, ...args] = imageCommand();
  return startService(
    name,
    [...args, ...options.overlays.flatMap(overlay => ['--config', overlay])],
    {
      command: command === 'node' ? process.execPath : command,
      cwd: options.layout,
      logDir: options.logDir,
      env: { ...options.env, NODE_ENV: 'production' },
    },
  );
}

/** One line of a backend's JSON log. */
export interface LogLine {
  level: string;
  message: string;
  plugin?: string;
  timestamp: string;
}

export function logLines(service: Service): LogLine[] {
  return fs
    .readFileSync(service.logFile, 'utf8')
    .split('\n')
    .filter(line => line.startsWith('{'))
    .map(line => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return undefined;
      }
    })
    .filter((line): line is LogLine => !!line?.message);
}
