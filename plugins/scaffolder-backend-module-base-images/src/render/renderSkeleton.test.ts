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
    // Sixteen renderings, each in a new worker thread.
    60_000,
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

  describe('the payloads of security review 12', () => {
    /** About a million characters, and the list of them. */
    const SETUP =
      '{% set s = "x" | center(1000) %}{% set t = s | replace(" ", s) %}{% set L = t | list %}';

    it.each([
      [
        'reverse of a dict with a huge length',
        '${{ {length: 4000000000} | reverse }}',
        /^Skeleton file Dockerfile, line 1, column 5: the reverse filter needs a list or a string, not a dict$/,
      ],
      [
        'sort of a dict with a huge length',
        '${{ {length: 4000000000} | sort }}',
        /^Skeleton file Dockerfile, line 1, column 5: the sort filter needs a string or a list of strings or numbers, not a dict$/,
      ],
      [
        'range() past 2^53',
        '${{ range(9007199254740992, 9007199254740996) }}',
        /^Skeleton file Dockerfile, line 1, column \d+: range\(\) takes one to three whole numbers from -9007199254740991 to 9007199254740991$/,
      ],
      [
        'a long whitespace run before whitespace control',
        `${' '.repeat(60_000)}x{%- if 1 %}{% endif %}`,
        /^Skeleton file Dockerfile, line 1, column 1: a run of 60000 whitespace characters starts here; .* may have at most 256 in a row$/,
      ],
      [
        'an unterminated raw block',
        `{% raw %}${'x'.repeat(60_000)}`,
        /^Skeleton file Dockerfile, line 1, column 1: \{% raw %\} has no matching \{% endraw %\}/,
      ],
      [
        'comparisons of a large list in a loop',
        `${SETUP}\n{% for i in range(10000) %}{% if -L < -L %}{% endif %}{% endfor %}done`,
        /^Skeleton file Dockerfile, line 2, column \d+: lists and dicts cannot be compared or used in arithmetic/,
      ],
    ])(
      'refuses %s in a file with an InputError naming the file',
      async (_, payload, message) => {
        mockDir.setContent({ skeleton: { Dockerfile: payload } });
        const targetDir = mockDir.resolve('target');
        const error = await renderSkeleton({
          skeletonDir: mockDir.resolve('skeleton'),
          targetDir,
          values: {},
        }).catch(e => e);
        expect(error).toBeInstanceOf(InputError);
        expect(error.message).toMatch(message);
        expect(fs.existsSync(targetDir)).toBe(false);
      },
    );

    it('refuses them in a templated file name too', async () => {
      mockDir.setContent({
        skeleton: {
          '${{ "" }}{% for x in {length: 9007199254740991} %}{% endfor %}': 'x',
        },
      });
      await expect(
        renderSkeleton({
          skeletonDir: mockDir.resolve('skeleton'),
          targetDir: mockDir.resolve('target'),
          values: {},
        }),
      ).rejects.toThrow(
        // The loop runs once, over the dict's one key, and renders nothing.
        /^Skeleton file name .* renders to "", which is not a file or directory name/,
      );
    });

    it('renders a loop over a dict with a huge length key once per key', async () => {
      mockDir.setContent({
        skeleton: {
          Dockerfile:
            '{% for x in {length: 300000000} %}{% endfor %}{% for k in {length: 9007199254740991} %}${{ k }}{% endfor %}',
        },
      });
      const targetDir = mockDir.resolve('target');
      await renderSkeleton({
        skeletonDir: mockDir.resolve('skeleton'),
        targetDir,
        values: {},
      });
      expect(fs.readFileSync(path.join(targetDir, 'Dockerfile'), 'utf8')).toBe(
        'length',
      );
    });

    it('copies files over 64 KiB verbatim, without parsing them', async () => {
      // 512 KiB of this held nunjucks' parser for 319 s.
      const large = `${' '.repeat(65_536)}x{%- if 1 %}{% endif %}`;
      mockDir.setContent({
        skeleton: {
          'large.txt': large,
          'small.txt': large.slice(-65_536),
        },
      });
      const targetDir = mockDir.resolve('target');
      await expect(
        renderSkeleton({
          skeletonDir: mockDir.resolve('skeleton'),
          targetDir,
          values: {},
        }),
      ).rejects.toThrow(
        /^Skeleton file small\.txt, line 1, column 1: a run of 65513 whitespace characters/,
      );
      fs.rmSync(mockDir.resolve('skeleton/small.txt'));
      await renderSkeleton({
        skeletonDir: mockDir.resolve('skeleton'),
        targetDir,
        values: {},
      });
      expect(fs.readFileSync(path.join(targetDir, 'large.txt'), 'utf8')).toBe(
        large,
      );
    });
  });
});
