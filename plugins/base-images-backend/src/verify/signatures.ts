import { bundleFromJSON } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, dsse } from '@sigstore/core';
import { toSignedEntity, TrustMaterial, Verifier } from '@sigstore/verify';
import { KeyRing, TrustedKey } from '../trust/keys';

export interface VerificationResult {
  verified: boolean;
  /** Id of the trusted key that verified it. */
  signer?: string;
  /** Why it did not verify. */
  message?: string;
}

export interface StatementResult extends VerificationResult {
  predicateType?: string;
  /** The statement's predicate, when it was parsed. */
  predicate?: unknown;
}

/** What a Sigstore bundle turned out to be: a signature over its subject, or an attestation. */
export interface BundleResult extends StatementResult {
  kind: 'signature' | 'attestation';
}

/**
 * Counts a list of signatures (or of a bundle's signature material) against
 * the check's limit, throwing when it is over: called before any of them is
 * verified, so a padded envelope costs nothing.
 */
export type SignatureCap = (items: unknown[], noun: string) => void;

/**
 * Base64 characters with at most two `=` at the end; with the length a
 * multiple of four, that is canonical padding. One character class and no
 * groups: a repeated group overflows the regexp stack on multi-MiB payloads.
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
/**
 * The predicate of the statement cosign 3 signs an image with (cosign
 * pkg/types/predicate.go CosignSignPredicateType): such a bundle is a
 * signature of its subject, every other predicate an attestation.
 */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export function decodeBase64(value: unknown, what: string): Buffer {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length % 4 !== 0 ||
    !BASE64.test(value)
  ) {
    throw new Error(`${what} is not valid base64`);
  }
  return Buffer.from(value, 'base64');
}

function findSigner<T extends TrustedKey>(
  data: Buffer,
  signature: Buffer,
  keys: T[],
): T | undefined {
  return keys.find(({ key }) => {
    try {
      return sigstoreCrypto.verify(data, key, signature, 'sha256');
    } catch {
      // malformed DER and the like: not a valid signature by this key
      return false;
    }
  });
}

/**
 * Why nothing `what` carries verifies with a key trusted for the image: a
 * configured key trusted elsewhere made it (named with where it is trusted),
 * or no key did. `verifiesWith` tells whether a key made the signature.
 */
function untrusted(
  ring: KeyRing,
  what: string,
  verifiesWith: (key: TrustedKey) => boolean,
): string {
  const other = ring.elsewhere().find(verifiesWith);
  if (other) {
    return `${what} is signed by key ${other.id.slice(
      0,
      8,
    )}, which is trusted for ${other.scopes.join(', ')} but not for ${
      ring.subject
    }`;
  }
  return ring.trusted.length
    ? `${what} does not verify with any trusted key for ${ring.subject}`
    : `${what} does not verify: no keys are trusted for ${ring.subject}`;
}

/**
 * A cosign simple-signing signature: `signatureB64` over the payload bytes by a
 * trusted key, and the payload must name `expectedDigest`. Its
 * docker-reference is not compared: DHI's name Docker Scout's repository
 * (registry.scout.docker.com/dhi/<image>) whichever registry serves the image.
 */
export function verifyCosignSignature(
  payload: Buffer,
  signatureB64: unknown,
  keys: KeyRing,
  expectedDigest: string,
): VerificationResult {
  let signature: Buffer;
  try {
    signature = decodeBase64(signatureB64, 'the cosign signature annotation');
  } catch (error) {
    return { verified: false, message: (error as Error).message };
  }
  const signer = findSigner(payload, signature, keys.trusted);
  if (!signer) {
    return {
      verified: false,
      message: untrusted(keys, 'the signature', key =>
        Boolean(findSigner(payload, signature, [key])),
      ),
    };
  }
  let body: any;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return {
      verified: false,
      signer: signer.id,
      message: 'the signed payload is not JSON',
    };
  }
  const signedDigest = body?.critical?.image?.['docker-manifest-digest'];
  if (body?.critical?.type !== 'cosign container image signature') {
    return {
      verified: false,
      signer: signer.id,
      message: 'the signed payload is not a cosign container image signature',
    };
  }
  if (signedDigest !== expectedDigest) {
    return {
      verified: false,
      signer: signer.id,
      message: `the signed payload names ${String(signedDigest).slice(
        0,
        80,
      )}, not ${expectedDigest}`,
    };
  }
  return { verified: true, signer: signer.id };
}

