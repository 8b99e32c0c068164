import crypto from 'node:crypto';
import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder } from '@sigstore/sign';
import {
  addReferrer,
  OCI_INDEX,
  OCI_MANIFEST,
  opensslSign,
  TestKey,
} from './images';
import { PushedDescriptor, Pusher } from './pusher';

/**
 * Docker Hardened Images as Docker publishes them, rebuilt from Docker's
 * documentation and the tools it names, never from this plugin's code.
 * Sources (docs.docker.com unless said otherwise):
 * - dhi/how-to/verify, dhi/how-to/mirror: the index is signed; attestations
 *   are OCI 1.1 referrers of each platform manifest (`oras discover
 *   dhi.io/node:24-dev --platform linux/amd64`), on dhi.io for Community
 *   images and on registry.scout.docker.com/<org>/dhi-<image> (same path)
 *   for mirrored ones (`regctl artifact list … --external …`); each
 *   attestation manifest is cosign-signed with the DHI key (`cosign verify
 *   <repo>@<attestation digest> --key … --insecure-ignore-tlog`);
 * - docker-hardened-images/keyring README: `cosign verify … --experimental-oci11`,
 *   so signatures are referrers with artifactType
 *   application/vnd.dev.cosign.artifact.sig.v1+json (cosign
 *   internal/pkg/oci/remote ArtifactType("sig")); a plain `cosign verify`
 *   reads the `sha256-<hex>.sig` tag instead, so both are modelled;
 * - the attestation manifest's shape and the signed payload naming
 *   registry.scout.docker.com/dhi/<image> come from third-party verifiers
 *   that pin real DHI manifests (research notes §1c, §1d);
 * - dhi/core-concepts/attestations: the predicate types; dhi/explore/
 *   security-concepts/{fips,stig,vex}: the FIPS and STIG predicates are
 *   arrays, VEX is OpenVEX 0.2.0 (not_affected for backports);
 * - sigstore/cosign v3 (pkg/oci/remote/write.go WriteAttestationNewBundleFormat,
 *   cmd/cosign/cli/sign signDigestBundle, specs/BUNDLE_SPEC.md): cosign 3
 *   signs with a Sigstore bundle referrer, a DSSE in-toto statement of
 *   predicate https://sigstore.dev/cosign/sign/v1 about the signed digest.
 */

/**
 * The predicate types Docker lists for DHI (dhi/core-concepts/attestations; provenance v1 as observed on dhi.io in 2026).
 * @public
 */
export const DHI_PREDICATE_TYPES = {
  provenance: 'https://slsa.dev/provenance/v1',
  cyclonedx: 'https://cyclonedx.org/bom/v1.6',
  spdx: 'https://spdx.dev/Document',
  vex: 'https://openvex.dev/ns/v0.2.0',
  vulns: 'https://in-toto.io/attestation/vulns/v0.1',
  verificationSummary: 'https://slsa.dev/verification_summary/v1',
  fips: 'https://docker.com/dhi/fips/v0.1',
  stig: 'https://docker.com/dhi/stig/v0.1',
  scoutHealth: 'https://scout.docker.com/health/v0.1',
};

const COSIGN_SIG_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1';
/**
 * The OCI empty descriptor (image-spec manifest.md "Guidance for an Empty Descriptor"), as DHI attestation manifests carry it.
 * @public
 */
export const OCI_EMPTY_DESCRIPTOR = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest:
    'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
};

/** The empty descriptor, its blob pushed first (a registry refuses a manifest whose blobs it lacks). */
async function emptyConfig(pusher: Pusher, repository: string) {
  await pusher.blob(repository, '{}', OCI_EMPTY_DESCRIPTOR.mediaType);
  return OCI_EMPTY_DESCRIPTOR;
}

/**
 * The packages of the fixture SBOM: three, one nested, besides the image itself and a file.
 * @public
 */
export const FIXTURE_PACKAGES = 3;

/**
 * Predicates shaped as Docker's documentation shows them.
 * @public
 */
