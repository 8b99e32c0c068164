import { TtlCache } from './TtlCache';

describe('TtlCache', () => {
  afterEach(() => jest.useRealTimers());

  it('shares one load between concurrent callers and expires after the TTL', async () => {
    jest.useFakeTimers({ now: 0 });
    const cache = new TtlCache<number>({ ttlMs: 1000, maxEntries: 10 });
    const load = jest.fn(async () => 42);
    expect(
      await Promise.all([cache.get('a', load), cache.get('a', load)]),
    ).toEqual([42, 42]);
    expect(load).toHaveBeenCalledTimes(1);
    jest.setSystemTime(1001);
    await cache.get('a', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('forgets failed loads and evicts the oldest entries', async () => {
    const cache = new TtlCache<number>({ ttlMs: 60_000, maxEntries: 2 });
    await expect(
      cache.get('x', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await cache.get('x', async () => 1)).toBe(1);
    await cache.get('y', async () => 2);
    await cache.get('z', async () => 3);
    const reload = jest.fn(async () => 4);
    expect(await cache.get('x', reload)).toBe(4);
    expect(reload).toHaveBeenCalled();
  });
});
