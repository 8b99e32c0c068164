import {
  isMainThread,
  MessagePort,
  parentPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { RenderedFile, renderSkeletonFiles, SkeletonFile } from './renderFiles';

/**
 * Renders a skeleton in a worker thread with a heap limit and a deadline:
 * the hard bound on what a template can cost the backend, whatever slow path
 * the renderer's own limits miss. The backend's event loop stays free while
 * a skeleton renders, a deadline terminates the worker, and running out of
 * memory ends only the worker. Both are reported as an InputError naming
 * the file being rendered and the limit.
 *
 * Starting a worker costs more than rendering a skeleton (about 0.1 s built,
 * 0.15 s from TypeScript sources), so workers are pooled: a worker renders
 * one job at a time, sent as a message, and stays alive for the next. The
 * renderer keeps nothing from one job to the next (its state is made per
 * call), and a worker that misses its deadline, runs out of memory, crashes
 * or answers anything unexpected is terminated, never reused. Idle workers
 * never keep the process alive and end after IDLE_TIMEOUT_MS.
 *
 * This module is the worker's entry too (the part at the bottom), so that
 * the production build, which bundles only what is imported, keeps it next
 * to the code that starts it.
 */

export interface RenderJob {
  files: SkeletonFile[];
  values: Record<string, JsonValue>;
}

export interface RenderLimits {
  /** Wall-clock time one skeleton may take to render, from when a started worker is sent the job. */
  timeoutMs: number;
  /** The worker's heap (V8 old generation). */
  heapMb: number;
}

/**
 * Rendering a real skeleton takes a few milliseconds; each file's work
 * budget stops it within a fraction of a second, so 10 s is only reached by
 * many hostile files. The heap holds the modules (about 10 MiB), the values
 * of the file being rendered (each at most 2 MiB as text) and the rendered
 * files (at most 16 MiB together).
 */
export const RENDER_LIMITS: RenderLimits = { timeoutMs: 10_000, heapMb: 128 };

/** Loading the worker's modules takes a few hundred milliseconds at most. */
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Renders at once, and workers alive, at most: every worker may take its
 * heap limit in the backend's process.
 */
const MAX_CONCURRENT_RENDERS = 2;

/** How long a worker waits for its next job before it ends, so a quiet backend holds no threads. */
const IDLE_TIMEOUT_MS = 30_000;

/** Marks the workerData of a render worker, so that loading this module anywhere else does nothing. */
const WORKER_KEY = 'baseImagesSkeletonRenderWorker';

/** What the pool sends a worker. */
interface JobMessage {
  id: number;
  job: RenderJob;
}

/** What a worker sends: `ready` once, then messages about the job `id`. */
type WorkerMessage =
  | { type: 'ready' }
  | { type: 'file'; id: number; label: string }
  | { type: 'done'; id: number; files: RenderedFile[] }
  | { type: 'refused'; id: number; message: string }
  | { type: 'failed'; id: number; message: string };

type WorkerEvent =
  | { type: 'message'; message: unknown }
  | { type: 'error'; error: Error }
  | { type: 'exit'; code: number };

interface PooledWorker {
  thread: Worker;
  heapMb: number;
  /** Whether it has loaded its modules and said so. */
  ready: boolean;
  /** Hears what the worker does: the render it runs, or the pool while it is idle. */
  listener: (event: WorkerEvent) => void;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/**
 * What the worker runs first. From TypeScript sources (jest, and the dev
 * backend of `backstage-cli package start`) it needs Backstage's node
 * transform, the one `backstage-cli package start` preloads with
 * `--require`: a worker inherits the backend's execArgv, so there the
 * preload has already registered `.ts` (Node's own type stripping registers
 * no `require.extensions['.ts']`, and could not load these files anyway);
 * under jest nothing has, and it is loaded here. Built code (dist/*.cjs.js)
 * needs neither.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.transform && typeof require.extensions['.ts'] !== 'function') {
  require(workerData.transform);
}
require(workerData.entry);
`;

const hasString = (value: object, key: string) =>
  typeof (value as Record<string, unknown>)[key] === 'string';

/** `value` as a message about job `id`, or undefined when it is anything else. */
function jobMessage(value: unknown, id: number): WorkerMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as WorkerMessage;
  if (message.type === 'ready' || message.id !== id) return undefined;
  const valid =
    (message.type === 'file' && hasString(message, 'label')) ||
    (message.type === 'done' && Array.isArray(message.files)) ||
    ((message.type === 'refused' || message.type === 'failed') &&
      hasString(message, 'message'));
  return valid ? message : undefined;
}

/**
 * Worker threads for rendering, at most `size` of them alive and rendering
 * at once; more renders wait their turn, in order. Hand-written because this
 * package has no pool or queue library (p-limit, piscina and friends), and
 * none terminates a worker at a per-job deadline.
 */
export class RenderWorkerPool {
  /** Idle workers, the most recently used last. */
  private readonly idle: PooledWorker[] = [];
  /** Renders holding a turn, started or waiting for a worker. */
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private workersStarted = 0;
  private nextJobId = 1;

  constructor(
    private readonly options: { size: number; idleTimeoutMs: number },
  ) {}

  /** For tests: workers started so far and workers idle now. */
  get stats(): { workersStarted: number; idleWorkers: number } {
    return {
      workersStarted: this.workersStarted,
      idleWorkers: this.idle.length,
    };
  }

  /**
   * Renders `job` (renderSkeletonFiles) in a worker, waiting for a turn
   * first. Rejects with the worker's InputError, or an InputError for a
   * deadline or heap limit the rendering ran into.
   */
  async render(job: RenderJob, limits: RenderLimits): Promise<RenderedFile[]> {
    await this.acquireTurn();
    try {
      return await this.run(await this.takeWorker(limits.heapMb), job, limits);
    } finally {
      this.releaseTurn();
    }
  }

  private async acquireTurn(): Promise<void> {
    if (this.running < this.options.size) {
      this.running++;
      return;
    }
    // The turn passes straight from releaseTurn to the next waiter.
    await new Promise<void>(resolve => this.waiting.push(resolve));
  }

  private releaseTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  /** An idle worker with this heap limit, or a new one. */
  private async takeWorker(heapMb: number): Promise<PooledWorker> {
    const index = this.idle.findLastIndex(worker => worker.heapMb === heapMb);
    if (index >= 0) {
      const [worker] = this.idle.splice(index, 1);
      clearTimeout(worker.idleTimer);
      worker.thread.ref();
      return worker;
    }
    // Every other render holding a turn may hold a worker; when they and the
    // idle workers fill the pool, one of the idle ones (there is one, as this
    // render holds a turn too) makes room.
    if (this.idle.length + this.running - 1 >= this.options.size) {
      await this.discard(this.idle[0]);
    }
    return this.startWorker(heapMb);
  }

  private startWorker(heapMb: number): PooledWorker {
    const entry = __filename;
    const thread = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        entry,
        transform: entry.endsWith('.ts')
          ? require.resolve('@backstage/cli/config/nodeTransform.cjs')
          : undefined,
        [WORKER_KEY]: true,
      },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    this.workersStarted++;
    const worker: PooledWorker = {
      thread,
      heapMb,
      ready: false,
      listener: () => {},
    };
    thread.on('message', (message: unknown) =>
      worker.listener({ type: 'message', message }),
    );
    thread.on('error', (error: Error) =>
      worker.listener({ type: 'error', error }),
    );
    thread.on('exit', code => worker.listener({ type: 'exit', code }));
    return worker;
  }

  /** Between jobs a worker says nothing: whatever it does then ends it. */
  private makeIdle(worker: PooledWorker): void {
    worker.listener = () => this.discard(worker);
    worker.thread.unref();
    worker.idleTimer = setTimeout(
      () => this.discard(worker),
      this.options.idleTimeoutMs,
    );
    worker.idleTimer.unref();
    this.idle.push(worker);
  }

  /** Ends a worker for good; resolves once it is gone. */
  private async discard(worker: PooledWorker): Promise<void> {
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    clearTimeout(worker.idleTimer);
    worker.listener = () => {};
    await worker.thread.terminate().catch(() => {});
  }

  /**
   * Sends `job` to `worker` once it is ready, and settles with its answer.
   * A worker that answered as expected, files or a refusal, goes back to the
   * idle workers; any other outcome terminates it first.
   */
  private run(
    worker: PooledWorker,
    job: RenderJob,
    limits: RenderLimits,
  ): Promise<RenderedFile[]> {
    const id = this.nextJobId++;
    return new Promise((resolve, reject) => {
      // The file being rendered, for errors only this side can see.
      let label = 'Skeleton';
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: Error | RenderedFile[]) =>
        outcome instanceof Error ? reject(outcome) : resolve(outcome);
      const finish = (outcome: Error | RenderedFile[], reusable = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (reusable) {
          this.makeIdle(worker);
          settle(outcome);
        } else {
          // Settle once the worker is gone, so that no rendering outlives the call.
          this.discard(worker).then(() => settle(outcome));
        }
      };
      const send = () => {
        timer = setTimeout(
          () =>
            finish(
              new InputError(
                `${label}: rendering took longer than ${
                  limits.timeoutMs / 1000
                } s, the limit for one skeleton; make the templates do less work`,
              ),
            ),
          limits.timeoutMs,
        );
        const message: JobMessage = { id, job };
        try {
          worker.thread.postMessage(message);
        } catch (error) {
          // The job could not be copied; the worker never saw it.
          finish(error as Error, true);
        }
      };
      const onMessage = (value: unknown) => {
        if (!worker.ready) {
          if ((value as WorkerMessage | null)?.type !== 'ready') return false;
          worker.ready = true;
          clearTimeout(timer);
          send();
          return true;
        }
        const message = jobMessage(value, id);
        switch (message?.type) {
          case 'file':
            label = message.label;
            return true;
          case 'done':
            finish(message.files, true);
            return true;
          case 'refused':
            finish(new InputError(message.message), true);
            return true;
          case 'failed':
            finish(
              new Error(`rendering the skeleton failed: ${message.message}`),
            );
            return true;
          default:
            return false;
        }
      };
      worker.listener = event => {
        switch (event.type) {
          case 'message':
            if (!onMessage(event.message)) {
              finish(
                new Error(
                  'the skeleton render worker sent a message it should not have; it was stopped',
                ),
              );
            }
            break;
          case 'error':
            finish(
              (event.error as NodeJS.ErrnoException).code ===
                'ERR_WORKER_OUT_OF_MEMORY'
                ? new InputError(
                    `${label}: rendering needed more than ${limits.heapMb} MiB of memory, the limit for one skeleton; build smaller values`,
                  )
                : event.error,
            );
            break;
          default:
            // Node delivers the messages a worker sent before its 'error' and 'exit'.
            finish(
              new Error(
                `the skeleton render worker stopped with exit code ${event.code}`,
              ),
            );
        }
      };
      if (worker.ready) {
        send();
      } else {
        timer = setTimeout(
          () =>
            finish(
              new Error(
                `the skeleton render worker did not start within ${
                  STARTUP_TIMEOUT_MS / 1000
                } s`,
              ),
            ),
          STARTUP_TIMEOUT_MS,
        );
      }
    });
  }
}

const pool = new RenderWorkerPool({
  size: MAX_CONCURRENT_RENDERS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
});

/**
 * Renders `job` in a worker thread of the backend's pool
 * (RenderWorkerPool.render).
 */
export function renderInWorker(
  job: RenderJob,
  limits: RenderLimits = RENDER_LIMITS,
): Promise<RenderedFile[]> {
  return pool.render(job, limits);
}

/** The worker's side: renders each job it is sent, one at a time, and reports back. */
function serveJobs(port: MessagePort): void {
  port.on('message', ({ id, job }: JobMessage) => {
    const post = (message: WorkerMessage) => port.postMessage(message);
    try {
      const files = renderSkeletonFiles(job.files, job.values, label =>
        post({ type: 'file', id, label }),
      );
      post({ type: 'done', id, files });
    } catch (error) {
      if (error instanceof InputError) {
        post({ type: 'refused', id, message: error.message });
      } else {
        post({
          type: 'failed',
          id,
          message:
            error instanceof Error
              ? error.stack ?? error.message
              : String(error),
        });
      }
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

if (!isMainThread && workerData?.[WORKER_KEY] && parentPort) {
  serveJobs(parentPort);
}
