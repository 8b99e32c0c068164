import crypto from 'node:crypto';
import {
  DEFAULT_FRAMEWORKS,
  frameworkEvidence,
} from '@internal/backstage-plugin-base-images-common';
import { checkerFor } from '../__testUtils__/checker';
import {
  DHI_PREDICATE_TYPES,
  DhiImage,
  dhiPredicates,
  FIXTURE_PACKAGES,
  pushDhiAttestation,
  pushDhiImage,
  pushPlatformImage,
  signDigest,
} from '../__testUtils__/dockerLayouts';
import { FakeRegistry, startFakeRegistry } from '../__testUtils__/fakeRegistry';
import { createTestKey, TestKey } from '../__testUtils__/images';
import { productionRegistries } from '../__testUtils__/productionConfig';
import { Pusher } from '../__testUtils__/pusher';
import { MAX_STATEMENT_BYTES } from './ImageChecker';

jest.setTimeout(60_000);

/** The repositories Docker Scout's registry holds; it answers 401 for the rest. */
const SCOUT_REPOSITORIES = new Set([
  'example-org/dhi-python',
  'example-org/dhi-node',
  'example-org/dhi-bundled',
]);
const CREDENTIALS = { username: 'tester', password: 'secret' };
const ENV = { DHI_USERNAME: 'tester', DHI_TOKEN: 'secret' };

/**
 * Docker's layouts (dockerLayouts.ts), checked with the registry section of
 * app-config.production.yaml as it is, each registry at a local stand-in:
 * dhi.io behind its token flow (service registry.docker.io, no anonymous
 * tokens), Docker Hub, and Docker Scout's registry, which refuses
 * repositories that are not DHI. The test key stands in for Docker's DHI key.
 */