export function dhiPredicates(image: string): Record<string, unknown> {
  return {
    [DHI_PREDICATE_TYPES.provenance]: {
      buildDefinition: {
        buildType: 'https://docker.com/dhi/build/v1',
        externalParameters: {
          source: `git+github.com/docker-hardened-images/${image}`,
        },
      },
      runDetails: { builder: { id: 'https://docker.com/dhi/builder' } },
    },
    // CycloneDX 1.6: the image itself is metadata.component, files are not packages
    [DHI_PREDICATE_TYPES.cyclonedx]: {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: {
        component: {
          'bom-ref': 'image',
          type: 'container',
          name: `dhi/${image}`,
        },
      },
      components: [
        { 'bom-ref': 'image', type: 'container', name: `dhi/${image}` },
        {
          'bom-ref': 'pkg:deb/debian/libc6@2.36',
          type: 'library',
          name: 'libc6',
          version: '2.36',
          components: [
            {
              'bom-ref': 'pkg:deb/debian/libssl3@3.0.15',
              type: 'library',
              name: 'libssl3',
              version: '3.0.15',
            },
          ],
        },
        {
          'bom-ref': 'pkg:generic/python@3.13.1',
          type: 'application',
          name: 'python',
          version: '3.13.1',
        },
        { 'bom-ref': 'file-1', type: 'file', name: '/etc/os-release' },
      ],
    },
    // in-toto vulns v0.1 (spec/predicates/vuln.md): both id placements occur
    [DHI_PREDICATE_TYPES.vulns]: {
      scanner: {
        uri: 'https://scout.docker.com',
        version: '1.0',
        db: { uri: 'https://scout.docker.com/db', version: '1' },
        result: [
          {
            id: 'CVE-2025-0001',
            severity: [{ method: 'CVSSv3', score: '9.8' }],
          },
          {
            vulnerability: {
              id: 'CVE-2025-0002',
              severity: [{ method: 'nvd', score: 'HIGH' }],
            },
          },
          { id: 'CVE-2025-0003', severity: [{ method: 'nvd', score: 'LOW' }] },
        ],
      },
      metadata: {
        scanStartedOn: '2026-01-01T00:00:00Z',
        scanFinishedOn: '2026-01-01T00:01:00Z',
      },
    },
    // OpenVEX 0.2.0: a backport (not_affected) and an under_investigation
    [DHI_PREDICATE_TYPES.vex]: {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': `https://scout.docker.com/public/vex/dhi-${image}`,
      author: 'Docker Hardened Images',
      timestamp: '2026-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2025-0001' },
          products: [{ '@id': `pkg:docker/dhi/${image}` }],
          status: 'not_affected',
          justification: 'inline_mitigations_already_exist',
        },
        {
          vulnerability: { name: 'CVE-2025-0003' },
          products: [{ '@id': `pkg:docker/dhi/${image}` }],
          status: 'under_investigation',
        },
      ],
    },
    // SLSA verification summary v1 (slsa.dev/spec/v1.0/verification_summary)
    [DHI_PREDICATE_TYPES.verificationSummary]: {
      verifier: { id: 'https://docker.com/dhi/verifier' },
      timeVerified: '2026-01-01T00:00:00Z',
      resourceUri: `pkg:docker/dhi/${image}`,
      policy: { uri: 'https://docker.com/dhi/policy' },
      verificationResult: 'PASSED',
      verifiedLevels: ['SLSA_BUILD_LEVEL_3'],
      slsaVersion: '1.0',
    },
    // dhi/explore/security-concepts/fips: an array of modules
    [DHI_PREDICATE_TYPES.fips]: [
      {
        certification: 'CMVP #4985',
        certificationUrl:
          'https://csrc.nist.gov/projects/cryptographic-module-validation-program/certificate/4985',
        name: 'OpenSSL FIPS Provider',
        package: 'pkg:dhi/openssl-provider-fips@3.1.2',
        standard: 'FIPS 140-3',
        status: 'active',
        sunsetDate: '2030-03-10',
        version: '3.1.2',
      },
    ],
  };
}

/**
 * An in-toto Statement v0.1, as DHI's attestation layers hold them (raw, not DSSE).
 * @public
 */
export function dhiStatement(
  scoutName: string,
  platformDigest: string,
  predicateType: string,
  predicate: unknown,
): string {
  return JSON.stringify({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType,
    subject: [
      {
        name: scoutName,
        digest: { sha256: platformDigest.replace('sha256:', '') },
      },
    ],
    predicate,
  });
}

/**
 * Where and how a fixture's signatures and attestations are stored.
 * @public
 */
export interface Referrers {
  pusher: Pusher;
  repository: string;
  /** Registries without the referrers API (distribution 2.8) get the `sha256-<hex>` tag index. */
  referrersTag?: boolean;
  /** The tag index lists so far, per subject. */
  listed?: Map<string, PushedDescriptor[]>;
}

/** Attaches `referrer` to `subject`: natively (the registry reads `subject`), or through the referrers tag. */
async function attach(
  at: Referrers,
  subject: string,
  referrer: PushedDescriptor,
): Promise<void> {
  if (!at.referrersTag) return;
  at.listed ??= new Map();
  at.listed.set(
    subject,
    await addReferrer(
      at.pusher,
      at.repository,
      subject,
      referrer,
      at.listed.get(subject) ?? [],
    ),
  );
}

/** @public */
export type Signing =
  | 'cosign-referrer'
  | 'cosign-tag'
  | 'cosign-both'
  | 'bundle';

