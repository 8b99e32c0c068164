import { InputError } from '@backstage/errors';
import { renderInWorker } from './renderWorker';

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
