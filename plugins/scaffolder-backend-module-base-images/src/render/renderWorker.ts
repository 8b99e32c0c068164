import {
  isMainThread,
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
 * This module is the worker's entry too (the part at the bottom), so that
 * the production build, which bundles only what is imported, keeps it next
 * to the code that starts it.
 */

export interface RenderJob {
  files: SkeletonFile[];
  values: Record<string, JsonValue>;
}

export interface RenderLimits {
  /** Wall-clock time one skeleton may take to render, from the worker's start. */
  timeoutMs: number;
  /** The worker's heap (V8 old generation). */
  heapMb: number;
}

/**
 * Starting the worker and rendering a real skeleton takes about 0.2 s; each
 * file's work budget stops it within a fraction of a second, so 10 s is only
 * reached by many hostile files. The heap holds the modules (about 10 MiB),
 * the values of the file being rendered (each at most 2 MiB as text) and
 * the rendered files (at most 16 MiB together).
 */
export const RENDER_LIMITS: RenderLimits = { timeoutMs: 10_000, heapMb: 128 };

/** Loading the worker's modules takes a few hundred milliseconds at most. */
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Renders at once, at most: every worker may take its heap limit in the
 * backend's process. Hand-written because this package has no queue library
 * (p-limit and friends); it is a counter and a FIFO.
 */
const MAX_CONCURRENT_RENDERS = 2;

/** Marks the workerData of a render job, so that loading this module anywhere else does nothing. */
const JOB_KEY = 'baseImagesSkeletonRenderJob';

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'file'; label: string }
  | { type: 'done'; files: RenderedFile[] }
  | { type: 'refused'; message: string }
  | { type: 'failed'; message: string };

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

let running = 0;
const waiting: Array<() => void> = [];

async function acquireSlot(): Promise<void> {
  if (running < MAX_CONCURRENT_RENDERS) {
    running++;
    return;
  }
  // The slot passes straight from releaseSlot to the next waiter.
  await new Promise<void>(resolve => waiting.push(resolve));
}

function releaseSlot(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/**
 * Renders `job` in a new worker thread (renderSkeletonFiles), waiting for a
 * free slot first. Rejects with the worker's InputError, or an InputError
 * for a deadline or heap limit the rendering ran into.
 */
export async function renderInWorker(
  job: RenderJob,
  limits: RenderLimits = RENDER_LIMITS,
): Promise<RenderedFile[]> {
  await acquireSlot();
  try {
    return await runWorker(job, limits);
  } finally {
    releaseSlot();
  }
}

function runWorker(
  job: RenderJob,
  limits: RenderLimits,
): Promise<RenderedFile[]> {
  const entry = __filename;
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      entry,
      transform: entry.endsWith('.ts')
        ? require.resolve('@backstage/cli/config/nodeTransform.cjs')
        : undefined,
      [JOB_KEY]: job,
    },
    resourceLimits: { maxOldGenerationSizeMb: limits.heapMb },
  });
  return new Promise((resolve, reject) => {
    // The file being rendered, for errors only this side can see.
    let label = 'Skeleton';
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: Error | RenderedFile[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Settle once the worker is gone, so that no rendering outlives the call.
      const settle = () =>
        outcome instanceof Error ? reject(outcome) : resolve(outcome);
      worker.terminate().then(settle, settle);
    };
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
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          clearTimeout(timer);
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
          break;
        case 'file':
          label = message.label;
          break;
        case 'done':
          finish(message.files);
          break;
        case 'refused':
          finish(new InputError(message.message));
          break;
        default:
          finish(
            new Error(`rendering the skeleton failed: ${message.message}`),
          );
      }
    });
    worker.on('error', (error: Error) =>
      finish(
        (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new InputError(
              `${label}: rendering needed more than ${limits.heapMb} MiB of memory, the limit for one skeleton; build smaller values`,
            )
          : error,
      ),
    );
    // Node delivers the messages a worker sent before its 'error' and 'exit'.
    worker.on('exit', code =>
      finish(
        new Error(`the skeleton render worker stopped with exit code ${code}`),
      ),
    );
  });
}

/** The worker's side: renders the job it was started with and reports back. */
function runJob(job: RenderJob): void {
  const post = (message: WorkerMessage) => parentPort!.postMessage(message);
  post({ type: 'ready' });
  try {
    const files = renderSkeletonFiles(job.files, job.values, label =>
      post({ type: 'file', label }),
    );
    post({ type: 'done', files });
  } catch (error) {
    if (error instanceof InputError) {
      post({ type: 'refused', message: error.message });
    } else {
      post({
        type: 'failed',
        message:
          error instanceof Error ? error.stack ?? error.message : String(error),
      });
    }
  }
}

if (!isMainThread && workerData?.[JOB_KEY]) {
  runJob(workerData[JOB_KEY]);
}