/**
 * An in-toto statement (v0.1, as DHI writes them, or v1): its subject must
 * include one of `subjectDigests`. Returns the predicate type and predicate
 * (DHI's FIPS and STIG predicates are arrays, so any JSON value is taken),
 * or a message when it is no statement or points elsewhere.
 */
export function checkStatement(
  payload: Buffer,
  subjectDigests: ReadonlySet<string>,
): { predicateType?: string; predicate?: unknown; message?: string } {
  let statement: any;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return { message: 'the attestation statement is not JSON' };
  }
  if (
    typeof statement?._type !== 'string' ||
    !statement._type.startsWith('https://in-toto.io/Statement/')
  ) {
    return { message: 'the attestation is not an in-toto statement' };
  }
  const predicateType =
    typeof statement.predicateType === 'string'
      ? statement.predicateType
      : undefined;
  if (!predicateType)
    return { message: 'the attestation statement has no predicateType' };
  const subjects: any[] = Array.isArray(statement.subject)
    ? statement.subject
    : [];
  const matches = subjects.some(
    s =>
      typeof s?.digest?.sha256 === 'string' &&
      subjectDigests.has(`sha256:${s.digest.sha256}`),
  );
  if (!matches)
    return {
      predicateType,
      message: 'the attestation statement names another image as its subject',
    };
  return { predicateType, predicate: statement.predicate };
}

/** A DSSE envelope carrying an in-toto statement, signed by a trusted key. */
export function verifyDsseEnvelope(
  envelopeBytes: Buffer,
  keys: KeyRing,
  subjectDigests: ReadonlySet<string>,
  capSignatures: SignatureCap,
): StatementResult {
  let envelope: any;
  try {
    envelope = JSON.parse(envelopeBytes.toString('utf8'));
  } catch {
    return { verified: false, message: 'the DSSE envelope is not JSON' };
  }
  const signatures: any[] = Array.isArray(envelope?.signatures)
    ? envelope.signatures
    : [];
  capSignatures(signatures, 'signatures');
  let payload: Buffer;
  try {
    payload = decodeBase64(envelope?.payload, 'the DSSE payload');
  } catch (error) {
    return { verified: false, message: (error as Error).message };
  }
  const statement = checkStatement(payload, subjectDigests);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD) {
    return {
      verified: false,
      predicateType: statement.predicateType,
      message: `the DSSE payload type is ${String(envelope.payloadType).slice(
        0,
        60,
      )}, not in-toto`,
    };
  }
  const pae = dsse.preAuthEncoding(envelope.payloadType, payload);
  const decoded = signatures.flatMap(entry => {
    try {
      return [decodeBase64(entry?.sig, 'a DSSE signature')];
    } catch {
      return [];
    }
  });
  const signerOf = (keyList: TrustedKey[]) =>
    decoded.map(signature => findSigner(pae, signature, keyList)).find(Boolean);
  const signer = signerOf(keys.trusted);
  if (!signer) {
    return {
      verified: false,
      predicateType: statement.predicateType,
      message: signatures.length
        ? untrusted(keys, 'the DSSE envelope', key => Boolean(signerOf([key])))
        : 'the DSSE envelope has no signatures',
    };
  }
  if (statement.message)
    return {
      verified: false,
      signer: signer.id,
      predicateType: statement.predicateType,
      message: statement.message,
    };
  return {
    verified: true,
    signer: signer.id,
    predicateType: statement.predicateType,
    predicate: statement.predicate,
  };
}

function trustMaterialFor(key: TrustedKey): TrustMaterial {
  return {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    // a bundle's key hint is advisory: each trusted key is tried in turn
    publicKey: () => ({ publicKey: key.key, validFor: () => true }),
  };
}