/** A cosign simple-signing payload for `digest` (cosign specs/SIGNATURE_SPEC.md). */
function simpleSigning(
  scoutName: string,
  digest: string,
  optional: object | null,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: {
          'docker-reference': `registry.scout.docker.com/${scoutName}`,
        },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional,
    }),
  );
}

/**
 * Signs `subject` as Docker does: cosign 2 simple signing (as a referrer with
 * `--experimental-oci11`, as a `.sig` tag, or both), or a cosign 3 bundle.
 * `key` signs through openssl or `@sigstore/sign`.
 * @public
 */
export async function signDigest(
  at: Referrers,
  subject: PushedDescriptor,
  key: TestKey,
  signing: Signing,
  options: {
    scoutName: string;
    optional?: object | null;
    bundlePayloadType?: string;
  },
): Promise<void> {
  const { pusher, repository } = at;
  if (signing === 'bundle') {
    await pushSigningBundle(at, subject, key, options.bundlePayloadType);
    return;
  }
  const payload = simpleSigning(
    options.scoutName,
    subject.digest,
    options.optional ?? null,
  );
  const layer = await pusher.blob(repository, payload, SIMPLE_SIGNING);
  const signed = {
    ...layer,
    annotations: {
      'dev.cosignproject.cosign/signature': opensslSign(key, payload).toString(
        'base64',
      ),
    },
  };
  if (signing !== 'cosign-tag') {
    const manifest = await pusher.manifest(
      repository,
      `sig-${subject.digest.slice(7, 19)}-${crypto.randomUUID().slice(0, 8)}`,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: COSIGN_SIG_ARTIFACT,
        config: await emptyConfig(pusher, repository),
        layers: [signed],
        subject: {
          mediaType: subject.mediaType,
          digest: subject.digest,
          size: subject.size,
        },
      },
    );
    await attach(at, subject.digest, {
      ...manifest,
      artifactType: COSIGN_SIG_ARTIFACT,
    });
  }
  if (signing !== 'cosign-referrer') {
    await pusher.manifest(
      repository,
      `${subject.digest.replace(':', '-')}.sig`,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: await emptyConfig(pusher, repository),
        layers: [signed],
      },
    );
  }
}

/** cosign 3's signature: a DSSE bundle of cosign's signing predicate about `subject`, stored as its referrer. */
async function pushSigningBundle(
  at: Referrers,
  subject: PushedDescriptor,
  key: TestKey,
  payloadType = IN_TOTO,
): Promise<void> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: subject.digest.replace('sha256:', '') } }],
    predicateType: COSIGN_SIGN,
    predicate: {},
  };
  // cosign's key hint: base64 of the SHA-256 of the key's SPKI DER (internal/key/svkeypair.go)
  const hint = crypto
    .createHash('sha256')
    .update(
      crypto.createPublicKey(key.pem).export({ type: 'spki', format: 'der' }),
    )
    .digest('base64');
  const bundle = await new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async data => ({
        signature: crypto.sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.pem, hint },
      }),
    },
  }).create({
    data: Buffer.from(JSON.stringify(statement)),
    type: payloadType,
  });
  const layer = await at.pusher.blob(
    at.repository,
    JSON.stringify(bundleToJSON(bundle)),
    BUNDLE_V03,
  );
  const manifest = await at.pusher.manifest(
    at.repository,
    `bundle-${subject.digest.slice(7, 19)}-${crypto.randomUUID().slice(0, 8)}`,
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_V03,
      config: await emptyConfig(at.pusher, at.repository),
      layers: [layer],
      subject: {
        mediaType: subject.mediaType,
        digest: subject.digest,
        size: subject.size,
      },
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': COSIGN_SIGN,
        'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
      },
    },
  );
  await attach(at, subject.digest, { ...manifest, artifactType: BUNDLE_V03 });
}

/** @public */
export interface PlatformImage {
  index: PushedDescriptor;
  /** linux/amd64, the platform the checks select. */
  amd64: PushedDescriptor;
  arm64: PushedDescriptor;
  /** Compressed size of the amd64 layers. */
  amd64Size: number;
  created: string;
}

