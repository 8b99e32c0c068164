import { ConfigReader } from '@backstage/config';
import { readStatusSettings } from './settings';

const read = (status: object) =>
  readStatusSettings(new ConfigReader({ baseImages: { status } }));

describe('readStatusSettings', () => {
  it('has defaults', () => {
    expect(readStatusSettings(new ConfigReader({}))).toEqual({
      refresh: { hours: 6 },
      refreshTimeout: { minutes: 30 },
      refreshInitialDelay: { minutes: 1 },
      requestTimeoutMs: 10_000,
      tagTtlMs: 300_000,
      platform: 'linux/amd64',
    });
  });

  it('reads durations as objects, ISO strings and short strings', () => {
    expect(
      read({
        refresh: 'PT20S',
        refreshTimeout: { seconds: 15 },
        refreshInitialDelay: '5s',
        requestTimeout: { seconds: 2 },
        tagTtl: '1 minute',
      }),
    ).toEqual({
      refresh: { seconds: 20 },
      refreshTimeout: { seconds: 15 },
      refreshInitialDelay: { seconds: 5 },
      requestTimeoutMs: 2000,
      tagTtlMs: 60_000,
      platform: 'linux/amd64',
    });
  });

  it.each([
    [
      { refersh: { hours: 1 } },
      /'baseImages\.status\.refersh': unknown key; did you mean 'baseImages\.status\.refresh'\?/,
    ],
    [{ refresh: { hour: 1 } }, /'baseImages\.status\.refresh'.*hour/],
    [{ refresh: 'soon' }, /'baseImages\.status\.refresh'.*'30m'/],
    [
      { requestTimeout: { seconds: 0 } },
      /'baseImages\.status\.requestTimeout': must be longer than 0/,
    ],
    [
      { requestTimeoutMs: 10 },
      /'baseImages\.status\.requestTimeoutMs': unknown key; did you mean 'baseImages\.status\.requestTimeout'/,
    ],
    [{ platform: 'linux' }, /'baseImages\.status\.platform'/],
  ])('rejects %j naming the key', (status, message) => {
    expect(() => read(status)).toThrow(message);
  });
});