/**
 * A Sigstore bundle (v0.1-v0.3) signed with a public key, as cosign 3 stores
 * image signatures and attestations among the referrers (specs/BUNDLE_SPEC.md):
 * verified with @sigstore/verify without a transparency log (DHI's are not
 * always in Rekor), then its content must be about `subjectDigests`.
 * - a DSSE envelope must carry an in-toto statement (payload type checked:
 *   the signature covers the type, @sigstore/verify does not restrict it);
 *   with the predicate `https://sigstore.dev/cosign/sign/v1` it is a
 *   signature of its subject, with any other an attestation;
 * - a message signature is a signature over `artifact` (the subject's bytes).
 */
export function verifySigstoreBundle(
  bundleBytes: Buffer,
  keys: KeyRing,
  subjects: {
    /** What a signature bundle must name: exactly what it is attached to. */
    signature: ReadonlySet<string>;
    /** What an attestation bundle may name: any digest of the image. */
    attestation: ReadonlySet<string>;
  },
  artifact: Buffer | undefined,
  capSignatures: SignatureCap,
): BundleResult {
  let json: any;
  try {
    json = JSON.parse(bundleBytes.toString('utf8'));
  } catch {
    return {
      kind: 'signature',
      verified: false,
      message: 'the Sigstore bundle is not JSON',
    };
  }
  // Counted before parsing: @sigstore/verify compares timestamps pairwise.
  const material = json?.verificationMaterial;
  for (const [list, noun] of [
    [json?.dsseEnvelope?.signatures, 'signatures'],
    [material?.tlogEntries, 'transparency-log entries'],
    [material?.timestampVerificationData?.rfc3161Timestamps, 'timestamps'],
    [material?.x509CertificateChain?.certificates, 'certificates'],
  ] as const) {
    if (Array.isArray(list)) capSignatures(list, noun);
  }
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    return {
      kind: 'signature',
      verified: false,
      message: `the Sigstore bundle is malformed: ${(error as Error).message}`,
    };
  }
  const content = bundle.content;
  let statement: ReturnType<typeof checkStatement> | undefined;
  let kind: BundleResult['kind'] = 'signature';
  if (content.$case === 'dsseEnvelope') {
    const payload = content.dsseEnvelope.payload;
    statement = checkStatement(payload, subjects.signature);
    if (statement.predicateType !== COSIGN_SIGN_PREDICATE) {
      kind = 'attestation';
      statement = checkStatement(payload, subjects.attestation);
    }
  }
  const predicateType =
    kind === 'attestation' ? statement?.predicateType : undefined;
  if (
    content.$case === 'dsseEnvelope' &&
    content.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD
  ) {
    return {
      kind,
      predicateType,
      verified: false,
      message: `the Sigstore bundle's DSSE payload type is ${String(
        content.dsseEnvelope.payloadType,
      ).slice(0, 60)}, not in-toto`,
    };
  }
  let entity: ReturnType<typeof toSignedEntity>;
  try {
    entity = toSignedEntity(
      bundle,
      content.$case === 'messageSignature' ? artifact : undefined,
    );
  } catch (error) {
    return {
      kind,
      predicateType,
      verified: false,
      message: `the Sigstore bundle cannot be verified: ${
        (error as Error).message
      }`,
    };
  }
  const verifiesWith = (key: TrustedKey) => {
    try {
      new Verifier(trustMaterialFor(key), {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      }).verify(entity);
      return true;
    } catch {
      return false;
    }
  };
  const signer = keys.trusted.find(verifiesWith);
  if (!signer)
    return {
      kind,
      predicateType,
      verified: false,
      message: untrusted(keys, 'the Sigstore bundle', verifiesWith),
    };
  if (statement?.message)
    return {
      kind,
      predicateType,
      verified: false,
      signer: signer.id,
      message: statement.message,
    };
  return {
    kind,
    predicateType,
    verified: true,
    signer: signer.id,
    predicate: kind === 'attestation' ? statement?.predicate : undefined,
  };
}
