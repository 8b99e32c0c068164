import { checkerFor } from '../__testUtils__/checker';
import { startFakeRegistry, FakeRegistry } from '../__testUtils__/fakeRegistry';
import { pushDhiImage } from '../__testUtils__/dockerLayouts';
import { createTestKey } from '../__testUtils__/images';
import { Pusher } from '../__testUtils__/pusher';

/**
 * Registries send blob downloads elsewhere (a CDN with signed URLs): the
 * credential for the registry goes to the registry's host only.
 */
describe('ImageChecker: credentials and redirects', () => {
  let registry: FakeRegistry;
  /** Another loopback host, allowed as an extra host: a blob CDN. */
  let cdn: FakeRegistry;
  let check: ReturnType<typeof checkerFor>['check'];
  const blobPath = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/;

  beforeAll(async () => {
    registry = await startFakeRegistry({ bearerAuth: true });
    cdn = await startFakeRegistry({ host: '127.0.0.2' });
    cdn.fault = (_m, path) => {
      const blob = registry.blob(path.replace('/cdn/', ''));
      return blob ? { body: blob } : 404;
    };
    const key = createTestKey();
    const pusher = new Pusher(registry);
    const at = { pusher, repository: 'dhi/python' };
    await pushDhiImage(at, at, '3.13', key, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-referrer',
    });
    ({ check } = checkerFor([
      {
        host: registry.host,
        insecure: true,
        publicKeys: [key.pem],
        credentials: registry.credentials,
        extraHosts: [cdn.host],
      },
    ]));
  });
  afterAll(async () => {
    await registry.stop();
    await cdn.stop();
  });
  afterEach(() => {
    registry.fault = () => undefined;
  });

  const blobRequests = (server: FakeRegistry, pattern: RegExp) =>
    server.received.filter(r => pattern.test(r.request.replace('GET ', '')));

  it('a redirect to another host is sent without the Authorization header', async () => {
    registry.fault = (_m, path) => {
      const blob = blobPath.exec(path);
      return blob
        ? { redirect: `http://${cdn.host}/cdn/${blob[1]}` }
        : undefined;
    };
    const { report } = await check(`${registry.host}/dhi/python:3.13`);
    expect(report.status).toBe('verified');

    const asked = blobRequests(registry, blobPath);
    const followed = blobRequests(cdn, /^\/cdn\//);
    expect(followed.length).toBeGreaterThan(0);
    expect(followed).toHaveLength(asked.length);
    for (const { headers } of asked)
      expect(headers.authorization).toBe('Bearer fake');
    // not even an empty header: the key itself is gone
    for (const { headers } of followed)
      expect(headers).not.toHaveProperty('authorization');
  });

  it('a redirect on the same host keeps the Authorization header', async () => {
    registry.fault = (_m, path) => {
      const blob = blobPath.exec(path);
      return blob
        ? { redirect: `http://${registry.host}/cdn/${blob[1]}` }
        : undefined;
    };
    const before = registry.received.length;
    const { report } = await check(`${registry.host}/dhi/python:3.13`);
    expect(report.status).toBe('verified');

    const followed = registry.received
      .slice(before)
      .filter(r => r.request.startsWith('GET /cdn/'));
    expect(followed.length).toBeGreaterThan(0);
    for (const { headers } of followed)
      expect(headers.authorization).toBe('Bearer fake');
  });

  it("docker.io's extraHosts add to its built-in hosts (auth and Docker's blob CDNs)", async () => {
    const hub = checkerFor([
      {
        host: 'docker.io',
        endpoint: `http://${registry.host}`,
        insecure: true,
        credentials: registry.credentials,
        extraHosts: [cdn.host],
      },
    ]);
    // a configured extra host is followed
    registry.fault = (_m, path) => {
      const blob = blobPath.exec(path);
      return blob
        ? { redirect: `http://${cdn.host}/cdn/${blob[1]}` }
        : undefined;
    };
    const cdnBefore = cdn.requests.length;
    const { report } = await hub.check('dhi/python:3.13');
    expect(cdn.requests.length).toBeGreaterThan(cdnBefore);
    // read through, and judged: no key is trusted for Docker Hub as a whole
    expect(report).toMatchObject({
      status: 'invalid',
      message: expect.stringContaining(
        'does not verify: no keys are trusted for docker.io/dhi/python',
      ),
    });
    // and so is a built-in one: refused for plain HTTP, after the host passed
    // (an https:// redirect would leave this machine)
    for (const cdnHost of [
      'production.cloudfront.docker.com',
      'production.cloudflare.docker.com',
      'docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com',
    ]) {
      registry.fault = (_m, path) =>
        blobPath.test(path)
          ? { redirect: `http://${cdnHost}/blob` }
          : undefined;
      await expect(hub.check('dhi/python:3.13')).rejects.toThrow(
        `Redirect to http://${cdnHost}/blob is not HTTPS`,
      );
    }
  });
});