describe("ImageChecker: Docker's layouts, configured as app-config.production.yaml", () => {
  let dhiIo: FakeRegistry;
  let hub: FakeRegistry;
  let scout: FakeRegistry;
  let dockerKey: TestKey;
  let community: DhiImage;
  let mirror: DhiImage;
  let check: ReturnType<typeof checkerFor>['check'];
  const standIns = () => ({
    'dhi.io': dhiIo.host,
    'docker.io': hub.host,
    'registry.scout.docker.com': scout.host,
  });
  const at = (registry: FakeRegistry, repository: string) => ({
    pusher: new Pusher(registry),
    repository,
  });
  /** The DHI predicates, with `changes` applied (undefined drops one). */
  const predicatesWith = (changes: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries({ ...dhiPredicates('python'), ...changes }).filter(
        ([, predicate]) => predicate !== undefined,
      ),
    );

  beforeAll(async () => {
    const bearer = { service: 'registry.docker.io', credentials: CREDENTIALS };
    dhiIo = await startFakeRegistry({ bearerAuth: bearer });
    hub = await startFakeRegistry({ bearerAuth: bearer });
    scout = await startFakeRegistry({
      bearerAuth: {
        credentials: CREDENTIALS,
        refuse: repository => !SCOUT_REPOSITORIES.has(repository),
      },
    });
    dockerKey = createTestKey();

    // Community: image, signatures and attestations on dhi.io
    const python = at(dhiIo, 'python');
    community = await pushDhiImage(python, python, '3.13', dockerKey, {
      image: 'python',
      scoutName: 'dhi/python',
      signing: 'cosign-referrer',
    });
    // Mirror: the image on Docker Hub, every referrer on Scout (regctl
    // image copy --referrers-src registry.scout.docker.com/<org>/dhi-python)
    mirror = await pushDhiImage(
      at(hub, 'example-org/dhi-python'),
      at(scout, 'example-org/dhi-python'),
      '3.13',
      dockerKey,
      {
        image: 'python',
        scoutName: 'example-org/dhi-python',
        signing: 'cosign-tag',
      },
    );
    // the same, signed by cosign 3: Sigstore bundles among the referrers
    await pushDhiImage(
      at(hub, 'example-org/dhi-node'),
      at(scout, 'example-org/dhi-node'),
      '22',
      dockerKey,
      { image: 'node', scoutName: 'example-org/dhi-node', signing: 'bundle' },
    );

    ({ check } = checkerFor(await productionRegistries(standIns(), ENV), {
      dhiKeys: [dockerKey.pem],
    }));
  });
  afterAll(async () => {
    await Promise.all([dhiIo, hub, scout].map(r => r?.stop()));
  });
  afterEach(() => {
    dhiIo.fault = () => undefined;
  });

  describe('the documented layouts verify', () => {
    it('a dhi.io Community image: signed index, signed attestations of the platform manifest, behind the token flow', async () => {
      const { report, digest, platformDigest } = await check(
        'dhi.io/python:3.13',
      );
      expect(report).toMatchObject({
        status: 'verified',
        message: `signed by a trusted key; ${
          Object.keys(dhiPredicates('python')).length
        } verified attestations`,
      });
      expect(digest).toBe(community.index.digest);
      expect(platformDigest).toBe(community.amd64.digest);
      expect(report.signatures[0]).toMatchObject({
        source: 'referrers',
        subjectDigest: community.index.digest,
        verified: true,
      });
      expect(
        report.signatures
          .slice(1)
          .every(s => s.source === 'referrers (attestation)' && s.verified),
      ).toBe(true);
      // dhi.io's token flow: service registry.docker.io, with the Docker account
      expect(dhiIo.tokenRequests).toContainEqual({
        authorized: true,
        scope: 'repository:python:pull',
        service: 'registry.docker.io',
      });
      expect(dhiIo.tokenRequests.every(r => r.authorized)).toBe(true);
    });

    it("reads the seed's figures from the verified attestations", async () => {
      const { report } = await check('dhi.io/python:3.13');
      expect(report.figures).toEqual({
        packages: FIXTURE_PACKAGES,
        // CVE-2025-0001 is not_affected; 0003 under_investigation still counts
        vulnerabilities: {
          total: 2,
          critical: 0,
          high: 1,
          medium: 0,
          low: 1,
          suppressedByVex: 1,
        },
        sizeBytes: community.amd64Size,
        createdAt: '2026-01-02T03:04:05.000Z',
      });
    });

    it('proves HIPAA with the FIPS attestation and the verification summary', async () => {
      const { report } = await check('dhi.io/python:3.13');
      expect(
        frameworkEvidence(
          [{ id: 'hipaa', source: 'system:default/records', known: true }],
          report,
          DEFAULT_FRAMEWORKS,
        ),
      ).toEqual([
        {
          framework: 'hipaa',
          predicateType: 'https://slsa.dev/verification_summary/',
          status: 'verified',
          provenBy: DHI_PREDICATE_TYPES.verificationSummary,
        },
        {
          framework: 'hipaa',
          predicateType: 'https://docker.com/dhi/fips/',
          status: 'verified',
          provenBy: DHI_PREDICATE_TYPES.fips,
        },
      ]);
    });

    it("a mirror on docker.io whose signatures and attestations are on Scout's registry", async () => {
      const hubBefore = hub.requests.length;
      const { report } = await check('example-org/dhi-python:3.13');
      expect(report.status).toBe('verified');
      expect(report.signatures[0]).toMatchObject({
        source: 'cosign-tag',
        subjectDigest: mirror.index.digest,
        verified: true,
      });
      expect(report.attestations).toHaveLength(
        Object.keys(dhiPredicates('python')).length,
      );
      // the image from Docker Hub, through Docker Hub's own token flow
      expect(
        hub.requests
          .slice(hubBefore)
          .some(r => r.endsWith(`/manifests/${mirror.amd64.digest}`)),
      ).toBe(true);
      expect(scout.tokenRequests).toContainEqual(
        expect.objectContaining({
          authorized: true,
          scope: 'repository:example-org/dhi-python:pull',
        }),
      );
    });

    it('the same signed by cosign 3: Sigstore bundles among the referrers', async () => {
      const { report } = await check('docker.io/example-org/dhi-node:22');
      expect(report.status).toBe('verified');
      expect(report.signatures.length).toBeGreaterThan(1);
      expect(
        report.signatures.every(
          s => s.format === 'sigstore-bundle' && s.verified,
        ),
      ).toBe(true);
      expect(report.signatures[0].source).toBe('referrers');
    });
  });

  describe('attacks: none verifies', () => {
    it('an index in another Docker Hub namespace wrapping the DHI-signed platform manifest -> invalid', async () => {
      // the attacker copies the platform manifest and its signed attestations
      const evil = at(hub, 'evil-org/dhi-python');
      await pushPlatformImage(evil.pusher, evil.repository, '3.13', {
        image: 'python',
        amd64: mirror.amd64,
      });
      await pushDhiAttestation(
        evil,
        mirror.amd64,
        DHI_PREDICATE_TYPES.provenance,
        dhiPredicates('python')[DHI_PREDICATE_TYPES.provenance],
        dockerKey,
        { scoutName: 'example-org/dhi-python', signing: 'cosign-referrer' },
      );
      const { report } = await check('evil-org/dhi-python:3.13');
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(
        /the signature is signed by key [a-f0-9]{8}, which is trusted for dhi\.io, docker\.io\/example-org\/dhi- but not for docker\.io\/evil-org\/dhi-python/,
      );
    });

    it('an unsigned index wrapping the signed platform manifest with another platform -> unsigned', async () => {
      const wrapped = await pushPlatformImage(
        new Pusher(hub),
        'example-org/dhi-python',
        '3.13-wrapped',
        { image: 'python', amd64: mirror.amd64 },
      );
      const { report } = await check('example-org/dhi-python:3.13-wrapped');
      expect(report.status).toBe('unsigned');
      expect(report.message).toBe(
        `the index ${wrapped.index.digest.slice(
          0,
          19,
        )} that 3.13-wrapped resolves to carries no trusted signature; its ${
          Object.keys(dhiPredicates('python')).length
        } attestations verify, but they do not vouch for the index (Docker signs the index itself)`,
      );
    });

    it('a repository outside the trusted prefix, signed by the trusted key -> invalid', async () => {
      const own = at(hub, 'example-org/portal-base');
      await pushDhiImage(own, own, '1', dockerKey, {
        image: 'portal-base',
        scoutName: 'example-org/portal-base',
        signing: 'cosign-referrer',
      });
      const { report } = await check('example-org/portal-base:1');
      expect(report.status).toBe('invalid');
      expect(report.message).toMatch(
        /is signed by key [a-f0-9]{8}, which is trusted for dhi\.io, docker\.io\/example-org\/dhi- but not for docker\.io\/example-org\/portal-base/,
      );
    });

    it('a predicate type that only starts like provenance (…/provenance/evil) is no provenance -> incomplete', async () => {
      const image = at(dhiIo, 'evil-provenance');
      await pushDhiImage(image, image, '1', dockerKey, {
        image: 'evil-provenance',
        scoutName: 'dhi/evil-provenance',
        signing: 'cosign-referrer',
        predicates: predicatesWith({
          [DHI_PREDICATE_TYPES.provenance]: undefined,
          'https://slsa.dev/provenance/evil': { builder: 'attacker' },
        }),
      });
      const { report } = await check('dhi.io/evil-provenance:1');
      expect(report.status).toBe('incomplete');
      expect(report.message).toBe(
        'signatures verify, but these required attestations are missing or unsigned: https://slsa.dev/provenance/',
      );
    });

    it('a sha512 pin is checked: the right bytes verify, other bytes are refused', async () => {
      const response = await fetch(
        `http://${dhiIo.host}/v2/python/manifests/${community.index.digest}`,
        { headers: { authorization: 'Bearer fake' } },
      );
      const index = Buffer.from(await response.arrayBuffer());
      const pin = `sha512:${crypto
        .createHash('sha512')
        .update(index)
        .digest('hex')}`;
      expect((await check(`dhi.io/python@${pin}`)).report.status).toBe(
        'verified',
      );

      const other = `sha512:${'a'.repeat(128)}`;
      dhiIo.fault = (_m, path) =>
        path === `/v2/python/manifests/${other}`
          ? {
              body: index,
              contentType: 'application/vnd.oci.image.index.v1+json',
            }
          : undefined;
      await expect(check(`dhi.io/python@${other}`)).rejects.toMatchObject({
        kind: 'integrity',
        message: `manifest dhi.io/python:${other} hashes to ${pin}, not the digest it was asked for`,
      });
    });

    it('a Sigstore bundle whose DSSE payload is not in-toto -> invalid', async () => {
      const image = at(hub, 'example-org/dhi-bundled');
      const pushed = await pushPlatformImage(
        image.pusher,
        image.repository,
        '1',
      );
      await signDigest(
        at(scout, image.repository),
        pushed.index,
        dockerKey,
        'bundle',
        {
          scoutName: image.repository,
          bundlePayloadType: 'application/json',
        },
      );
      const { report } = await check('example-org/dhi-bundled:1');
      expect(report.status).toBe('invalid');
      expect(report.message).toBe(
        "the Sigstore bundle's DSSE payload type is application/json, not in-toto",
      );
    });

    it('an attestation over the size limit is not read: incomplete, never invalid', async () => {
      const image = at(dhiIo, 'big-sbom');
      const sbom = {
        ...(dhiPredicates('python')[DHI_PREDICATE_TYPES.cyclonedx] as object),
        padding: 'x'.repeat(MAX_STATEMENT_BYTES + 1024),
      };
      await pushDhiImage(image, image, '1', dockerKey, {
        image: 'big-sbom',
        scoutName: 'dhi/big-sbom',
        signing: 'cosign-referrer',
        predicates: predicatesWith({ [DHI_PREDICATE_TYPES.cyclonedx]: sbom }),
      });
      const { report } = await check('dhi.io/big-sbom:1');
      expect(report.status).toBe('incomplete');
      expect(report.message).toMatch(
        new RegExp(
          `^signatures verify, but these required attestations are missing or unsigned: https://cyclonedx\\.org/bom; https://cyclonedx\\.org/bom/v1\\.6 was not read: \\d+ bytes, over the ${MAX_STATEMENT_BYTES}-byte limit of one attestation$`,
        ),
      );
      // the SBOM is never downloaded
      const sbomLayer = report.attestations.find(
        a => a.predicateType === DHI_PREDICATE_TYPES.cyclonedx,
      )!;
      expect(dhiIo.requests.some(r => r.endsWith(sbomLayer.digest!))).toBe(
        false,
      );
    });

    it('dhi.io without credentials -> unavailable, saying what to configure', async () => {
      const registries = (await productionRegistries(standIns(), ENV)).map(
        ({ credentials, ...registry }) =>
          registry.host === 'dhi.io' ? registry : { ...registry, credentials },
      );
      const anonymous = checkerFor(registries, { dhiKeys: [dockerKey.pem] });
      await expect(anonymous.check('dhi.io/python:3.13')).rejects.toMatchObject(
        {
          kind: 'unavailable',
          message:
            'dhi.io needs credentials: set baseImages.registries[dhi.io].credentials (Docker ID and access token)',
        },
      );
    });

    it('Scout answering 401 for a repository that is not DHI is "none found", not an outage', async () => {
      // the organisation's own image under the mirror's prefix: Scout has nothing for it
      await pushPlatformImage(
        new Pusher(hub),
        'example-org/dhi-portal-tools',
        '1',
      );
      const { report } = await check('example-org/dhi-portal-tools:1');
      expect(report.status).toBe('unsigned');
      expect(report.message).toBe(
        'no signature found; registry.scout.docker.com/example-org/dhi-portal-tools holds no attestations for this image (HTTP 401)',
      );
    });
  });
});
