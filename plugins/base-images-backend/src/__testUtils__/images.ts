import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DSSEBundleBuilder } from '@sigstore/sign';
import { envelopeToJSON, bundleToJSON } from '@sigstore/bundle';
import { Pusher, PushedDescriptor, sha256 } from './pusher';

/** @public */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** @public */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** @public */
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';

/** @public */
export const PROVENANCE = 'https://slsa.dev/provenance/v1';
/** @public */
export const SBOM = 'https://cyclonedx.org/bom/v1.6';
/** @public */
export const VEX = 'https://openvex.dev/ns/v0.2.0';

/**
 * An ECDSA P-256 key pair on disk, for openssl, and as KeyObjects.
 * @public
 */
export interface TestKey {
  pem: string;
  privatePath: string;
  privateKey: crypto.KeyObject;
}

/** @public */
export function createTestKey(): TestKey {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-key-'));
  const privatePath = path.join(dir, 'cosign.key');
  execFileSync(
    'openssl',
    [
      'ecparam',
      '-name',
      'prime256v1',
      '-genkey',
      '-noout',
      '-out',
      privatePath,
    ],
    { stdio: 'ignore' },
  );
  const pem = execFileSync('openssl', ['ec', '-in', privatePath, '-pubout'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  return {
    pem,
    privatePath,
    privateKey: crypto.createPrivateKey(fs.readFileSync(privatePath)),
  };
}

/**
 * ECDSA P-256 DER signature over `data`, made by the openssl command line.
 * @public
 */
export function opensslSign(key: TestKey, data: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'base-images-sign-'));
  const file = path.join(dir, 'payload');
  fs.writeFileSync(file, data);
  const signature = execFileSync('openssl', [
    'dgst',
    '-sha256',
    '-sign',
    key.privatePath,
    file,
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
  return signature;
}

const emptyConfig = async (pusher: Pusher, repository: string) =>
  pusher.blob(repository, '{}', EMPTY_CONFIG);

/** @public */
export interface PushedImage {
  repository: string;
  tag: string;
  indexDigest: string;
  manifestDigest: string;
  index: PushedDescriptor;
  manifest: PushedDescriptor;
}

/**
 * A multi-platform image: an index with a linux/amd64 manifest and,
 * optionally, BuildKit in-index attestation manifests (unsigned statements).
 * @public
 */
export async function pushImage(
  pusher: Pusher,
  repository: string,
  tag: string,
  options: {
    buildkitAttestations?: string[];
    /** Predicates of those attestations, by type (a note otherwise). */
    buildkitPredicates?: Record<string, unknown>;
  } = {},
): Promise<PushedImage> {
  const config = await pusher.blob(
    repository,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      created: '2026-01-01T00:00:00Z',
      config: { Labels: { 'org.example.tag': tag } },
    }),
    'application/vnd.oci.image.config.v1+json',
  );
  const layer = await pusher.blob(
    repository,
    crypto.randomBytes(256),
    'application/vnd.oci.image.layer.v1.tar+gzip',
  );
  const manifest = await pusher.manifest(repository, `${tag}-amd64`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers: [layer],
  });
  const entries: PushedDescriptor[] = [
    { ...manifest, platform: { os: 'linux', architecture: 'amd64' } },
  ];
  if (options.buildkitAttestations?.length) {
    const layers = [];
    for (const predicateType of options.buildkitAttestations) {
      const statement = statementFor(
        manifest.digest,
        predicateType,
        options.buildkitPredicates?.[predicateType],
      );
      layers.push({
        ...(await pusher.blob(
          repository,
          statement,
          'application/vnd.in-toto+json',
        )),
        annotations: { 'in-toto.io/predicate-type': predicateType },
      });
    }
    const attestation = await pusher.manifest(repository, `${tag}-att`, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: await emptyConfig(pusher, repository),
      layers,
    });
    entries.push({
      ...attestation,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': manifest.digest,
      },
    });
  }
  const index = await pusher.manifest(repository, tag, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries,
  });
  return {
    repository,
    tag,
    indexDigest: index.digest,
    manifestDigest: manifest.digest,
    index,
    manifest,
  };
}

/** @public */
export function statementFor(
  subjectDigest: string,
  predicateType: string,
  predicate: unknown = { note: `test ${predicateType}` },
): string {
  return JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: 'image',
        digest: { sha256: subjectDigest.replace('sha256:', '') },
      },
    ],
    predicateType,
    predicate,
  });
}

