import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { TEMPLATES_DIR } from '../__testUtils__/fixtures';
import { renderSkeleton } from './renderSkeleton';

const mockDir = createMockDirectory();

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Every combination of the values the real skeletons branch on. */
function valueSets(runtime: string): Array<Record<string, JsonValue>> {
  const sets: Array<Record<string, JsonValue>> = [];
  for (const shellless of [true, false]) {
    for (const authRequired of [true, false]) {
      for (const frameworks of [
        [],
        [
          { id: 'fips', source: 'system:default/payments' },
          { id: 'stig', source: 'domain:default/health' },
        ],
      ]) {
        for (const system of ['', 'system:default/payments']) {
          const pinned = system !== '';
          const pin = (image: string) =>
            pinned ? `${image}@sha256:${'a'.repeat(64)}` : image;
          sets.push({
            name: 'demo-svc',
            description: 'Quotes "here", ${{ values.name }} {{ 7*7 }} and a \\',
            owner: 'group:default/web-team',
            system,
            lifecycle: 'production',
            port: 8080,
            runtime,
            version: runtime === 'python' ? '3.13' : '22',
            runtimeImage: `dhi.io/${runtime}:x`,
            builderImage: `dhi.io/${runtime}:x-dev`,
            debugImage: `dhi.io/${runtime}:x-dev`,
            variant: 'dhi',
            fromImages: {
              runtime: pin(`dhi.io/${runtime}:x`),
              builder: pin(`dhi.io/${runtime}:x-dev`),
              debug: pin(`dhi.io/${runtime}:x-dev`),
            },
            pinned,
            shellless,
            authRequired,
            loginRegistries: authRequired ? ['dhi.io', 'registry.example'] : [],
            frameworks,
            reasons: ['first reason', 'second reason'],
          });
        }
      }
    }
  }
  return sets;
}

describe('renderSkeleton', () => {
  afterEach(() => mockDir.clear());

  it.each(['python', 'node'])(
    'renders the real %s skeleton byte for byte as plain nunjucks did',
    async runtime => {
      const skeletonDir = path.join(
        TEMPLATES_DIR,
        `${runtime}-service`,
        'skeleton',
      );
      const plain = new nunjucks.Environment([], {
        autoescape: false,
        throwOnUndefined: true,
        tags: { variableStart: '${{', variableEnd: '}}' },
      });
      const sets = valueSets(runtime);
      for (const [index, values] of sets.entries()) {
        const targetDir = mockDir.resolve(`out-${index}`);
        const written = await renderSkeleton({
          skeletonDir,
          targetDir,
          values,
        });
        expect(written).toEqual(listFiles(skeletonDir));
        for (const file of written) {
          const source = fs.readFileSync(path.join(skeletonDir, file));
          const expected = source.includes(0)
            ? source
            : Buffer.from(
                plain.renderString(source.toString('utf8'), { values }),
              );
          expect(fs.readFileSync(path.join(targetDir, file))).toEqual(expected);
        }
      }
      expect(sets).toHaveLength(16);
    },
  );

  it('renders templated file and directory names', async () => {
    mockDir.setContent({
      skeleton: {
        '${{ values.name }}': {
          '${{ values.name | replace("-", "_") }}.py':
            'print("${{ values.name }}")\n',
        },
        'plain {% raw %}name.txt': 'kept\n',
        'binary.bin': Buffer.from([0, 1, 2, 0x24, 0x7b, 0x7b]),
      },
    });
    const targetDir = mockDir.resolve('target');
    const written = await renderSkeleton({
      skeletonDir: mockDir.resolve('skeleton'),
      targetDir,
      values: { name: 'demo-svc' },
    });
    expect(written.sort()).toEqual([
      'binary.bin',
      'demo-svc/demo_svc.py',
      'plain {% raw %}name.txt',
    ]);
    expect(
      fs.readFileSync(path.join(targetDir, 'demo-svc/demo_svc.py'), 'utf8'),
    ).toBe('print("demo-svc")\n');
    expect(fs.readFileSync(path.join(targetDir, 'binary.bin'))).toEqual(
      Buffer.from([0, 1, 2, 0x24, 0x7b, 0x7b]),
    );
  });

  it.each([
    ['${{ values.empty }}', ''],
    ['${{ values.dots }}', '..'],
    ['${{ "." }}', '.'],
    ['${{ values.slash }}', '../escape'],
    ['${{ values.backslash }}', 'a\\b'],
    ['x${{ values.newline }}', 'x\n'],
  ])(
    'refuses a file name %j that renders to %j and writes nothing',
    async (name, rendered) => {
      mockDir.setContent({
        skeleton: { 'README.md': 'fine\n', dir: { [name]: 'content\n' } },
      });
      const targetDir = mockDir.resolve('target');
      await expect(
        renderSkeleton({
          skeletonDir: mockDir.resolve('skeleton'),
          targetDir,
          values: {
            empty: '',
            dots: '..',
            slash: '../escape',
            backslash: 'a\\b',
            newline: '\n',
          },
        }),
      ).rejects.toThrow(
        new InputError(
          `Skeleton file name dir/${name} renders to ${JSON.stringify(
            rendered,
          )}, which is not a file or directory name; a templated name must render to a non-empty name without /, \\ or control characters`,
        ),
      );
      expect(fs.existsSync(targetDir)).toBe(false);
    },
  );

  it('refuses two files that render to the same path', async () => {
    mockDir.setContent({
      skeleton: { '${{ values.name }}.txt': 'a', 'demo.txt': 'b' },
    });
    await expect(
      renderSkeleton({
        skeletonDir: mockDir.resolve('skeleton'),
        targetDir: mockDir.resolve('target'),
        values: { name: 'demo' },
      }),
    ).rejects.toThrow(
      'Skeleton files ${{ values.name }}.txt and demo.txt both render to demo.txt; give them distinct names',
    );
    expect(fs.existsSync(mockDir.resolve('target'))).toBe(false);
  });

  it('writes nothing when a later file is refused', async () => {
    mockDir.setContent({
      skeleton: {
        'a-first.txt': '${{ values.name }}',
        'z-last.txt': 'line one\n${{ values.name.constructor }}',
      },
    });
    const targetDir = mockDir.resolve('target');
    await expect(
      renderSkeleton({
        skeletonDir: mockDir.resolve('skeleton'),
        targetDir,
        values: { name: 'demo' },
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        name: 'InputError',
        message: expect.stringMatching(
          /^Skeleton file z-last\.txt, line 2, column \d+: `\.constructor` cannot be read/,
        ),
      }),
    );
    expect(fs.existsSync(targetDir)).toBe(false);
  });

  it('refuses symbolic links as a user error', async () => {
    mockDir.setContent({ skeleton: { 'real.txt': 'x' } });
    fs.symlinkSync('/etc/passwd', mockDir.resolve('skeleton/link.txt'));
    await expect(
      renderSkeleton({
        skeletonDir: mockDir.resolve('skeleton'),
        targetDir: mockDir.resolve('target'),
        values: {},
      }),
    ).rejects.toThrow(
      new InputError(
        'Skeleton file link.txt is a symbolic link; skeletons may only hold regular files',
      ),
    );
  });
});
