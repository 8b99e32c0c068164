import crypto from 'node:crypto';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { parseImageReference } from '@internal/backstage-plugin-base-images-common';
import { ResultStore } from '../database/ResultStore';
import { checkerFor } from '../__testUtils__/checker';
import { startFakeRegistry, FakeRegistry } from '../__testUtils__/fakeRegistry';
import {
  bundleToJSON,
  cosignSign,
  createTestKey,
  dsseBundle,
  DSSE_ENVELOPE,
  envelopeFor,
  OCI_INDEX,
  PROVENANCE,
  pushAttestationTag,
  pushBundleReferrer,
  pushImage,
  sha256,
  statementFor,
  TestKey,
} from '../__testUtils__/images';
import { pushDhiImage } from '../__testUtils__/dockerLayouts';
import { PushedDescriptor, Pusher } from '../__testUtils__/pusher';
import { CachedAttestationService } from './AttestationService';

jest.setTimeout(60_000);

const MIB = 1024 * 1024;

/**
 * A hostile or broken registry costs a check at most its budget: each case
 * ends as `unavailable` with a message naming the limit, and leaves the event
 * loop free for everyone else's checks.
 */
describe('ImageChecker: the budget of one check', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let registry: FakeRegistry;
  let pusher: Pusher;
  let key: TestKey;
  let host: string;
  const hostile = {
    layers: { count: 0, blobDigest: '', manifestSize: 0 },
  };
  /** Default limits, the way the plugin runs. */
  let checker: ReturnType<typeof checkerFor>;
  const registryConfig = () => ({
    host: registry.host,
    insecure: true,
    publicKeys: [key.pem],
  });
  const blobRequests = (digest: string) =>
    registry.requests.filter(r => r.endsWith(`/blobs/${digest}`)).length;
  const elapsed = async (run: () => Promise<unknown>) => {
    const started = performance.now();
    await run().catch(() => undefined);
    return performance.now() - started;
  };

  /** A signed DSSE provenance envelope for `subject`, padded to just under 8 MiB. */
  async function bigEnvelope(subject: string): Promise<Buffer> {
    const statement = JSON.parse(statementFor(subject, PROVENANCE));
    statement.predicate.padding = 'x'.repeat(6 * MIB - 1024);
    return Buffer.from(
      JSON.stringify(await envelopeFor(key, JSON.stringify(statement))),
    );
  }

  /** A signed image whose index's `.att` tag lists these blobs, `repeat` times over. */
  async function signedImageAttesting(
    repository: string,
    blobs: Buffer[],
    repeat = 1,
  ) {
    const image = await pushImage(pusher, repository, '1');
    await cosignSign(pusher, repository, image.indexDigest, key);
    const layers: PushedDescriptor[] = [];
    for (const blob of blobs)
      layers.push(await pusher.blob(repository, blob, DSSE_ENVELOPE));
    const manifest = await pushAttestationTag(
      pusher,
      repository,
      image.indexDigest,
      Array.from({ length: repeat }, () => layers).flat(),
    );
    return { image, layers, manifest };
  }

  /** A DSSE envelope with 50,000 signatures, the one good signature last. */
  async function paddedEnvelope(): Promise<Buffer> {
    const envelope = (await envelopeFor(
      key,
      statementFor(`sha256:${'4'.repeat(64)}`, PROVENANCE),
    )) as { signatures: object[] };
    // a well-formed ECDSA signature by another key: each copy costs a verification
    const other = createTestKey();
    const wrong = {
      keyid: '',
      sig: crypto.sign('sha256', Buffer.from('junk'), other.privateKey),
    };
    const junk = Array.from({ length: 49_999 }, () => ({
      ...wrong,
      sig: wrong.sig.toString('base64'),
    }));
    return Buffer.from(
      JSON.stringify({
        ...envelope,
        signatures: [...junk, ...envelope.signatures],
      }),
    );
  }

  /** A Sigstore bundle with 20,000 transparency-log entries (verification compares them pairwise). */
  async function paddedBundle(subject: string): Promise<object> {
    const bundle = bundleToJSON(
      await dsseBundle(key, statementFor(subject, PROVENANCE)),
    ) as any;
    bundle.verificationMaterial.tlogEntries = Array.from(
      { length: 20_000 },
      (_, i) => ({
        logIndex: String(i),
        logId: { keyId: 'AAAA' },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(1_700_000_000 + i),
        inclusionPromise: { signedEntryTimestamp: 'AAAA' },
        inclusionProof: {
          logIndex: String(i),
          rootHash: 'AAAA',
          treeSize: '1',
          hashes: [],
          checkpoint: { envelope: 'x' },
        },
        canonicalizedBody: 'AAAA',
      }),
    );
    return bundle;
  }

  const randomDescriptor = (mediaType: string) => ({
    mediaType,
    digest: sha256(crypto.randomBytes(8)),
    size: 1000,
  });

  beforeAll(async () => {
    registry = await startFakeRegistry({ referrersApi: true });
    host = registry.host;
    pusher = new Pusher(registry);
    key = createTestKey();
    checker = checkerFor([registryConfig()]);
    const at = { pusher, repository: 'dhi/python' };
    await pushDhiImage(at, at, '3.13', key, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-referrer',
    });

    // the hostile images several tests use
    const big = await bigEnvelope(`sha256:${'5'.repeat(64)}`);
    const descriptor = JSON.stringify({
      mediaType: DSSE_ENVELOPE,
      digest: sha256(big),
      size: big.length,
    });
    const count = Math.floor((4 * MIB - 1024) / (descriptor.length + 1));
    const { manifest } = await signedImageAttesting(
      'hostile/layers',
      [big],
      count,
    );
    hostile.layers = {
      count,
      blobDigest: sha256(big),
      manifestSize: manifest.size,
    };
    await signedImageAttesting('hostile/dsse', [await paddedEnvelope()]);
    const bundled = await pushImage(pusher, 'hostile/bundle', '1');
    await pushBundleReferrer(
      pusher,
      'hostile/bundle',
      bundled.manifest,
      await paddedBundle(bundled.manifestDigest),
      'bundle',
    );
  });
  afterAll(() => registry.stop());
  afterEach(() => {
    registry.fault = () => undefined;
  });

  it('a normal image checks within the default budget', async () => {
    const { report } = await checker.check(`${host}/dhi/python:3.13`);
    expect(report.status).toBe('verified');
  });

  describe('caps on what a registry lists', () => {
    it('a 4 MiB manifest listing the same 8 MiB blob thousands of times stops at the layer limit, reading the blob at most once', async () => {
      const { count, blobDigest, manifestSize } = hostile.layers;
      expect(manifestSize).toBeGreaterThan(3.9 * MIB);
      expect(manifestSize).toBeLessThanOrEqual(4 * MIB);

      await expect(
        checker.check(`${host}/hostile/layers:1`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxLayers',
        message: expect.stringMatching(
          new RegExp(
            `^the check of ${host}/hostile/layers:1 stopped: the attestation manifest sha256:[a-f0-9]{12} lists ${count} layers, over the limit of 32 layers per manifest$`,
          ),
        ),
      });
      expect(blobRequests(blobDigest)).toBeLessThanOrEqual(1);
    });

    it('a DSSE envelope with 50,000 signatures stops the check before one is verified', async () => {
      await expect(
        checker.check(`${host}/hostile/dsse:1`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxSignatures',
        message: expect.stringMatching(
          /stopped: the DSSE envelope sha256:[a-f0-9]{12} lists 50000 signatures, over the limit of 16 signatures per envelope or bundle$/,
        ),
      });
    });

    it('a Sigstore bundle with 20,000 transparency-log entries stops the check before it is verified', async () => {
      await expect(
        checker.check(`${host}/hostile/bundle:1`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxSignatures',
        message: expect.stringMatching(
          /stopped: the Sigstore bundle sha256:[a-f0-9]{12} lists 20000 transparency-log entries, over the limit of 16 signatures per envelope or bundle$/,
        ),
      });
    });

    it('an index with 100,000 entries stops the check before any entry is fetched', async () => {
      // 13 MiB of index: past the 4 MiB object limit the plugin runs with, so
      // this checker allows bigger objects to reach the entry limit
      const wide = checkerFor([registryConfig()], { maxBytes: 16 * MIB });
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: Array.from({ length: 100_000 }, () =>
            randomDescriptor('application/vnd.oci.image.manifest.v1+json'),
          ),
        }),
      );
      registry.fault = (_m, path) =>
        path === '/v2/hostile/index/manifests/1'
          ? { body: index, contentType: OCI_INDEX }
          : undefined;
      const before = registry.requests.length;
      await expect(wide.check(`${host}/hostile/index:1`)).rejects.toMatchObject(
        {
          kind: 'unavailable',
          limit: 'maxIndexEntries',
          message: `the check of ${host}/hostile/index:1 stopped: the image index lists 100000 entries, over the limit of 256 entries per index`,
        },
      );
      expect(registry.requests.slice(before)).toEqual([
        'GET /v2/hostile/index/manifests/1',
      ]);
    });

    it('a referrers list with thousands of entries stops the check before any referrer is fetched', async () => {
      const image = await pushImage(pusher, 'hostile/referrers', '1');
      const listed = Array.from({ length: 5000 }, () =>
        randomDescriptor('application/vnd.oci.image.manifest.v1+json'),
      );
      registry.fault = (_m, path) =>
        path === `/v2/hostile/referrers/referrers/${image.indexDigest}`
          ? {
              body: Buffer.from(
                JSON.stringify({
                  schemaVersion: 2,
                  mediaType: OCI_INDEX,
                  manifests: listed,
                }),
              ),
              contentType: OCI_INDEX,
            }
          : undefined;
      await expect(
        checker.check(`${host}/hostile/referrers:1`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxReferrers',
        message: expect.stringMatching(
          /stopped: the referrers list of sha256:[a-f0-9]{12} on 127\.0\.0\.1:\d+ lists 5000 referrers, over the limit of 64 referrers per subject$/,
        ),
      });
      const fetched = new Set(registry.requests);
      expect(
        listed.filter(d =>
          fetched.has(`GET /v2/hostile/referrers/manifests/${d.digest}`),
        ),
      ).toEqual([]);
    });
  });

  describe('identical content is read once', () => {
    it('an 8 MiB blob listed again and again, by one manifest and by another, is read once', async () => {
      const image = await pushImage(pusher, 'shared/blob', '1');
      await cosignSign(pusher, 'shared/blob', image.indexDigest, key);
      const blob = await pusher.blob(
        'shared/blob',
        await bigEnvelope(image.manifestDigest),
        DSSE_ENVELOPE,
      );
      expect(blob.size).toBeGreaterThan(7.9 * MIB);
      // 20 listings: 160 MiB if each were read, five times the byte budget
      for (const digest of [image.indexDigest, image.manifestDigest]) {
        await pushAttestationTag(
          pusher,
          'shared/blob',
          digest,
          Array.from({ length: 10 }, () => blob),
        );
      }

      const { report } = await checker.check(`${host}/shared/blob:1`);
      expect(report.status).toBe('incomplete');
      expect(blobRequests(blob.digest)).toBe(1);
      // one attestation per manifest, not one per listing
      expect(
        report.attestations.map(a => [a.predicateType, a.verified]),
      ).toEqual([
        [PROVENANCE, true],
        [PROVENANCE, true],
      ]);
    });

    it('reading more than the byte budget stops the check', async () => {
      const blobs = Array.from({ length: 5 }, () =>
        crypto.randomBytes(7 * MIB),
      );
      await signedImageAttesting('hostile/bytes', blobs);
      await expect(
        checker.check(`${host}/hostile/bytes:1`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxBytes',
        message: `the check of ${host}/hostile/bytes:1 stopped: read budget of 32 MiB exhausted (does a registry serve far larger signatures or attestations than an image has?)`,
      });
    });

    it('a registry that lists without end runs out of requests', async () => {
      const frugal = checkerFor([registryConfig()], {
        limits: { maxRequests: 5 },
      });
      const before = registry.requests.length;
      await expect(
        frugal.check(`${host}/dhi/python:3.13`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'maxRequests',
        message: expect.stringMatching(
          /^the check of 127\.0\.0\.1:\d+\/dhi\/python:3\.13 stopped: registry request budget of 5 exhausted/,
        ),
      });
      expect(registry.requests.length - before).toBe(5);
    });
  });

  describe('the deadline', () => {
    /** Requests may take 10 s each, the whole check only 1 s. */
    const slow = () =>
      checkerFor([registryConfig()], {
        timeoutMs: 10_000,
        limits: { deadlineMs: 1000 },
      });

    it('a registry that answers each request late is stopped at the deadline', async () => {
      const started = performance.now();
      registry.fault = () => ({ delayMs: 300 });
      await expect(
        slow().check(`${host}/dhi/python:3.13`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'deadlineMs',
        message: `the check of ${host}/dhi/python:3.13 stopped: its deadline of 1 s passed (is a registry answering slowly?)`,
      });
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it('a body that drips forever is aborted at the deadline', async () => {
      const started = performance.now();
      registry.fault = (_m, path) =>
        path.endsWith('/manifests/3.13') ? { dripEveryMs: 50 } : undefined;
      await expect(
        slow().check(`${host}/dhi/python:3.13`),
      ).rejects.toMatchObject({
        kind: 'unavailable',
        limit: 'deadlineMs',
        message: expect.stringMatching(/its deadline of 1 s passed/),
      });
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it('through AttestationService, a stopped check is unavailable with the last known result', async () => {
      const knex = await databases.init('SQLITE_3');
      const store = await ResultStore.create(mockServices.database({ knex }));
      const serviceWith = (
        { client, checker: imageChecker }: ReturnType<typeof checkerFor>,
        tagTtlMs: number,
      ) =>
        new CachedAttestationService({
          client,
          checker: imageChecker,
          store,
          logger: mockServices.logger.mock(),
          tagTtlMs,
        });
      const image = parseImageReference(`${host}/dhi/python:3.13`);
      const first = await serviceWith(checker, 60_000).status(image);
      expect(first.report.status).toBe('verified');

      // a second replica whose stored result is already stale checks again
      registry.fault = () => ({ delayMs: 300 });
      await new Promise(resolve => setTimeout(resolve, 5));
      const { report } = await serviceWith(slow(), 1).status(image);
      expect(report).toMatchObject({
        status: 'unavailable',
        message: `the check of ${host}/dhi/python:3.13 stopped: its deadline of 1 s passed (is a registry answering slowly?)`,
        lastKnown: { status: 'verified' },
      });
    });
  });

  it('a normal check answers in its usual time while hostile checks run', async () => {
    const normal = () => checker.check(`${host}/dhi/python:3.13`);
    let alone = 0;
    for (let i = 0; i < 3; i++) alone = Math.max(alone, await elapsed(normal));

    const hostileChecks = Promise.allSettled(
      ['hostile/dsse:1', 'hostile/layers:1', 'hostile/bundle:1'].map(ref =>
        checker.check(`${host}/${ref}`),
      ),
    );
    let status: string | undefined;
    const alongside = await elapsed(async () => {
      status = (await normal()).report.status;
    });
    const results = await hostileChecks;

    expect(status).toBe('verified');
    expect(results.map(r => r.status === 'rejected' && r.reason.limit)).toEqual(
      ['maxSignatures', 'maxLayers', 'maxSignatures'],
    );
    expect(alongside).toBeLessThan(3 * alone + 1000);
  });
});