/** @public */
export function simpleSigningPayload(
  digest: string,
  reference = 'registry.scout.docker.com/dhi/python',
): string {
  return JSON.stringify({
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    },
    optional: null,
  });
}

/**
 * A cosign signature manifest (simple signing layer + signature annotation).
 * @public
 */
export async function pushSignatureManifest(
  pusher: Pusher,
  repository: string,
  reference: string,
  payload: Buffer,
  signatureB64: string,
  subject?: PushedDescriptor,
): Promise<PushedDescriptor> {
  const layer = await pusher.blob(repository, payload, SIMPLE_SIGNING);
  return pusher.manifest(repository, reference, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(subject
      ? {
          artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
          subject,
        }
      : {}),
    config: await emptyConfig(pusher, repository),
    layers: [
      {
        ...layer,
        annotations: { 'dev.cosignproject.cosign/signature': signatureB64 },
      },
    ],
  });
}

/**
 * cosign sign: signs the simple-signing payload of `digest` with openssl and pushes `sha256-<hex>.sig`.
 * @public
 */
export async function cosignSign(
  pusher: Pusher,
  repository: string,
  digest: string,
  key: TestKey,
  tamper: {
    payloadDigest?: string;
    flipPayloadByte?: boolean;
    signature?: (sig: Buffer) => string;
  } = {},
) {
  const payload = Buffer.from(
    simpleSigningPayload(tamper.payloadDigest ?? digest),
  );
  const signature = opensslSign(key, payload);
  const pushed = Buffer.from(payload);
  if (tamper.flipPayloadByte) pushed[pushed.length - 3] ^= 0x01;
  const b64 = tamper.signature
    ? tamper.signature(signature)
    : signature.toString('base64');
  return pushSignatureManifest(
    pusher,
    repository,
    `${digest.replace(':', '-')}.sig`,
    pushed,
    b64,
  );
}

/** A DSSE in-toto bundle made by `@sigstore/sign` with a key-based signer.
 * @public
 */
export async function dsseBundle(key: TestKey, statement: string) {
  const builder = new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async data => ({
        signature: crypto.sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.pem, hint: '' },
      }),
    },
  });
  return builder.create({
    data: Buffer.from(statement),
    type: 'application/vnd.in-toto+json',
  });
}

/**
 * cosign attest: DSSE envelopes in the `sha256-<hex>.att` tag.
 * @public
 */
export async function cosignAttest(
  pusher: Pusher,
  repository: string,
  digest: string,
  envelopes: object[],
) {
  const layers = [];
  for (const envelope of envelopes) {
    layers.push(
      await pusher.blob(repository, JSON.stringify(envelope), DSSE_ENVELOPE),
    );
  }
  return pushAttestationTag(pusher, repository, digest, layers);
}

/**
 * The `sha256-<hex>.att` manifest over layers already pushed, listed as given (repeats too).
 * @public
 */
export async function pushAttestationTag(
  pusher: Pusher,
  repository: string,
  digest: string,
  layers: PushedDescriptor[],
) {
  return pusher.manifest(repository, `${digest.replace(':', '-')}.att`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: await emptyConfig(pusher, repository),
    layers,
  });
}

/** @public */
export async function envelopeFor(key: TestKey, statement: string) {
  const bundle = await dsseBundle(key, statement);
  return envelopeToJSON(bundle.content.dsseEnvelope);
}

/**
 * Referrers through the `sha256-<hex>` tag schema (what registries without the
 * referrers API hold): an index of referrer descriptors, rewritten on each add.
 * @public
 */
export async function addReferrer(
  pusher: Pusher,
  repository: string,
  subject: string,
  referrer: PushedDescriptor,
  existing: PushedDescriptor[] = [],
) {
  const manifests = [...existing, referrer];
  await pusher.manifest(repository, subject.replace(':', '-'), {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests,
  });
  return manifests;
}

/**
 * A Sigstore bundle stored as an OCI 1.1 referrer artifact.
 * @public
 */
export async function pushBundleReferrer(
  pusher: Pusher,
  repository: string,
  subject: PushedDescriptor,
  bundleJson: object,
  tag: string,
) {
  const layer = await pusher.blob(
    repository,
    JSON.stringify(bundleJson),
    BUNDLE_V03,
  );
  const manifest = await pusher.manifest(repository, tag, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BUNDLE_V03,
    subject,
    config: await emptyConfig(pusher, repository),
    layers: [layer],
  });
  return { ...manifest, artifactType: BUNDLE_V03 };
}

export { bundleToJSON, sha256 };
