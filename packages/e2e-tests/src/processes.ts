import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest folder up from the working directory with a backstage.json. */
export const ROOT = (() => {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'backstage.json'))) return dir;
    if (dir === path.dirname(dir))
      throw new Error(`no backstage.json above ${process.cwd()}`);
  }
})();

export interface Service {
  name: string;
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts a long-running command in its own process group, logging to a file. */
export function startService(
  name: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    logDir: string;
    /** Default `yarn`. */
    command?: string;
    /** Default the repository root. */
    cwd?: string;
  },
): Service {
  fs.mkdirSync(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, `${name}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(options.command ?? 'yarn', args, {
    cwd: options.cwd ?? ROOT,
    // jest runs with NODE_ENV=test; the portal (and its guest sign-in) runs as in development
    env: { ...process.env, NODE_ENV: 'development', ...options.env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  return {
    name,
    process: child,
    logFile,
    async stop() {
      // exited, or killed by a signal (a test may SIGKILL it)
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.pid === undefined) return;
      const exited = new Promise<void>(resolve =>
        child.once('exit', () => resolve()),
      );
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(
        () => child.pid && process.kill(-child.pid, 'SIGKILL'),
        10_000,
      );
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it returns true, failing with the service log tail after `timeoutMs`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  service?: Service,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service && service.process.exitCode !== null) break;
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  const tail = service
    ? fs.readFileSync(service.logFile, 'utf8').split('\n').slice(-40).join('\n')
    : '';
  throw new Error(
    `${what} was not ready within ${timeoutMs / 1000}s${
      tail ? `\n--- ${service!.name} log ---\n${tail}` : ''
    }`,
  );
}

export const BACKEND = 'http://localhost:7007';
export const FRONTEND = 'http://localhost:3000';

/**
 * Guest sign-in and JSON requests against the backend at `backend` (each
 * suite runs its own portal on its own ports).
 */
export function backendClient(backend: string) {
  return {
    /** A guest Backstage token. */
    async guestToken(): Promise<string> {
      const response = await fetch(`${backend}/api/auth/guest/refresh`, {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      if (!response.ok)
        throw new Error(`guest sign-in failed: HTTP ${response.status}`);
      return ((await response.json()) as any).backstageIdentity.token;
    },

    async api<T = any>(
      token: string,
      pathname: string,
      init: RequestInit = {},
    ): Promise<{ status: number; body: T }> {
      const response = await fetch(`${backend}${pathname}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(init.headers ?? {}),
        },
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
      };
    },
  };
}

/** The portal suite's backend (BACKEND). */
export const { guestToken, api } = backendClient(BACKEND);
