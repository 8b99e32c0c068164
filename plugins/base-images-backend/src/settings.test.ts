import { ConfigReader } from '@backstage/config';
import { readStatusSettings } from './settings';

describe('readStatusSettings', () => {
  it('has defaults', () => {
    expect(readStatusSettings(new ConfigReader({}))).toEqual({
      refresh: { hours: 6 },
      requestTimeoutMs: 10_000,
      tagTtlMs: 300_000,
      platform: 'linux/amd64',
    });
  });

  it.each([
    [
      { refersh: { hours: 1 } },
      /'baseImages\.status\.refersh': unknown key; did you mean 'baseImages\.status\.refresh'\?/,
    ],
    [
      { refresh: { hour: 1 } },
      /'baseImages\.status\.refresh\.hour': unknown key; did you mean 'baseImages\.status\.refresh\.hours'\?/,
    ],
    [
      { requestTimeoutMs: 0 },
      /'baseImages\.status\.requestTimeoutMs': must be a positive number/,
    ],
    [{ platform: 'linux' }, /'baseImages\.status\.platform'/],
  ])('rejects %j naming the key', (status, message) => {
    expect(() =>
      readStatusSettings(new ConfigReader({ baseImages: { status } })),
    ).toThrow(message);
  });
});
