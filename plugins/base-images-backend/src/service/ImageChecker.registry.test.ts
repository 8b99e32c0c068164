import {
  startLocalRegistry,
  LocalRegistry,
} from '../__testUtils__/localRegistry';
import { Pusher } from '../__testUtils__/pusher';
import {
  addReferrer,
  bundleToJSON,
  cosignAttest,
  cosignSign,
  createTestKey,
  dsseBundle,
  envelopeFor,
  PROVENANCE,
  pushBundleReferrer,
  pushImage,
  SBOM,
  statementFor,
  TestKey,
  VEX,
} from '../__testUtils__/images';
import { checkerFor } from '../__testUtils__/checker';
import {
  DHI_PREDICATE_TYPES,
  dhiPredicates,
  FIXTURE_PACKAGES,
  pushDhiAttestation,
  pushDhiImage,
  pushPlatformImage,
  signDigest,
} from '../__testUtils__/dockerLayouts';

/**
 * Against Debian's docker-registry (distribution 2.8) with token auth.
 * Signatures are made by openssl and @sigstore/sign, never by our verifier.
 */
describe('ImageChecker against a real registry', () => {
  let registry: LocalRegistry;
  let pusher: Pusher;
  let trusted: TestKey;
  let untrusted: TestKey;
  let check: ReturnType<typeof checkerFor>['check'];
  const ref = (repository: string, tag = '1') =>
    `${registry.host}/${repository}:${tag}`;

  beforeAll(async () => {
    registry = await startLocalRegistry();
    pusher = new Pusher(registry);
    trusted = createTestKey();
    untrusted = createTestKey();
    ({ check } = checkerFor([
      {
        host: registry.host,
        insecure: true,
        publicKeys: [trusted.pem],
        credentials: registry.credentials,
        extraHosts: [registry.tokenHost],
      },
    ]));
  }, 60_000);
  afterAll(() => registry?.stop());

  const allPredicates = [PROVENANCE, SBOM, VEX];

  it('verified: cosign signature on the index and signed DSSE attestations in .att', async () => {
    const image = await pushImage(pusher, 'signed/app', '1');
    await cosignSign(pusher, 'signed/app', image.indexDigest, trusted);
    await cosignAttest(
      pusher,
      'signed/app',
      image.manifestDigest,
      await Promise.all(
        allPredicates.map(p =>
          envelopeFor(trusted, statementFor(image.manifestDigest, p)),
        ),
      ),
    );
    const { report, digest, platformDigest } = await check(ref('signed/app'));
    expect(report.status).toBe('verified');
    // what the tag resolves to: the index, as `docker pull` and pins name it
    expect(digest).toBe(image.indexDigest);
    expect(platformDigest).toBe(image.manifestDigest);
    expect(report.signatures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: 'cosign-tag',
          format: 'cosign',
          verified: true,
          subjectDigest: image.indexDigest,
        }),
      ]),
    );
    expect(report.attestations.map(a => [a.predicateType, a.verified])).toEqual(
      allPredicates.map(p => [p, true]),
    );
    expect(report.attestations[0].signer).toMatch(/^[a-f0-9]{64}$/);
  });

  it('verified: Sigstore DSSE bundles found through the sha256-<hex> referrers tag', async () => {
    const image = await pushImage(pusher, 'bundle/app', '1');
    // cosign 3 signs the index with a bundle referrer too
    await signDigest(
      { pusher, repository: 'bundle/app', referrersTag: true },
      image.index,
      trusted,
      'bundle',
      { scoutName: 'bundle/app' },
    );
    let referrers: any[] = [];
    for (const [i, predicate] of allPredicates.entries()) {
      const bundle = await dsseBundle(
        trusted,
        statementFor(image.manifestDigest, predicate),
      );
      const pushed = await pushBundleReferrer(
        pusher,
        'bundle/app',
        image.manifest,
        bundleToJSON(bundle) as object,
        `bundle-${i}`,
      );
      referrers = await addReferrer(
        pusher,
        'bundle/app',
        image.manifestDigest,
        pushed,
        referrers,
      );
    }
    const { report } = await check(ref('bundle/app'));
    expect(report.status).toBe('verified');
    expect(report.signatures).toEqual([
      expect.objectContaining({
        source: 'referrers-tag',
        format: 'sigstore-bundle',
        verified: true,
        subjectDigest: image.indexDigest,
      }),
    ]);
    expect(report.message).toMatch(/3 verified attestations/);
  });

  it("verified: DHI's layout through the sha256-<hex> referrers tag, with the figures", async () => {
    const at = { pusher, repository: 'dhi/python', referrersTag: true };
    const image = await pushDhiImage(at, at, '3.13', trusted, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-referrer',
    });
    const { report } = await check(ref('dhi/python', '3.13'));
    expect(report.status).toBe('verified');
    expect(report.attestations.map(a => [a.predicateType, a.verified])).toEqual(
      Object.keys(dhiPredicates('python')).map(type => [type, true]),
    );
    expect(report.figures).toEqual({
      packages: FIXTURE_PACKAGES,
      vulnerabilities: {
        total: 2,
        critical: 0,
        high: 1,
        medium: 0,
        low: 1,
        suppressedByVex: 1,
      },
      sizeBytes: image.amd64Size,
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    expect(
      report.attestations.find(
        a => a.predicateType === DHI_PREDICATE_TYPES.fips,
      ),
    ).toMatchObject({ verified: true, signer: expect.any(String) });
  });

  it('unsigned: a slim-like image with unsigned BuildKit attestations, pulled anonymously', async () => {
    // BuildKit's SPDX SBOM: the image (described) and two packages
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      SPDXID: 'SPDXRef-DOCUMENT',
      documentDescribes: ['SPDXRef-image'],
      packages: [
        { SPDXID: 'SPDXRef-image', name: 'python' },
        { SPDXID: 'SPDXRef-libc6', name: 'libc6' },
        { SPDXID: 'SPDXRef-openssl', name: 'openssl' },
      ],
    };
    const image = await pushImage(pusher, 'public/slim', '1', {
      buildkitAttestations: [PROVENANCE, 'https://spdx.dev/Document'],
      buildkitPredicates: { 'https://spdx.dev/Document': spdx },
    });
    const anonymous = checkerFor([
      { host: registry.host, insecure: true, extraHosts: [registry.tokenHost] },
    ]);
    const before = registry.tokenRequests.length;
    const { report, digest } = await anonymous.check(ref('public/slim'));
    expect(report.status).toBe('unsigned');
    expect(digest).toBe(image.indexDigest);
    expect(report.attestations.map(a => [a.predicateType, a.verified])).toEqual(
      [
        [PROVENANCE, false],
        ['https://spdx.dev/Document', false],
      ],
    );
    expect(report.message).toBe(
      'no signature found; 2 unsigned attestations listed',
    );
    // the seed's figures for a slim image, its SBOM marked as nobody's word
    expect(report.figures).toEqual({
      packages: 2,
      unsignedSbom: true,
      sizeBytes: 256,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(registry.tokenRequests.slice(before).every(r => !r.authorized)).toBe(
      true,
    );
  });

  it('incomplete: the index is signed but required attestations are missing', async () => {
    const image = await pushImage(pusher, 'incomplete/app', '1');
    await cosignSign(pusher, 'incomplete/app', image.indexDigest, trusted);
    await cosignAttest(pusher, 'incomplete/app', image.manifestDigest, [
      await envelopeFor(
        trusted,
        statementFor(image.manifestDigest, PROVENANCE),
      ),
    ]);
    const { report } = await check(ref('incomplete/app'));
    expect(report.status).toBe('incomplete');
    expect(report.message).toMatch(
      /missing or unsigned: https:\/\/cyclonedx\.org\/bom, https:\/\/openvex\.dev\/ns/,
    );
  });

  describe('tampering never verifies', () => {
    const signedAndAttested = async (
      repository: string,
      sign: (digest: string) => Promise<unknown>,
    ) => {
      const image = await pushImage(pusher, repository, '1');
      await sign(image.indexDigest);
      await cosignAttest(
        pusher,
        repository,
        image.manifestDigest,
        await Promise.all(
          allPredicates.map(p =>
            envelopeFor(trusted, statementFor(image.manifestDigest, p)),
          ),
        ),
      );
      return (await check(ref(repository))).report;
    };

    it.each([
      [
        'flipped payload byte',
        { flipPayloadByte: true },
        /does not verify with any trusted key/,
      ],
      [
        'payload naming another digest',
        { payloadDigest: `sha256:${'0'.repeat(64)}` },
        /names sha256:0000.*not sha256:/,
      ],
      [
        'truncated DER',
        {
          signature: (s: Buffer) =>
            s.subarray(0, s.length - 6).toString('base64'),
        },
        /does not verify/,
      ],
      [
        'garbled DER',
        {
          signature: (s: Buffer) =>
            Buffer.concat([Buffer.from([0x31]), s.subarray(1)]).toString(
              'base64',
            ),
        },
        /does not verify/,
      ],
      ['bad base64', { signature: () => 'not*base64!' }, /not valid base64/],
      ['empty signature', { signature: () => '' }, /not valid base64/],
    ])('%s -> invalid', async (name, tamper, message) => {
      const report = await signedAndAttested(
        `tamper/${name.replace(/\W+/g, '-').toLowerCase()}`,
        digest =>
          cosignSign(
            pusher,
            `tamper/${name.replace(/\W+/g, '-').toLowerCase()}`,
            digest,
            trusted,
            tamper,
          ),
      );
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(message);
    });

    it('signature by an untrusted key -> invalid', async () => {
      const report = await signedAndAttested('tamper/untrusted', digest =>
        cosignSign(pusher, 'tamper/untrusted', digest, untrusted),
      );
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(/does not verify with any trusted key/);
    });

    it('DSSE statement about another image -> invalid', async () => {
      const image = await pushImage(pusher, 'tamper/dsse-subject', '1');
      await cosignSign(
        pusher,
        'tamper/dsse-subject',
        image.indexDigest,
        trusted,
      );
      const other = `sha256:${'1'.repeat(64)}`;
      await cosignAttest(
        pusher,
        'tamper/dsse-subject',
        image.manifestDigest,
        await Promise.all(
          allPredicates.map(p =>
            envelopeFor(
              trusted,
              statementFor(p === SBOM ? other : image.manifestDigest, p),
            ),
          ),
        ),
      );
      const { report } = await check(ref('tamper/dsse-subject'));
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(/names another image/);
    });

    it('Sigstore bundle with a tampered envelope -> invalid', async () => {
      const image = await pushImage(pusher, 'tamper/bundle', '1');
      const subject = image.manifest;
      const json = bundleToJSON(
        await dsseBundle(
          trusted,
          statementFor(image.manifestDigest, PROVENANCE),
        ),
      ) as any;
      const statement = JSON.parse(
        Buffer.from(json.dsseEnvelope.payload, 'base64').toString(),
      );
      statement.predicate.note = 'edited after signing';
      json.dsseEnvelope.payload = Buffer.from(
        JSON.stringify(statement),
      ).toString('base64');
      const pushed = await pushBundleReferrer(
        pusher,
        'tamper/bundle',
        subject,
        json,
        'bundle-0',
      );
      await addReferrer(pusher, 'tamper/bundle', image.manifestDigest, pushed);
      const { report } = await check(ref('tamper/bundle'));
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(/does not verify with any trusted key/);
    });

    /** A signed DHI-style index whose one attestation is made by `tamper`. */
    async function dhiWithAttestation(
      repository: string,
      key: TestKey,
      options: { statementSubject?: string; statementType?: string } = {},
    ) {
      const at = { pusher, repository, referrersTag: true };
      const image = await pushPlatformImage(pusher, repository, '1');
      await signDigest(at, image.index, trusted, 'cosign-tag', {
        scoutName: repository,
      });
      await pushDhiAttestation(at, image.amd64, PROVENANCE, {}, key, {
        scoutName: repository,
        signing: 'cosign-referrer',
        ...options,
      });
      return (await check(ref(repository))).report;
    }

    it('signed attestation manifest whose statement points at another image -> invalid', async () => {
      const report = await dhiWithAttestation('tamper/att-subject', trusted, {
        statementSubject: `sha256:${'2'.repeat(64)}`,
      });
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(/names another image/);
    });

    it('signed attestation manifest whose statement is of another type than its annotation -> invalid', async () => {
      const report = await dhiWithAttestation('tamper/att-type', trusted, {
        statementType: 'https://slsa.dev/provenance/v0.2',
      });
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(
        /the manifest names predicate type https:\/\/slsa\.dev\/provenance\/v1, its statement https:\/\/slsa\.dev\/provenance\/v0\.2/,
      );
    });

    it('attestation manifest signed by an untrusted key -> invalid', async () => {
      const report = await dhiWithAttestation('tamper/att-key', untrusted);
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(/does not verify with any trusted key/);
    });

    it('a digest-pinned reference that is not there is not found; pinned by its real digest it checks', async () => {
      const image = await pushImage(pusher, 'pinned/app', '1');
      await expect(
        check(`${registry.host}/pinned/app@sha256:${'3'.repeat(64)}`),
      ).rejects.toThrow(/pinned\/app@sha256:3333.* was not found/);
      expect(
        (await check(`${registry.host}/pinned/app@${image.indexDigest}`)).report
          .status,
      ).toBe('unsigned');
    });
  });

  describe('auth faults', () => {
    it('401 with bad credentials -> unavailable naming the credentials', async () => {
      const bad = checkerFor([
        {
          host: registry.host,
          insecure: true,
          credentials: { username: 'tester', password: 'wrong' },
          extraHosts: [registry.tokenHost],
        },
      ]);
      await expect(bad.check(ref('signed/app'))).rejects.toThrow(
        /token request to 127\.0\.0\.1:\d+ .* failed with HTTP 401 \(check the configured credentials\)/,
      );
    });

    it('a token realm on a host that is not allowed gets no credentials', async () => {
      const before = registry.tokenRequests.length;
      const noRealm = checkerFor([
        {
          host: registry.host,
          insecure: true,
          credentials: registry.credentials,
        },
      ]);
      await expect(noRealm.check(ref('signed/app'))).rejects.toThrow(
        /Token realm 127\.0\.0\.1:\d+ is not an allowed host/,
      );
      expect(registry.tokenRequests.length).toBe(before);
    });

    it('a private repository without credentials -> unavailable', async () => {
      const anonymous = checkerFor([
        {
          host: registry.host,
          insecure: true,
          extraHosts: [registry.tokenHost],
        },
      ]);
      await expect(anonymous.check(ref('signed/app'))).rejects.toMatchObject({
        kind: 'unavailable',
        message: `${registry.host} needs credentials: set baseImages.registries[${registry.host}].credentials (user name and password or access token)`,
      });
    });
  });
});

