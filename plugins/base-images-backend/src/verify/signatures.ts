import { bundleFromJSON } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, dsse } from '@sigstore/core';
import { toSignedEntity, TrustMaterial, Verifier } from '@sigstore/verify';
import { TrustedKey } from '../trust/keys';

export interface VerificationResult {
  verified: boolean;
  /** Id of the trusted key that verified it. */
  signer?: string;
  /** Why it did not verify. */
  message?: string;
}

export interface StatementResult extends VerificationResult {
  predicateType?: string;
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

function findSigner(
  data: Buffer,
  signature: Buffer,
  keys: TrustedKey[],
): TrustedKey | undefined {
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
 * A cosign simple-signing signature: `signatureB64` over the payload bytes by a
 * trusted key, and the payload must name `expectedDigest`.
 */
export function verifyCosignSignature(
  payload: Buffer,
  signatureB64: unknown,
  keys: TrustedKey[],
  expectedDigest: string,
): VerificationResult {
  let signature: Buffer;
  try {
    signature = decodeBase64(signatureB64, 'the cosign signature annotation');
  } catch (error) {
    return { verified: false, message: (error as Error).message };
  }
  const signer = findSigner(payload, signature, keys);
  if (!signer) {
    return {
      verified: false,
      message: keys.length
        ? 'the signature does not verify with any trusted key'
        : 'no trusted keys are configured for this registry',
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
 * An in-toto statement: its subject must include one of the image's digests.
 * Returns the predicate type, or a message when it points elsewhere.
 */
export function checkStatement(
  payload: Buffer,
  subjectDigests: Set<string>,
): { predicateType?: string; message?: string } {
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
  return { predicateType };
}

/** A DSSE envelope carrying an in-toto statement, signed by a trusted key. */
export function verifyDsseEnvelope(
  envelopeBytes: Buffer,
  keys: TrustedKey[],
  subjectDigests: Set<string>,
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
  let signer: TrustedKey | undefined;
  for (const entry of signatures) {
    try {
      signer = findSigner(
        pae,
        decodeBase64(entry?.sig, 'a DSSE signature'),
        keys,
      );
    } catch {
      signer = undefined;
    }
    if (signer) break;
  }
  if (!signer) {
    return {
      verified: false,
      predicateType: statement.predicateType,
      message: signatures.length
        ? 'no DSSE signature verifies with a trusted key'
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
 * A Sigstore bundle (v0.1-v0.3) signed with a public key: verified with
 * @sigstore/verify without a transparency log, then its content must be about
 * the image (a DSSE in-toto statement, or a message signature over `artifact`).
 */
export function verifySigstoreBundle(
  bundleBytes: Buffer,
  keys: TrustedKey[],
  subjectDigests: Set<string>,
  artifact: Buffer | undefined,
  capSignatures: SignatureCap,
): StatementResult {
  let json: any;
  try {
    json = JSON.parse(bundleBytes.toString('utf8'));
  } catch {
    return { verified: false, message: 'the Sigstore bundle is not JSON' };
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
      verified: false,
      message: `the Sigstore bundle is malformed: ${(error as Error).message}`,
    };
  }
  let signer: TrustedKey | undefined;
  let lastError = 'no trusted keys are configured for this registry';
  for (const key of keys) {
    try {
      const verifier = new Verifier(trustMaterialFor(key), {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      });
      verifier.verify(
        toSignedEntity(
          bundle,
          bundle.content.$case === 'messageSignature' ? artifact : undefined,
        ),
      );
      signer = key;
      break;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  if (!signer)
    return {
      verified: false,
      message: `the Sigstore bundle does not verify with a trusted key: ${lastError}`,
    };
  if (bundle.content.$case === 'dsseEnvelope') {
    const statement = checkStatement(
      bundle.content.dsseEnvelope.payload,
      subjectDigests,
    );
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
    };
  }
  return { verified: true, signer: signer.id };
}
