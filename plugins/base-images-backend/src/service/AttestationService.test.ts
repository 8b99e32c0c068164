import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  ImageReference,
  parseImageReference,
} from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from '../database/ResultStore';
import { checkerFor } from '../__testUtils__/checker';
import { startFakeRegistry, FakeRegistry } from '../__testUtils__/fakeRegistry';
import {
  dhiPredicates,
  pushDhiImage,
  pushPlatformImage,
} from '../__testUtils__/dockerLayouts';
import { createTestKey, PROVENANCE, SBOM, VEX } from '../__testUtils__/images';
import { Pusher } from '../__testUtils__/pusher';
import {
  CachedAttestationService,
  FORCED_CHECK_INTERVAL_MS,
  MAX_QUEUED_CHECKS,
} from './AttestationService';
import { CheckResult } from './ImageChecker';

jest.setTimeout(60_000);

/** The cache and the failure handling, on SQLite and on a real PostgreSQL. */
describe('AttestationService', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  let registry: FakeRegistry;
  let image: string;
  /** An unsigned index wrapping the signed image's platform manifest. */
  let wrapped: string;
  let indexDigest: string;

  beforeAll(async () => {
    registry = await startFakeRegistry();
    const key = createTestKey();
    const pusher = new Pusher(registry);
    const at = { pusher, repository: 'dhi/python' };
    const all = dhiPredicates('python');
    const pushed = await pushDhiImage(at, at, '3.13', key, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-referrer',
      // provenance, SBOM and VEX: what the checker requires
      predicates: Object.fromEntries(
        [PROVENANCE, SBOM, VEX].map(type => [type, all[type]]),
      ),
    });
    await pushPlatformImage(pusher, 'dhi/python', '3.13-wrapped', {
      image: 'python',
      amd64: pushed.amd64,
    });
    image = `${registry.host}/dhi/python:3.13`;
    wrapped = `${registry.host}/dhi/python:3.13-wrapped`;
    indexDigest = pushed.index.digest;
    process.env.TEST_KEY_PEM = key.pem;
  });
  afterAll(() => registry.stop());
  afterEach(() => {
    registry.fault = () => undefined;
  });

  /** A clock the tests move on, so forced re-checks are not rate-limited. */
  function testClock() {
    let now = Date.now();
    return {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  async function createStore(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    return ResultStore.create(mockServices.database({ knex }));
  }

  async function createService(
    databaseId: Parameters<typeof databases.init>[0],
    options: {
      clock?: ReturnType<typeof testClock>;
      store?: ResultStore;
      checker?: {
        check(image: ImageReference): Promise<CheckResult>;
        resolveDigest(image: ImageReference): Promise<string>;
      };
    } = {},
  ) {
    const store = options.store ?? (await createStore(databaseId));
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
    return new CachedAttestationService({
      client,
      checker: options.checker ?? checker,
      store,
      logger: mockServices.logger.mock(),
      tagTtlMs: 60_000,
      now: options.clock?.now,
    });
  }

  /** Stands in for the registry: counts checks, each taking a little while. */
  function countingChecker() {
    const counter = {
      checks: 0,
      async resolveDigest(): Promise<string> {
        return `sha256:${'a'.repeat(64)}`;
      },
      async check(): Promise<CheckResult> {
        counter.checks++;
        const n = counter.checks;
        await new Promise(resolve => setTimeout(resolve, 20));
        return {
          digest: `sha256:${'a'.repeat(64)}`,
          report: {
            status: 'verified',
            checkedAt: new Date().toISOString(),
            message: `check ${n}`,
            signatures: [],
            attestations: [],
          },
        };
      },
    };
    return counter;
  }

  it.each(databases.eachSupportedId())(
    'caches by digest and serves repeat requests from the cache (%p)',
    async databaseId => {
      const clock = testClock();
      const service = await createService(databaseId, { clock });
      const first = await service.status(parseImageReference(image));
      expect(first.report.status).toBe('verified');
      expect(first.digest).toMatch(/^sha256:/);
      const requests = registry.requests.length;
      const second = await service.status(parseImageReference(image));
      expect(second).toEqual(first);
      expect(registry.requests.length).toBe(requests);
      clock.advance(FORCED_CHECK_INTERVAL_MS + 1000);
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
      expect(
        registry.requests.filter(r => r.endsWith('/manifests/3.13')).length -
          before,
      ).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'an outage turns a refresh into unavailable with the last known result (%p)',
    async databaseId => {
      const clock = testClock();
      const service = await createService(databaseId, { clock });
      await service.status(parseImageReference(image));
      for (const fault of [500, 'hang', 'malformed'] as const) {
        registry.fault = () => fault;
        clock.advance(FORCED_CHECK_INTERVAL_MS + 1000);
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
      const clock = testClock();
      const service = await createService(databaseId, { clock });
      registry.fault = (_m, path) =>
        path.endsWith('/manifests/3.13')
          ? { body: Buffer.alloc(5 * 1024 * 1024, 32) }
          : undefined;
      const { report } = await service.status(parseImageReference(image), {
        force: true,
      });
      expect(report.status).toBe('invalid');
      registry.fault = () => 500;
      clock.advance(FORCED_CHECK_INTERVAL_MS + 1000);
      const later = await service.status(parseImageReference(image), {
        force: true,
      });
      expect(later.report.lastKnown?.status).toBe('invalid');
    },
  );

  it.each(databases.eachSupportedId())(
    'forced re-checks of one image run at most once a minute (%p)',
    async databaseId => {
      const clock = testClock();
      const checker = countingChecker();
      const service = await createService(databaseId, { clock, checker });
      const force = () =>
        service.status(parseImageReference(image), { force: true });

      const burst = await Promise.all(Array.from({ length: 50 }, force));
      expect(checker.checks).toBe(1);
      expect(new Set(burst.map(r => r.report.message))).toEqual(
        new Set(['check 1']),
      );

      clock.advance(30_000);
      const soon = await force();
      expect(checker.checks).toBe(1);
      expect(soon.report).toMatchObject({
        status: 'verified',
        message:
          'check 1 (checked 30 s ago; an image is re-checked at most once a minute)',
      });
      expect(soon.digest).toBe(`sha256:${'a'.repeat(64)}`);

      clock.advance(31_000);
      expect((await force()).report.message).toBe('check 2');
      expect(checker.checks).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'the limit holds across replicas through the stored result (%p)',
    async databaseId => {
      const clock = testClock();
      const store = await createStore(databaseId);
      const first = countingChecker();
      const second = countingChecker();
      const replicaA = await createService(databaseId, {
        clock,
        store,
        checker: first,
      });
      const replicaB = await createService(databaseId, {
        clock,
        store,
        checker: second,
      });
      await replicaA.status(parseImageReference(image), { force: true });
      clock.advance(10_000);
      const fromB = await replicaB.status(parseImageReference(image), {
        force: true,
      });
      expect(second.checks).toBe(0);
      expect(fromB.report.message).toBe(
        'check 1 (checked 10 s ago; an image is re-checked at most once a minute)',
      );
      clock.advance(FORCED_CHECK_INTERVAL_MS);
      await replicaB.status(parseImageReference(image), { force: true });
      expect(second.checks).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'stores results by the index a tag resolves to, not by its platform manifest (%p)',
    async databaseId => {
      const clock = testClock();
      const store = await createStore(databaseId);
      const first = await createService(databaseId, { clock, store });
      const signed = await first.status(parseImageReference(image));
      expect(signed).toMatchObject({
        digest: indexDigest,
        report: { status: 'verified' },
      });
      // the same platform manifest under another, unsigned index
      const other = await first.status(parseImageReference(wrapped));
      expect(other.report.status).toBe('unsigned');
      expect(other.digest).not.toBe(indexDigest);

      // another replica reads both from the database: neither overwrote the other
      const requests = registry.requests.length;
      const second = await createService(databaseId, { clock, store });
      expect(
        (await second.status(parseImageReference(image))).report.status,
      ).toBe('verified');
      expect(
        (await second.status(parseImageReference(wrapped))).report.status,
      ).toBe('unsigned');
      expect(registry.requests.length).toBe(requests);
    },
  );

  it('an outage is not re-asked within the minute either', async () => {
    const clock = testClock();
    const service = await createService('SQLITE_3', { clock });
    registry.fault = () => 503;
    const ref = parseImageReference(`${registry.host}/other/outage:1`);
    expect((await service.status(ref, { force: true })).report.status).toBe(
      'unavailable',
    );
    const requests = registry.requests.length;
    const again = await service.status(ref, { force: true });
    expect(again.report.status).toBe('unavailable');
    expect(again.report.message).toMatch(/at most once a minute/);
    expect(registry.requests.length).toBe(requests);
  });

  it('images on registries outside the allow-list are not-checked, and never contacted', async () => {
    const service = await createService('SQLITE_3');
    const before = registry.requests.length;
    const { report } = await service.status(
      parseImageReference('evil.example.com/x:1'),
    );
    expect(report.status).toBe('not-checked');
    expect(registry.requests.length).toBe(before);
  });

  it('one pinned digest is one image, however its tag is spelled (one check, one rate limit)', async () => {
    const clock = testClock();
    const checker = countingChecker();
    const service = await createService('SQLITE_3', { clock, checker });
    const digest = `sha256:${'c'.repeat(64)}`;
    const spellings = [
      `${registry.host}/pinned/app:1@${digest}`,
      `${registry.host}/pinned/app:other@${digest}`,
      `${registry.host}/pinned/app@${digest}`,
    ].map(ref => parseImageReference(ref));
    await Promise.all(spellings.map(spelling => service.status(spelling)));
    expect(checker.checks).toBe(1);
    for (const spelling of spellings) {
      expect(
        (await service.status(spelling, { force: true })).report.message,
      ).toMatch(/at most once a minute/);
    }
    expect(checker.checks).toBe(1);
  });

  it('turns checks away as unavailable once MAX_QUEUED_CHECKS are waiting', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    let started = 0;
    const checker = {
      async check(): Promise<CheckResult> {
        started++;
        await gate;
        return {
          digest: `sha256:${'d'.repeat(64)}`,
          report: {
            status: 'unsigned',
            checkedAt: new Date().toISOString(),
            message: 'no signature found',
            signatures: [],
            attestations: [],
          },
        };
      },
      resolveDigest: async () => `sha256:${'d'.repeat(64)}`,
    };
    const service = await createService('SQLITE_3', { checker });
    const flood = (i: number) =>
      parseImageReference(`${registry.host}/flood/image-${i}:1`);
    const waiting = Array.from({ length: MAX_QUEUED_CHECKS + 8 }, (_, i) =>
      service.status(flood(i)),
    );
    // every load reads the store first, then queues: let them all get there
    await new Promise(resolve => setTimeout(resolve, 1000));
    const turnedAway = await service.status(flood(99_999));
    expect(turnedAway.report).toMatchObject({
      status: 'unavailable',
      message: expect.stringMatching(
        /^the status backend is busy: \d+ registry checks are waiting/,
      ),
    });
    expect(started).toBe(8);
    release();
    const results = await Promise.all(waiting);
    expect(new Set(results.map(r => r.report.status))).toEqual(
      new Set(['unsigned']),
    );
  });
});
