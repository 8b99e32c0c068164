import crypto from 'node:crypto';
import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder } from '@sigstore/sign';
import { createTestKey, TestKey } from '../__testUtils__/images';
import { KeyRing, toTrustedKey } from '../trust/keys';
import { COSIGN_SIGN_PREDICATE, verifySigstoreBundle } from './signatures';

const X = `sha256:${'1'.repeat(64)}`;
const Y = `sha256:${'2'.repeat(64)}`;

/** A bundle made by @sigstore/sign, as cosign 3 makes them: DSSE over an in-toto statement. */
async function bundle(
  key: TestKey,
  predicateType: string,
  subject: string,
  payloadType = 'application/vnd.in-toto+json',
): Promise<Buffer> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ digest: { sha256: subject.replace('sha256:', '') } }],
    predicateType,
    predicate: {},
  };
  const made = await new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async data => ({
        signature: crypto.sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.pem, hint: '' },
      }),
    },
  }).create({
    data: Buffer.from(JSON.stringify(statement)),
    type: payloadType,
  });
  return Buffer.from(JSON.stringify(bundleToJSON(made)));
}

describe('verifySigstoreBundle', () => {
  const key = createTestKey();
  const other = createTestKey();
  const ring = (trusted: TestKey[], elsewhere: TestKey[] = []): KeyRing => ({
    subject: 'docker.io/example-org/dhi-python',
    trusted: trusted.map(k => toTrustedKey(k.pem)),
    elsewhere: () =>
      elsewhere.map(k => ({ ...toTrustedKey(k.pem), scopes: ['dhi.io'] })),
  });
  const noCap = () => undefined;
  const verify = (bytes: Buffer, keys: KeyRing, attachedTo: string) =>
    verifySigstoreBundle(
      bytes,
      keys,
      { signature: new Set([attachedTo]), attestation: new Set([X, Y]) },
      undefined,
      noCap,
    );

  it("cosign 3's signing predicate is a signature of exactly what it is attached to", async () => {
    const signing = await bundle(key, COSIGN_SIGN_PREDICATE, X);
    expect(verify(signing, ring([key]), X)).toMatchObject({
      kind: 'signature',
      verified: true,
      signer: toTrustedKey(key.pem).id,
    });
    // the platform manifest's signature, listed as the index's: not the index's
    expect(verify(signing, ring([key]), Y)).toMatchObject({
      kind: 'signature',
      verified: false,
      message: 'the attestation statement names another image as its subject',
    });
  });

  it('any other predicate is an attestation of the image', async () => {
    expect(
      verify(
        await bundle(key, 'https://slsa.dev/provenance/v1', X),
        ring([key]),
        Y,
      ),
    ).toMatchObject({
      kind: 'attestation',
      verified: true,
      predicateType: 'https://slsa.dev/provenance/v1',
    });
  });

  it('refuses a DSSE payload that is not in-toto, though its signature is good', async () => {
    expect(
      verify(
        await bundle(key, COSIGN_SIGN_PREDICATE, X, 'application/json'),
        ring([key]),
        X,
      ),
    ).toEqual({
      kind: 'signature',
      predicateType: undefined,
      verified: false,
      message:
        "the Sigstore bundle's DSSE payload type is application/json, not in-toto",
    });
  });

  it('names where a key it is signed with is trusted, when not for this image', async () => {
    const signing = await bundle(other, COSIGN_SIGN_PREDICATE, X);
    expect(verify(signing, ring([key], [other]), X).message).toBe(
      `the Sigstore bundle is signed by key ${toTrustedKey(other.pem).id.slice(
        0,
        8,
      )}, which is trusted for dhi.io but not for docker.io/example-org/dhi-python`,
    );
    expect(verify(signing, ring([key]), X).message).toBe(
      'the Sigstore bundle does not verify with any trusted key for docker.io/example-org/dhi-python',
    );
    expect(verify(signing, ring([]), X).message).toBe(
      'the Sigstore bundle does not verify: no keys are trusted for docker.io/example-org/dhi-python',
    );
  });
});
