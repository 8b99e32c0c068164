import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { parseImageReference } from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from '../database/ResultStore';
import { checkerFor } from '../__testUtils__/checker';
import { startFakeRegistry, FakeRegistry } from '../__testUtils__/fakeRegistry';
import {
  createTestKey,
  PROVENANCE,
  pushImage,
  pushSignedAttestation,
  SBOM,
  VEX,
} from '../__testUtils__/images';
import { Pusher } from '../__testUtils__/pusher';
import { AttestationService } from './AttestationService';

jest.setTimeout(60_000);

/** The cache and the failure handling, on SQLite and on a real PostgreSQL. */
describe('AttestationService', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let registry: FakeRegistry;
  let image: string;

  beforeAll(async () => {
    registry = await startFakeRegistry();
    const key = createTestKey();
    const pusher = new Pusher(registry);
    const pushed = await pushImage(pusher, 'dhi/python', '3.13');
    for (const [i, predicate] of [PROVENANCE, SBOM, VEX].entries()) {
      await pushSignedAttestation(
        pusher,
        'dhi/python',
        pushed.index,
        predicate,
        key,
        { tag: `att-${i}` },
      );
    }
    image = `${registry.host}/dhi/python:3.13`;
    process.env.TEST_KEY_PEM = key.pem;
  });
  afterAll(() => registry.stop());
  afterEach(() => {
    registry.fault = () => undefined;
  });

  async function createService(
    databaseId: Parameters<typeof databases.init>[0],
    tagTtlMs = 60_000,
  ) {
    const knex = await databases.init(databaseId);
    const store = await ResultStore.create({
      getClient: async () => knex,
    } as any);
    const { client, checker } = checkerFor(
      [
        {
          host: registry.host,
          insecure: true,
          publicKeys: [process.env.TEST_KEY_PEM!],
        },
      ],
      { timeoutMs: 500 },
    );
    return new AttestationService({
      client,
      checker,
      store,
      logger: mockServices.logger.mock(),
      tagTtlMs,
    });
  }

  it.each(databases.eachSupportedId())(
    'caches by digest and serves repeat requests from the cache (%p)',
    async databaseId => {
      const service = await createService(databaseId);
      const first = await service.status(parseImageReference(image));
      expect(first.report.status).toBe('verified');
      expect(first.digest).toMatch(/^sha256:/);
      const requests = registry.requests.length;
      const second = await service.status(parseImageReference(image));
      expect(second).toEqual(first);
      expect(registry.requests.length).toBe(requests);
      await service.status(parseImageReference(image), { force: true });
      expect(registry.requests.length).toBeGreaterThan(requests);
    },
  );

  it.each(databases.eachSupportedId())(
    'a burst of 200 concurrent requests for one image makes one check (%p)',
    async databaseId => {
      const service = await createService(databaseId);
      const before = registry.requests.filter(r =>
        r.endsWith('/manifests/3.13'),
      ).length;
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          service.status(parseImageReference(image)),
        ),
      );
      expect(new Set(results.map(r => r.report.status))).toEqual(
        new Set(['verified']),
      );
      expect(service.checksStarted).toBe(1);
      expect(
        registry.requests.filter(r => r.endsWith('/manifests/3.13')).length -
          before,
      ).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'an outage turns a refresh into unavailable with the last known result (%p)',
    async databaseId => {
      const service = await createService(databaseId);
      await service.status(parseImageReference(image));
      for (const fault of [500, 'hang', 'malformed'] as const) {
        registry.fault = () => fault;
        const { report, digest } = await service.status(
          parseImageReference(image),
          { force: true },
        );
        expect(report.status).toBe('unavailable');
        expect(report.message).toMatch(/HTTP 500|timed out|not JSON/);
        expect(report.lastKnown).toEqual({
          status: 'verified',
          checkedAt: expect.any(String),
          ageSeconds: expect.any(Number),
        });
        expect(report.attestations).toHaveLength(3);
        expect(digest).toMatch(/^sha256:/);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'without any earlier result, unavailable has no last known result (%p)',
    async databaseId => {
      const service = await createService(databaseId);
      registry.fault = () => 503;
      const { report } = await service.status(
        parseImageReference(`${registry.host}/other/app:1`),
      );
      expect(report).toMatchObject({
        status: 'unavailable',
        lastKnown: undefined,
        signatures: [],
        attestations: [],
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'integrity failures are stored as invalid (%p)',
    async databaseId => {
      const service = await createService(databaseId);
      registry.fault = (_m, path) =>
        path.endsWith('/manifests/3.13')
          ? { body: Buffer.alloc(5 * 1024 * 1024, 32) }
          : undefined;
      const { report } = await service.status(parseImageReference(image), {
        force: true,
      });
      expect(report.status).toBe('invalid');
      registry.fault = () => 500;
      const later = await service.status(parseImageReference(image), {
        force: true,
      });
      expect(later.report.lastKnown?.status).toBe('invalid');
    },
  );

  it('images on registries outside the allow-list are not-checked, and never contacted', async () => {
    const service = await createService('SQLITE_3');
    const before = registry.requests.length;
    const { report } = await service.status(
      parseImageReference('evil.example.com/x:1'),
    );
    expect(report.status).toBe('not-checked');
    expect(registry.requests.length).toBe(before);
  });
});
