import fs from 'node:fs';
import path from 'node:path';
import {
  createMockDirectory,
  mockCredentials,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import { locationSpecToMetadataName } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockContext } from '../__testUtils__/fixtures';
import { createRegisterLocalAction } from './registerLocal';

describe('base-images:register-local', () => {
  const mockDir = createMockDirectory();
  const repos = () => mockDir.resolve('repos');
  const pattern = () => path.join(repos(), '*', 'catalog-info.yaml');
  /** The entity as the catalog serves it after reading `file` through `origin`. */
  const component = (
    file = `file:${path.join(repos(), 'demo', 'catalog-info.yaml')}`,
    origin = `file:${pattern()}`,
  ): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'demo',
      namespace: 'default',
      annotations: {
        'backstage.io/managed-by-location': file,
        'backstage.io/managed-by-origin-location': origin,
      },
    },
    spec: { type: 'service', owner: 'x', lifecycle: 'production' },
  });

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

  function setup(
    locationTarget: string | undefined,
    served: () => Entity = () => component(),
  ) {
    const catalog = catalogServiceMock();
    const refreshEntity = jest
      .spyOn(catalog, 'refreshEntity')
      .mockResolvedValue();
    let calls = 0;
    // the entity shows up on the second look, as after an ingestion round
    const getEntityByRef = jest
      .spyOn(catalog, 'getEntityByRef')
      .mockImplementation(async () => (++calls > 1 ? served() : undefined));
    const action = createRegisterLocalAction({
      catalog,
      publish: { target: 'local', localDirectory: repos() },
      fileLocations: [
        '/srv/examples/all.yaml',
        ...(locationTarget ? [locationTarget] : []),
      ],
      timeoutMs: 5000,
    });
    return { action, refreshEntity, getEntityByRef };
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

  const register = (action: ReturnType<typeof setup>['action']) =>
    action.handler(
      mockContext({
        input: {
          catalogInfoPath: path.join(repos(), 'demo', 'catalog-info.yaml'),
        },
      }),
    );

  it.each([
    [
      "another team's entity of the same name, from a repository",
      'url:https://github.com/other-team/demo/blob/main/catalog-info.yaml',
    ],
    [
      "another team's entity of the same name, from another local file",
      'file:/srv/other/catalog-info.yaml',
    ],
  ])('refuses %s', async (_name, location) => {
    const { action, getEntityByRef } = setup(pattern(), () =>
      component(location, location),
    );
    await expect(register(action)).rejects.toThrow(
      new ConflictError(
        `component:default/demo already exists, defined in ${location}; choose another name`,
      ),
    );
    // decided on sight, without waiting for ingestion that cannot change it
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
  });

  it('refuses its own file read through a location that is not configured', async () => {
    const { action } = setup(pattern(), () =>
      component(
        `file:${path.join(repos(), 'demo', 'catalog-info.yaml')}`,
        'url:https://example.com/registered-by-hand.yaml',
      ),
    );
    await expect(register(action)).rejects.toThrow(
      /component:default\/demo is read from .* through url:https:\/\/example.com\/registered-by-hand.yaml, not through the configured location:default\//,
    );
  });

  it('refuses an entity without location annotations', async () => {
    const { action } = setup(pattern(), () => ({
      ...component(),
      metadata: { name: 'demo', namespace: 'default' },
    }));
    await expect(register(action)).rejects.toThrow(
      'component:default/demo already exists, defined in an unknown location; choose another name',
    );
  });

  it('gives up when the entity never appears', async () => {
    const catalog = catalogServiceMock();
    jest.spyOn(catalog, 'refreshEntity').mockResolvedValue();
    const action = createRegisterLocalAction({
      catalog,
      publish: { target: 'local', localDirectory: repos() },
      fileLocations: [pattern()],
      timeoutMs: 0,
    });
    await expect(register(action)).rejects.toThrow(
      /component:default\/demo did not appear in the catalog within 0s/,
    );
  });

  it.each([
    [
      "a symbolic link to another repository's file",
      () => {
        mockDir.addContent({
          repos: { other: { 'catalog-info.yaml': 'kind: Component\n' } },
        });
        fs.rmSync(path.join(repos(), 'demo', 'catalog-info.yaml'));
        fs.symlinkSync(
          '../other/catalog-info.yaml',
          path.join(repos(), 'demo', 'catalog-info.yaml'),
        );
        return path.join(repos(), 'demo', 'catalog-info.yaml');
      },
    ],
    [
      'a path through a linked repository directory',
      () => {
        fs.symlinkSync('demo', path.join(repos(), 'alias'));
        return path.join(repos(), 'alias', 'catalog-info.yaml');
      },
    ],
    [
      'a directory',
      () => {
        fs.mkdirSync(path.join(repos(), 'demo', 'dir.yaml'));
        return path.join(repos(), 'demo', 'dir.yaml');
      },
    ],
  ])('refuses %s', async (_name, prepare) => {
    const { action, refreshEntity } = setup(path.join(repos(), '**'));
    const catalogInfoPath = prepare();
    await expect(
      action.handler(mockContext({ input: { catalogInfoPath } })),
    ).rejects.toThrow(
      /is a symbolic link, goes through one, or is not a regular file/,
    );
    expect(refreshEntity).not.toHaveBeenCalled();
  });

  it('refuses a file that does not exist', async () => {
    const { action } = setup(pattern());
    await expect(
      action.handler(
        mockContext({
          input: {
            catalogInfoPath: path.join(repos(), 'nope', 'catalog-info.yaml'),
          },
        }),
      ),
    ).rejects.toThrow(/does not exist; pass the catalogInfoPath output/);
  });

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

  it('in dry-run accepts the path of a repository that a dry run of publish-local did not create', async () => {
    const { action, refreshEntity } = setup(
      path.join(repos(), '*', 'catalog-info.yaml'),
    );
    const ctx = mockContext({
      input: {
        catalogInfoPath: path.join(repos(), 'not-yet', 'catalog-info.yaml'),
      },
      isDryRun: true,
    });
    await action.handler(ctx);
    expect(ctx.outputs()).toEqual({ entityRef: 'component:default/dry-run' });
    expect(refreshEntity).not.toHaveBeenCalled();
  });

  it('in dry-run still refuses a path outside the publish directory', async () => {
    const { action } = setup(path.join(repos(), '*', 'catalog-info.yaml'));
    await expect(
      action.handler(
        mockContext({
          input: { catalogInfoPath: '/etc/passwd' },
          isDryRun: true,
        }),
      ),
    ).rejects.toThrow(/is outside/);
  });
});
