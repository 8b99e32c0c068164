import path from 'node:path';
import {
  createMockDirectory,
  mockCredentials,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { locationSpecToMetadataName } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockContext } from '../__testUtils__/fixtures';
import { createRegisterLocalAction } from './registerLocal';

describe('base-images:register-local', () => {
  const mockDir = createMockDirectory();
  const repos = () => mockDir.resolve('repos');
  const component: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'demo', namespace: 'default' },
    spec: { type: 'service', owner: 'x', lifecycle: 'production' },
  };

  beforeEach(() => {
    mockDir.clear();
    mockDir.addContent({
      repos: {
        demo: {
          'catalog-info.yaml':
            'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: demo\nspec:\n  type: service\n  owner: x\n  lifecycle: production\n',
        },
      },
    });
  });

  function setup(locationTarget: string | undefined) {
    const catalog = catalogServiceMock();
    const refreshEntity = jest
      .spyOn(catalog, 'refreshEntity')
      .mockResolvedValue();
    let calls = 0;
    // the entity shows up on the second look, as after an ingestion round
    jest
      .spyOn(catalog, 'getEntityByRef')
      .mockImplementation(async () => (++calls > 1 ? component : undefined));
    const action = createRegisterLocalAction({
      catalog,
      publish: { target: 'local', localDirectory: repos() },
      fileLocations: [
        '/srv/examples/all.yaml',
        ...(locationTarget ? [locationTarget] : []),
      ],
      timeoutMs: 5000,
    });
    return { action, refreshEntity };
  }

  it('refreshes the configured location with the initiator credentials and waits for the entity', async () => {
    const { action, refreshEntity } = setup(
      path.join(repos(), '*', 'catalog-info.yaml'),
    );
    const ctx = mockContext({
      input: {
        catalogInfoPath: path.join(repos(), 'demo', 'catalog-info.yaml'),
      },
    });
    await action.handler(ctx);
    const name = locationSpecToMetadataName({
      type: 'file',
      target: path.join(repos(), '*', 'catalog-info.yaml'),
    });
    expect(refreshEntity).toHaveBeenCalledWith(`location:default/${name}`, {
      credentials: mockCredentials.user(),
    });
    expect(ctx.outputs()).toEqual({ entityRef: 'component:default/demo' });
  });

  it('says which location to configure when none reads the publish directory', async () => {
    const { action } = setup(undefined);
    await expect(
      action.handler(
        mockContext({
          input: {
            catalogInfoPath: path.join(repos(), 'demo', 'catalog-info.yaml'),
          },
        }),
      ),
    ).rejects.toThrow(
      /No catalog location reads .*; add a catalog location to app-config: catalog.locations: \[\{ type: file, target: .*\/repos\/\*\/catalog-info\.yaml \}\]/,
    );
  });

  it.each(['/etc/passwd', '../x'])(
    'refuses %s outside the publish directory',
    async catalogInfoPath => {
      const { action, refreshEntity } = setup(
        path.join(repos(), '*', 'catalog-info.yaml'),
      );
      await expect(
        action.handler(mockContext({ input: { catalogInfoPath } })),
      ).rejects.toThrow(/is outside/);
      expect(refreshEntity).not.toHaveBeenCalled();
    },
  );

  it('does not refresh anything in dry-run', async () => {
    const { action, refreshEntity } = setup(
      path.join(repos(), '*', 'catalog-info.yaml'),
    );
    await action.handler(
      mockContext({
        input: {
          catalogInfoPath: path.join(repos(), 'demo', 'catalog-info.yaml'),
        },
        isDryRun: true,
      }),
    );
    expect(refreshEntity).not.toHaveBeenCalled();
  });
});
