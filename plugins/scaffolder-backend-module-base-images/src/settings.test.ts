import { ConfigReader } from '@backstage/config';
import { readPublishSettings } from './settings';

describe('readPublishSettings', () => {
  it('publishes locally under the repository root by default', () => {
    expect(
      readPublishSettings(new ConfigReader({}), '/repo/packages/backend'),
    ).toEqual({
      target: 'local',
      localDirectory: '/repo/.generated-repos',
      github: undefined,
    });
  });

  it('reads the GitHub target', () => {
    const settings = readPublishSettings(
      new ConfigReader({
        baseImages: {
          publish: { target: 'github', github: { owner: 'acme' } },
        },
      }),
      '/repo',
    );
    expect(settings.github).toEqual({ owner: 'acme', host: 'github.com' });
  });

  it.each([
    [
      { localDirctory: 'x' },
      /'baseImages\.publish\.localDirctory': unknown key; did you mean 'baseImages\.publish\.localDirectory'\?/,
    ],
    [
      { target: 'github', github: { onwer: 'acme' } },
      /'baseImages\.publish\.github\.onwer': unknown key; did you mean 'baseImages\.publish\.github\.owner'\?/,
    ],
    [
      { target: 'gitlab' },
      /'baseImages\.publish\.target': "gitlab" is not local or github/,
    ],
    [{ target: 'github' }, /'baseImages\.publish\.github\.owner'/],
  ])('rejects %j naming the key', (publish, message) => {
    expect(() =>
      readPublishSettings(
        new ConfigReader({ baseImages: { publish } }),
        '/repo',
      ),
    ).toThrow(message);
  });
});
