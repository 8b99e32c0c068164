import { startFakeRegistry, FakeRegistry } from '../__testUtils__/fakeRegistry';
import { Pusher } from '../__testUtils__/pusher';
import { createTestKey, pushImage, TestKey } from '../__testUtils__/images';
import { dhiPredicates, pushDhiImage } from '../__testUtils__/dockerLayouts';
import { checkerFor } from '../__testUtils__/checker';

/** Paths distribution 2.8 cannot exercise: the native referrers API, and faults. */
describe('ImageChecker: native referrers and registry faults', () => {
  let registry: FakeRegistry;
  let pusher: Pusher;
  let key: TestKey;
  let checker: ReturnType<typeof checkerFor>;
  const ref = (repository: string, tag = '1') =>
    `${registry.host}/${repository}:${tag}`;

  beforeAll(async () => {
    registry = await startFakeRegistry({ referrersApi: true });
    pusher = new Pusher(registry);
    key = createTestKey();
    checker = checkerFor(
      [{ host: registry.host, insecure: true, publicKeys: [key.pem] }],
      { timeoutMs: 500, maxBytes: 64 * 1024 },
    );
    const at = { pusher, repository: 'dhi/node' };
    await pushDhiImage(at, at, '22', key, {
      image: 'node',
      scoutName: 'dhi/node',
      signing: 'cosign-referrer',
    });
  });
  afterAll(() => registry.stop());
  afterEach(() => {
    registry.fault = () => undefined;
  });

  it('verified through the OCI 1.1 referrers API, with no referrers tag present', async () => {
    const { report } = await checker.check(ref('dhi/node', '22'));
    expect(report.status).toBe('verified');
    expect(report.signatures.map(s => s.source)).toEqual([
      'referrers',
      ...Object.keys(dhiPredicates('node')).map(
        () => 'referrers (attestation)',
      ),
    ]);
    expect(
      registry.requests.some(r =>
        /^GET .*\/manifests\/sha256-[a-f0-9]{64}$/.test(r),
      ),
    ).toBe(false);
  });

  it.each([
    [
      'slow beyond the timeout',
      () => 'hang' as const,
      /timed out after 500 ms/,
    ],
    ['HTTP 500', () => 500, /HTTP 500/],
    ['malformed JSON', () => 'malformed' as const, /is not JSON/],
  ])('%s -> unavailable error with a reason', async (_name, fault, message) => {
    registry.fault = (_method, path) =>
      path.endsWith('/manifests/22') ? fault() : undefined;
    await expect(checker.check(ref('dhi/node', '22'))).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(message),
    });
  });

  it('a huge manifest is refused as untrustworthy', async () => {
    registry.fault = (_m, path) =>
      path.endsWith('/manifests/22')
        ? { body: Buffer.alloc(200 * 1024, 32) }
        : undefined;
    await expect(checker.check(ref('dhi/node', '22'))).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/over the 65536-byte limit/),
    });
  });

  it('a manifest whose bytes do not hash to its digest is refused', async () => {
    const image = await pushImage(pusher, 'swap/app', '1');
    registry.fault = (_m, path) =>
      path.endsWith(`/manifests/${image.indexDigest}`)
        ? {
            body: Buffer.from(
              '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
            ),
          }
        : undefined;
    await expect(
      checker.check(`${registry.host}/swap/app@${image.indexDigest}`),
    ).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(
        /hashes to sha256:[a-f0-9]+, not the digest it was asked for/,
      ),
    });
  });

  it('a redirect to a host that is not allowed is not followed', async () => {
    const other = await startFakeRegistry({ host: '127.0.0.2' });
    try {
      registry.fault = (_m, path) =>
        path.includes('/blobs/')
          ? { redirect: `http://${other.host}/v2/x/blobs/y` }
          : undefined;
      await expect(checker.check(ref('dhi/node', '22'))).rejects.toThrow(
        /Redirect to 127\.0\.0\.2:\d+ is not an allowed host/,
      );
      expect(other.requests).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('reaches a registry through its configured endpoint (a mirror of Docker Hub)', async () => {
    await pushImage(pusher, 'library/node', '22-slim');
    const mirrored = checkerFor([
      {
        host: 'docker.io',
        endpoint: `http://${registry.host}`,
        insecure: true,
      },
    ]);
    const { report } = await mirrored.check('node:22-slim');
    expect(report.status).toBe('unsigned');
    expect(registry.requests).toContain(
      'GET /v2/library/node/manifests/22-slim',
    );
  });

  it('a registry that is not configured is never contacted', async () => {
    const before = registry.requests.length;
    const { report } = await checkerFor([]).check(ref('dhi/node', '22'));
    expect(report.status).toBe('not-checked');
    expect(registry.requests.length).toBe(before);
  });
});
