import path from 'node:path';
import {
  createMockDirectory,
  mockCredentials,
} from '@backstage/backend-test-utils';
import { locationSpecToMetadataName } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { exampleSteps, runExample } from '../__testUtils__/exampleInput';
import { componentAt } from '../__testUtils__/localService';
import { resolveAndRender } from '../__testUtils__/renderService';
import { createPublishLocalAction } from './publishLocal';
import { examples as publishExamples } from './publishLocal.examples';
import { createRegisterLocalAction } from './registerLocal';
import { examples } from './registerLocal.examples';

describe('base-images:register-local examples', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());
  const publish = () => ({
    target: 'local' as const,
    localDirectory: mockDir.resolve('repos'),
  });
  /** The catalog location over the publish directory that app-config declares. */
  const pattern = () =>
    path.join(mockDir.resolve('repos'), '*', 'catalog-info.yaml');

  /** A service rendered and published by the publish-local example, as the step before it. */
  async function published() {
    const workspacePath = mockDir.resolve('workspace');
    await resolveAndRender({
      runtime: 'node',
      system: 'system:default/internal-tools',
      workspacePath,
      name: 'ledger-api',
    });
    return runExample(
      createPublishLocalAction({ publish: publish() }),
      publishExamples[0],
      { context: { parameters: { name: 'ledger-api' } }, workspacePath },
    );
  }

  it('are the examples of base-images:register-local, each running it', () => {
    const action = createRegisterLocalAction({
      catalog: catalogServiceMock(),
      publish: publish(),
      fileLocations: [],
    });
    expect(action.examples).toBe(examples);
    expect(examples).toHaveLength(1);
    for (const example of examples)
      expect(exampleSteps(example).map(step => step.action)).toContain(
        'base-images:register-local',
      );
  });

  it('in a dry run, accepts the published catalog-info.yaml without refreshing the catalog', async () => {
    const { context, outputs: publishOutputs } = await published();
    const catalog = catalogServiceMock();
    const refreshEntity = jest.spyOn(catalog, 'refreshEntity');
    const { input, outputs } = await runExample(
      createRegisterLocalAction({
        catalog,
        publish: publish(),
        fileLocations: [pattern()],
      }),
      examples[0],
      { context, isDryRun: true },
    );
    expect(input).toEqual({
      catalogInfoPath: publishOutputs.catalogInfoPath,
    });
    expect(outputs).toEqual({ entityRef: 'component:default/dry-run' });
    expect(refreshEntity).not.toHaveBeenCalled();
  });

  it('refreshes the configured location and finds the published entity', async () => {
    const { context, outputs: publishOutputs } = await published();
    // the entity as the catalog serves it once it has read the file through the location
    const catalog = catalogServiceMock({
      entities: [
        componentAt(publishOutputs.catalogInfoPath, {
          annotations: {
            'backstage.io/managed-by-origin-location': `file:${pattern()}`,
          },
        }),
      ],
    });
    const refreshEntity = jest
      .spyOn(catalog, 'refreshEntity')
      .mockResolvedValue();
    const { outputs } = await runExample(
      createRegisterLocalAction({
        catalog,
        publish: publish(),
        fileLocations: [pattern()],
        timeoutMs: 5_000,
      }),
      examples[0],
      { context },
    );
    expect(refreshEntity).toHaveBeenCalledWith(
      `location:default/${locationSpecToMetadataName({
        type: 'file',
        target: pattern(),
      })}`,
      { credentials: mockCredentials.user() },
    );
    expect(outputs).toEqual({ entityRef: 'component:default/ledger-api' });
  });
});
