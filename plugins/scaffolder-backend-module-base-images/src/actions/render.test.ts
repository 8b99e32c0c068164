import fs from 'node:fs';
import path from 'node:path';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { DockerfileParser } from 'dockerfile-ast';
import yaml from 'yaml';
import { checkDockerfile } from '../render/checkDockerfile';
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

  it('keeps nunjucks and scaffolder syntax in values literal, and YAML-safe', async () => {
    const workspacePath = mockDir.resolve('workspace');
    const description =
      'Says {{ 7*7 }} and ${{ parameters.name }} {% raw %}\nmetadata:\n  name: hijack "quoted"';
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

  it.each([
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
  ])(
    'rejects %j with a clear error and writes nothing outside the workspace',
    async (input, message) => {
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
});