/**
 * A dhi.io Community image on distribution 2.8 behind dhi.io's token flow:
 * the token service is `registry.docker.io` and anonymous token requests get
 * 401 (docker/scout-cli#229). distribution 2.8 has no referrers API, so the
 * attestations are found through the `sha256-<hex>` referrers tag.
 */
describe("ImageChecker: a dhi.io image behind dhi.io's token flow", () => {
  let registry: LocalRegistry;
  let key: TestKey;
  const dhiIo = (credentials?: object) => ({
    host: 'dhi.io',
    endpoint: `http://${registry.host}`,
    insecure: true,
    // the stand-in's token service listens on another port; dhi.io's is https://dhi.io/token
    extraHosts: [registry.tokenHost],
    ...(credentials ? { credentials } : {}),
  });

  beforeAll(async () => {
    registry = await startLocalRegistry({
      service: 'registry.docker.io',
      anonymousTokens: false,
    });
    key = createTestKey();
    const pusher = new Pusher(registry);
    const at = { pusher, repository: 'python', referrersTag: true };
    await pushDhiImage(at, at, '3.13', key, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-both',
    });
  }, 60_000);
  afterAll(() => registry?.stop());

  it("verified with Docker's DHI keys (dhiKeys, the default for dhi.io)", async () => {
    const before = registry.tokenRequests.length;
    const { check } = checkerFor([dhiIo(registry.credentials)], {
      dhiKeys: [key.pem],
    });
    const { report } = await check('dhi.io/python:3.13');
    expect(report.status).toBe('verified');
    expect(report.signatures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'referrers-tag', verified: true }),
        expect.objectContaining({ source: 'cosign-tag', verified: true }),
      ]),
    );
    expect(registry.tokenRequests.slice(before)).toContainEqual({
      authorized: true,
      scope: 'repository:python:pull',
      service: 'registry.docker.io',
    });
  });

  it('without credentials: unavailable, saying what to configure', async () => {
    const { check } = checkerFor([dhiIo()], { dhiKeys: [key.pem] });
    await expect(check('dhi.io/python:3.13')).rejects.toMatchObject({
      kind: 'unavailable',
      message:
        'dhi.io needs credentials: set baseImages.registries[dhi.io].credentials (Docker ID and access token)',
    });
  });
});