/** One platform's image: config (with DHI's labels), layers, manifest. */
async function pushPlatform(
  pusher: Pusher,
  repository: string,
  architecture: string,
  created: string,
  layerSizes: number[],
  labels: Record<string, string>,
) {
  const config = await pusher.blob(
    repository,
    JSON.stringify({
      architecture,
      os: 'linux',
      created,
      config: { User: 'nonroot', Labels: labels },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
    'application/vnd.oci.image.config.v1+json',
  );
  const layers = [];
  for (const size of layerSizes) {
    layers.push(
      await pusher.blob(
        repository,
        crypto.randomBytes(size),
        'application/vnd.oci.image.layer.v1.tar+gzip',
      ),
    );
  }
  return pusher.manifest(repository, `${architecture}-${crypto.randomUUID()}`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers,
  });
}

/**
 * A multi-platform image as DHI ships it: an index of linux/amd64 and linux/arm64.
 * @public
 */
export async function pushPlatformImage(
  pusher: Pusher,
  repository: string,
  tag: string,
  options: { image: string; created?: string; amd64?: PushedDescriptor } = {
    image: 'python',
  },
): Promise<PlatformImage> {
  const created = options.created ?? '2026-01-02T03:04:05Z';
  const labels = {
    'com.docker.dhi.name': `dhi/${options.image}`,
    'com.docker.dhi.variant': 'runtime',
    'com.docker.dhi.compliance': 'cis',
  };
  const layerSizes = [1000, 2345];
  const amd64 =
    options.amd64 ??
    (await pushPlatform(
      pusher,
      repository,
      'amd64',
      created,
      layerSizes,
      labels,
    ));
  const arm64 = await pushPlatform(
    pusher,
    repository,
    'arm64',
    created,
    [1500],
    labels,
  );
  const index = await pusher.manifest(repository, tag, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
    ],
  });
  return {
    index,
    amd64,
    arm64,
    amd64Size: layerSizes.reduce((a, b) => a + b, 0),
    created,
  };
}

/**
 * One DHI attestation: an OCI manifest of artifactType in-toto, the OCI empty
 * config, the predicate type as manifest and layer annotation, one raw
 * in-toto v0.1 layer, subject = the platform manifest; then its signature.
 * @public
 */
export async function pushDhiAttestation(
  at: Referrers,
  platform: PushedDescriptor,
  predicateType: string,
  predicate: unknown,
  key: TestKey,
  options: {
    scoutName: string;
    signing: Signing;
    /** The statement's type, when it differs from the annotation (tampering). */
    statementType?: string;
    /** The statement's subject, when it is not the platform manifest (tampering). */
    statementSubject?: string;
  },
): Promise<PushedDescriptor> {
  const { pusher, repository } = at;
  const layer = await pusher.blob(
    repository,
    dhiStatement(
      options.scoutName,
      options.statementSubject ?? platform.digest,
      options.statementType ?? predicateType,
      predicate,
    ),
    IN_TOTO,
  );
  const annotations = { 'in-toto.io/predicate-type': predicateType };
  const manifest = await pusher.manifest(
    repository,
    `att-${platform.digest.slice(7, 19)}-${crypto.randomUUID().slice(0, 8)}`,
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: IN_TOTO,
      config: await emptyConfig(pusher, repository),
      layers: [{ ...layer, annotations }],
      subject: {
        mediaType: platform.mediaType,
        digest: platform.digest,
        size: platform.size,
      },
      annotations,
    },
  );
  const attestation = { ...manifest, artifactType: IN_TOTO, annotations };
  await attach(at, platform.digest, attestation);
  await signDigest(at, attestation, key, options.signing, {
    scoutName: options.scoutName,
    // DHI's attestation signatures carry the statement's gist (research §1c)
    optional: {
      type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: `${options.scoutName}@${platform.digest}`,
    },
  });
  return attestation;
}

/** @public */
export interface DhiImage extends PlatformImage {
  attestations: PushedDescriptor[];
}

/**
 * A whole DHI: the platform image on `images`, its index signed and every
 * attestation of the amd64 manifest pushed (signed) to `referrers`, which is
 * the same registry for dhi.io and Docker Scout's stand-in for a mirror.
 * @public
 */
export async function pushDhiImage(
  images: { pusher: Pusher; repository: string },
  referrers: Referrers,
  tag: string,
  key: TestKey,
  options: {
    image: string;
    /** The repository path signatures name on registry.scout.docker.com: `dhi/<image>` or `<org>/dhi-<image>`. */
    scoutName: string;
    signing: Signing;
    predicates?: Record<string, unknown>;
  },
): Promise<DhiImage> {
  const image = await pushPlatformImage(images.pusher, images.repository, tag, {
    image: options.image,
  });
  await signDigest(referrers, image.index, key, options.signing, {
    scoutName: options.scoutName,
  });
  const attestations = [];
  for (const [predicateType, predicate] of Object.entries(
    options.predicates ?? dhiPredicates(options.image),
  )) {
    attestations.push(
      await pushDhiAttestation(
        referrers,
        image.amd64,
        predicateType,
        predicate,
        key,
        {
          scoutName: options.scoutName,
          signing: options.signing,
        },
      ),
    );
  }
  return { ...image, attestations };
}
