import fs from 'node:fs';
import path from 'node:path';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { parseDockerfile } from '@internal/backstage-plugin-base-images-common';
import yaml from 'yaml';
import { exampleSteps, runExample } from '../__testUtils__/exampleInput';
import {
  baseImagesConfig,
  catalogEntities,
  templateBaseUrl,
} from '../__testUtils__/fixtures';
import { checkDockerfile } from '../render/checkDockerfile';
import { createRenderServiceAction } from './render';
import { examples } from './render.examples';
import { createResolveBaseImagesAction } from './resolve';
import { examples as resolveExamples } from './resolve.examples';

describe('base-images:render examples', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());

  const config = baseImagesConfig();
  const action = createRenderServiceAction({
    reader: mockServices.urlReader.mock(),
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    config,
  });

  it('are the examples of base-images:render, each running it', () => {
    expect(action.examples).toBe(examples);
    expect(examples).toHaveLength(1);
    for (const example of examples)
      expect(exampleSteps(example).map(step => step.action)).toContain(
        'base-images:render',
      );
  });

  it.each([
    ['system:default/marketing-site', 'python:3.13-slim'],
    ['system:default/internal-tools', 'dhi.io/python:3.13'],
    ['system:default/patient-records', 'dhi.io/python:3.13-fips'],
    ['system:default/hardened-platform', 'acme/dhi-python:3.13'],
  ])(
    'renders the Python skeleton for %s on the images the resolve example chose (%s)',
    async (system, runtimeImage) => {
      const parameters = {
        name: 'ledger-api',
        description: 'Posts ledger entries',
        owner: 'group:default/web-team',
        system,
      };
      // the step before it, as the python-service template runs it
      const resolve = await runExample(
        createResolveBaseImagesAction({
          catalog: catalogServiceMock({ entities: catalogEntities }),
          config,
          publish: { target: 'local', localDirectory: '/nonexistent' },
        }),
        resolveExamples[0],
        { context: { parameters } },
      );
      const resolved = resolve.outputs;
      expect(resolved.runtimeImage).toBe(runtimeImage);

      const workspacePath = mockDir.resolve('workspace');
      const { outputs } = await runExample(action, examples[0], {
        context: resolve.context,
        workspacePath,
        templateInfo: {
          baseUrl: templateBaseUrl('python'),
          entityRef: 'template:default/python-service',
        },
      });

      expect(outputs.dockerfile).toBe('Dockerfile');
      expect(outputs.files).toEqual(
        expect.arrayContaining(['Dockerfile', 'catalog-info.yaml']),
      );
      const dockerfile = fs.readFileSync(
        path.join(workspacePath, 'Dockerfile'),
        'utf8',
      );
      const stages = parseDockerfile(dockerfile).stages;
      expect(stages[stages.length - 1].image).toBe(resolved.runtimeImage);
      expect(new Set(stages.map(stage => stage.image))).toEqual(
        new Set([
          resolved.builderImage,
          resolved.runtimeImage,
          resolved.debugImage,
        ]),
      );
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
      const entity = yaml.parse(
        fs.readFileSync(path.join(workspacePath, 'catalog-info.yaml'), 'utf8'),
      );
      expect(entity).toMatchObject({
        metadata: {
          name: 'ledger-api',
          description: 'Posts ledger entries',
          annotations: {
            'base-image/ref': resolved.runtimeImage,
            'base-image/runtime': 'python',
          },
        },
        spec: { owner: 'group:default/web-team', system },
      });
    },
  );
});
