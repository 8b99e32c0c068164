import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { exampleSteps, runExample } from '../__testUtils__/exampleInput';
import { baseImagesConfig, catalogEntities } from '../__testUtils__/fixtures';
import { createResolveBaseImagesAction } from './resolve';
import { examples } from './resolve.examples';

/** The system the second example names, as examples/systems.yaml declares it. */
const billing: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'billing',
    namespace: 'default',
    annotations: { 'compliance/frameworks': 'soc2' },
  },
  spec: { owner: 'payments-team', domain: 'finance' },
};

describe('base-images:resolve examples', () => {
  function setup() {
    const catalog = catalogServiceMock({
      entities: [...catalogEntities, billing],
    });
    const action = createResolveBaseImagesAction({
      catalog,
      config: baseImagesConfig(),
      publish: { target: 'local', localDirectory: '/nonexistent' },
    });
    return { action, getEntityByRef: jest.spyOn(catalog, 'getEntityByRef') };
  }

  it('are the examples of base-images:resolve, each running it', () => {
    expect(setup().action.examples).toBe(examples);
    expect(examples).toHaveLength(2);
    for (const example of examples)
      expect(exampleSteps(example).map(step => step.action)).toContain(
        'base-images:resolve',
      );
  });

  it('resolves a Python service from its owner and system', async () => {
    const { action } = setup();
    const { outputs } = await runExample(action, examples[0], {
      context: {
        parameters: {
          owner: 'group:default/security-team',
          system: 'system:default/patient-records',
        },
      },
    });
    expect(outputs).toMatchObject({
      runtimeImage: 'dhi.io/python:3.13-fips',
      builderImage: 'dhi.io/python:3.13-dev',
      variant: 'dhi-fips',
      version: '3.13',
      authRequired: true,
      loginRegistries: ['dhi.io'],
      frameworks: [
        { id: 'hipaa', source: 'system:default/patient-records' },
        { id: 'soc2', source: 'group:default/security-team' },
      ],
    });
  });

  it('resolves Node on Alpine with an extra framework, reading the system through the catalog', async () => {
    const { action, getEntityByRef } = setup();
    const { outputs } = await runExample(action, examples[1]);
    expect(getEntityByRef).toHaveBeenCalledWith('system:default/billing', {
      credentials: mockCredentials.user(),
    });
    expect(outputs).toMatchObject({
      runtimeImage: 'dhi.io/node:22-alpine',
      variant: 'dhi',
      version: '22',
      shellless: true,
      frameworks: [{ id: 'soc2', source: 'template input' }],
    });
  });
});
