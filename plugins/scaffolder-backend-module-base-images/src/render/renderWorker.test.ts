import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from '@backstage/errors';
import {
  RENDER_LIMITS,
  RenderJob,
  renderInWorker,
  RenderWorkerPool,
} from './renderWorker';

/**
 * A file within every limit of the renderer that spends most of its work
 * budget: eighteen upper-cased copies of a million characters.
 */
const HEAVY = `{% set t = "x" | center(1000) %}${'{% set t = t ~ t %}'.repeat(
  10,
)}{% for i in range(18) %}{% set z = t | upper %}{% endfor %}done`;

/**
 * A file within every limit of the renderer that keeps about 30 MiB alive:
 * seven upper-cased copies of two million two-byte characters.
 */
const LARGE = `{% set u = "ā" | center(1000) | replace(" ", "ā") %}${'{% set u = u ~ u %}'.repeat(
  11,
)}${Array.from({ length: 7 }, (_, i) => `{% set a${i} = u | upper %}`).join(
  '',
)}done`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the rendering to be refused');
}

describe('renderInWorker', () => {
  it('renders files, their templated names and verbatim files in a worker thread', async () => {
    await expect(
      renderInWorker({
        files: [
          { source: 'README.md', text: '# ${{ values.name }}' },
          { source: '${{ values.name }}.txt', text: 'x' },
          { source: 'logo.png' },
        ],
        values: { name: 'demo' },
      }),
    ).resolves.toEqual([
      { source: 'README.md', relative: 'README.md', output: '# demo' },
      {
        source: '${{ values.name }}.txt',
        relative: 'demo.txt',
        output: 'x',
      },
      { source: 'logo.png', relative: 'logo.png' },
    ]);
  });

  it('stops at the deadline, naming the file being rendered, and leaves the event loop free meanwhile', async () => {
    // Four hundred such files take ten seconds or more without the deadline.
    const files = Array.from({ length: 400 }, (_, index) => ({
      source: `file${index}.txt`,
      text: HEAVY,
    }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    const error = await rejection(
      renderInWorker({ files, values: {} }, { timeoutMs: 1000, heapMb: 128 }),
    );
    const elapsed = Date.now() - started;
    clearInterval(timer);

    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /^Skeleton file file\d+\.txt: rendering took longer than 1 s, the limit for one skeleton; make the templates do less work$/,
    );
    // The deadline is the behaviour: generous bounds on either side.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(8000);
    // Rendering in this thread would have blocked every tick.
    expect(ticks).toBeGreaterThan(20);
  });

  it('reports running out of memory as an InputError naming the file and the limit, and the process renders on', async () => {
    const job = {
      files: [
        { source: 'small.txt', text: 'fine' },
        { source: 'large.txt', text: LARGE },
      ],
      values: {},
    };
    const error = await rejection(
      renderInWorker(job, { timeoutMs: 10_000, heapMb: 16 }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'Skeleton file large.txt: rendering needed more than 16 MiB of memory, the limit for one skeleton; build smaller values',
    );

    // The same job fits the default heap.
    const files = await renderInWorker(job);
    expect(files.map(file => file.output)).toEqual(['fine', 'done']);
  });

  it('refuses a skeleton whose rendered files add up to more than 16 MiB', async () => {
    // Each file renders to two million characters, under the limit of one file.
    const files = Array.from({ length: 9 }, (_, index) => ({
      source: `part${index}.txt`,
      text: '{% set k = "x" | center(1000) %}{% for i in range(2000) %}${{ k }}{% endfor %}',
    }));
    await expect(renderInWorker({ files, values: {} })).rejects.toThrow(
      new InputError(
        'Skeleton file part8.txt: the rendered skeleton would be larger than 16777216 bytes in total; generate less output',
      ),
    );
  });

  it('runs more renders than it runs at once, all of them', async () => {
    const renders = await Promise.all(
      [1, 2, 3, 4, 5].map(index =>
        renderInWorker({
          files: [{ source: 'n.txt', text: '${{ values.index }}' }],
          values: { index },
        }),
      ),
    );
    expect(renders.map(([file]) => file.output)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });
});

/** A job of one file rendering `text`. */
const oneFile = (
  text: string,
  values: RenderJob['values'] = {},
): RenderJob => ({
  files: [{ source: 'f.txt', text }],
  values,
});

async function outputOf(
  pool: RenderWorkerPool,
  job: RenderJob,
  limits = RENDER_LIMITS,
): Promise<string | undefined> {
  const [file] = await pool.render(job, limits);
  return file.output;
}

describe('RenderWorkerPool', () => {
  // Short enough that the tests' pools end soon after them; nothing in a
  // test waits for a timer between a render and the next.
  const idleTimeoutMs = 1000;

  it('renders the next job in the same worker, with nothing kept from the last, and keeps it after a refusal', async () => {
    const pool = new RenderWorkerPool({ size: 1, idleTimeoutMs });
    await expect(
      outputOf(
        pool,
        oneFile('{% set leaked = values.secret %}ok', { secret: 's3cret' }),
      ),
    ).resolves.toBe('ok');
    expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 1 });

    const error = await rejection(outputOf(pool, oneFile('${{ leaked }}')));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /^Skeleton file f\.txt, line 1, column \d+: attempted to output null or undefined value/,
    );
    expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 1 });

    await expect(
      outputOf(pool, oneFile('${{ values.n }}', { n: 3 })),
    ).resolves.toBe('3');
    expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 1 });
  });

  it('terminates a worker that missed the deadline and renders the next job in a new one', async () => {
    const pool = new RenderWorkerPool({ size: 1, idleTimeoutMs });
    await expect(outputOf(pool, oneFile('warm'))).resolves.toBe('warm');

    const files = Array.from({ length: 400 }, (_, index) => ({
      source: `file${index}.txt`,
      text: HEAVY,
    }));
    const error = await rejection(
      pool.render({ files, values: {} }, { timeoutMs: 1000, heapMb: 128 }),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/rendering took longer than 1 s/);
    // It ran in the warm worker, which is gone now.
    expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 0 });

    await expect(outputOf(pool, oneFile('again'))).resolves.toBe('again');
    expect(pool.stats).toEqual({ workersStarted: 2, idleWorkers: 1 });
  });

  it('terminates a worker that ran out of memory, and keeps only workers with the heap limit asked for', async () => {
    const pool = new RenderWorkerPool({ size: 1, idleTimeoutMs });
    const small = { timeoutMs: 10_000, heapMb: 16 };
    const error = await rejection(pool.render(oneFile(LARGE), small));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/needed more than 16 MiB of memory/);
    expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 0 });

    await expect(outputOf(pool, oneFile('fits'), small)).resolves.toBe('fits');
    expect(pool.stats).toEqual({ workersStarted: 2, idleWorkers: 1 });

    // A larger heap needs another worker; the pool's one slot goes to it.
    await expect(outputOf(pool, oneFile(LARGE))).resolves.toBe('done');
    expect(pool.stats).toEqual({ workersStarted: 3, idleWorkers: 1 });
  });

  it('runs more renders than it has workers in those workers, in order', async () => {
    const pool = new RenderWorkerPool({ size: 2, idleTimeoutMs });
    const outputs = await Promise.all(
      [1, 2, 3, 4, 5].map(index =>
        outputOf(pool, oneFile('${{ values.index }}', { index })),
      ),
    );
    expect(outputs).toEqual(['1', '2', '3', '4', '5']);
    expect(pool.stats).toEqual({ workersStarted: 2, idleWorkers: 2 });
  });

  it('ends a worker that stayed idle for the idle timeout', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const pool = new RenderWorkerPool({ size: 1, idleTimeoutMs: 30_000 });
      await expect(outputOf(pool, oneFile('a'))).resolves.toBe('a');
      jest.advanceTimersByTime(29_999);
      expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 1 });
      jest.advanceTimersByTime(1);
      expect(pool.stats).toEqual({ workersStarted: 1, idleWorkers: 0 });

      await expect(outputOf(pool, oneFile('b'))).resolves.toBe('b');
      expect(pool.stats).toEqual({ workersStarted: 2, idleWorkers: 1 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('lets the process exit while a worker is idle', async () => {
    // A process that renders and then has nothing left to do: it exits at
    // once only if neither the idle worker nor its idle timer (ten minutes
    // here) keeps it alive.
    const script = `
      const { RenderWorkerPool } = require(${JSON.stringify(
        require.resolve('./renderWorker'),
      )});
      const pool = new RenderWorkerPool({ size: 1, idleTimeoutMs: 600000 });
      pool
        .render(
          { files: [{ source: 'a.txt', text: 'x' }], values: {} },
          { timeoutMs: 10000, heapMb: 64 },
        )
        .then(([file]) =>
          process.on('exit', () =>
            console.log(JSON.stringify({ output: file.output, ...pool.stats })),
          ),
        );
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        '-e',
        script,
      ],
      { timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      output: 'x',
      workersStarted: 1,
      idleWorkers: 1,
    });
  }, 90_000);
});
