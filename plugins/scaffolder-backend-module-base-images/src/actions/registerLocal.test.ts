import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockContext } from '../__testUtils__/fixtures';
import { createRegisterLocalAction } from './registerLocal';

describe('base-images:register-local', () => {
  const publish = { target: 'local' as const, localDirectory: '/srv/repos' };

  function setup() {
    const catalog = catalogServiceMock();
    const addLocation = jest.spyOn(catalog, 'addLocation').mockResolvedValue({
      location: { id: '1', type: 'file', target: '/srv/repos/demo/catalog-info.yaml', entityRef: 'location:default/generated' },
      entities: [{ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'demo', namespace: 'default' } }],
    });
    return { action: createRegisterLocalAction({ catalog, publish }), addLocation };
  }

  it('registers the file location with the initiator credentials', async () => {
    const { action, addLocation } = setup();
    const ctx = mockContext({ input: { catalogInfoPath: '/srv/repos/demo/catalog-info.yaml' } });
    await action.handler(ctx);
    expect(addLocation).toHaveBeenCalledWith(
      { type: 'file', target: '/srv/repos/demo/catalog-info.yaml' },
      { credentials: mockCredentials.user() },
    );
    expect(ctx.outputs()).toEqual({ entityRef: 'component:default/demo' });
  });

  it.each(['/etc/passwd', '/srv/repos/../secrets/catalog-info.yaml', '../x'])('refuses %s outside the publish directory', async catalogInfoPath => {
    const { action, addLocation } = setup();
    await expect(action.handler(mockContext({ input: { catalogInfoPath } }))).rejects.toThrow(/is outside \/srv\/repos/);
    expect(addLocation).not.toHaveBeenCalled();
  });

  it('does not register in dry-run', async () => {
    const { action, addLocation } = setup();
    await action.handler(mockContext({ input: { catalogInfoPath: '/srv/repos/demo/catalog-info.yaml' }, isDryRun: true }));
    expect(addLocation).not.toHaveBeenCalled();
  });
});
