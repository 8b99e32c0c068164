import { ConfigReader } from '@backstage/config';
import { readBaseImagesConfig } from '../config';
import type { AttestationReport, AttestationResult } from '../status';
import { frameworkEvidence, matchesPredicateType } from './evidence';
import {
  DEFAULT_REQUIRED_ATTESTATIONS,
  FIPS_ATTESTATION,
  VERIFICATION_SUMMARY_ATTESTATION,
} from './defaults';

describe('matchesPredicateType', () => {
  it.each([
    // research notes §5: real type URIs
    ['https://slsa.dev/provenance/', 'https://slsa.dev/provenance/v1'],
    ['https://slsa.dev/provenance/', 'https://slsa.dev/provenance/v0.2'],
    ['https://slsa.dev/provenance', 'https://slsa.dev/provenance/v1'],
    ['https://cyclonedx.org/bom', 'https://cyclonedx.org/bom/v1.6'],
    ['https://cyclonedx.org/bom', 'https://cyclonedx.org/bom'],
    ['https://openvex.dev/ns', 'https://openvex.dev/ns/v0.2.0'],
    ['https://spdx.dev/Document', 'https://spdx.dev/Document'],
    ['https://docker.com/dhi/fips/', 'https://docker.com/dhi/fips/v0.1'],
    [
      'https://slsa.dev/verification_summary/',
      'https://slsa.dev/verification_summary/v1',
    ],
    ['https://cyclonedx.org/bom/v1.6', 'https://cyclonedx.org/bom/v1.6'],
  ])('%s matches %s', (prefix, type) => {
    expect(matchesPredicateType(prefix, type)).toBe(true);
  });

  it.each([
    // a bare string prefix would take all of these
    ['https://slsa.dev/provenance/', 'https://slsa.dev/provenance/evil'],
    ['https://slsa.dev/provenance/', 'https://slsa.dev/provenance/v1/evil'],
    ['https://slsa.dev/provenance/', 'https://slsa.dev/provenance/v1x'],
    ['https://slsa.dev/provenance', 'https://slsa.dev/provenance-v1'],
    ['https://slsa.dev/provenance', 'https://slsa.dev/provenanceX/v1'],
    ['https://cyclonedx.org/bom/v1.6', 'https://cyclonedx.org/bom/v1.5'],
    ['https://cyclonedx.org/bom/v1', 'https://cyclonedx.org/bom/v1.6'],
    ['https://openvex.dev/ns', 'https://OPENVEX.dev/ns/v0.2.0'],
    ['https://docker.com/dhi/fips/', 'https://docker.com/dhi/fips-ish/v0.1'],
    ['/', 'https://slsa.dev/provenance/v1'],
  ])('%s does not match %s', (prefix, type) => {
    expect(matchesPredicateType(prefix, type)).toBe(false);
  });

  it('the default required types accept what DHI publishes', () => {
    const published = [
      'https://slsa.dev/provenance/v0.2',
      'https://cyclonedx.org/bom/v1.5',
      'https://openvex.dev/ns/v0.2.0',
    ];
    expect(
      DEFAULT_REQUIRED_ATTESTATIONS.map(prefix =>
        published.some(type => matchesPredicateType(prefix, type)),
      ),
    ).toEqual([true, true, true]);
  });
});

describe('frameworkEvidence', () => {
  const config = readBaseImagesConfig(new ConfigReader({}));
  const hipaa = { id: 'hipaa', source: 'system:default/records', known: true };
  const soc2 = { id: 'soc2', source: 'group:default/web', known: true };
  const vsa: AttestationResult = {
    predicateType: 'https://slsa.dev/verification_summary/v1',
    verified: true,
    signer: 'abc',
  };
  const fips: AttestationResult = {
    predicateType: 'https://docker.com/dhi/fips/v0.1',
    verified: true,
    signer: 'abc',
  };
  const report = (
    status: AttestationReport['status'],
    attestations: AttestationResult[],
    extra: Partial<AttestationReport> = {},
  ) => ({ status, attestations, ...extra });

  it('uses the built-in evidence: the verification summary for each DHI framework, FIPS for HIPAA', () => {
    expect(
      frameworkEvidence(
        [hipaa, soc2],
        report('verified', [vsa, fips]),
        config.frameworks,
      ),
    ).toEqual([
      {
        framework: 'hipaa',
        predicateType: VERIFICATION_SUMMARY_ATTESTATION,
        status: 'verified',
        provenBy: 'https://slsa.dev/verification_summary/v1',
      },
      {
        framework: 'hipaa',
        predicateType: FIPS_ATTESTATION,
        status: 'verified',
        provenBy: 'https://docker.com/dhi/fips/v0.1',
      },
      {
        framework: 'soc2',
        predicateType: VERIFICATION_SUMMARY_ATTESTATION,
        status: 'verified',
        provenBy: 'https://slsa.dev/verification_summary/v1',
      },
    ]);
  });

  it('tells missing from present but unverified', () => {
    const evidence = frameworkEvidence(
      [hipaa],
      report('incomplete', [
        { ...vsa, verified: false, message: 'not read: over the size limit' },
      ]),
      config.frameworks,
    );
    expect(evidence.map(e => [e.predicateType, e.status])).toEqual([
      [VERIFICATION_SUMMARY_ATTESTATION, 'unverified'],
      [FIPS_ATTESTATION, 'missing'],
    ]);
    expect(evidence[0].provenBy).toBeUndefined();
  });

  it('a verified attestation proves nothing when the image itself is not signed', () => {
    for (const status of ['unsigned', 'invalid', 'not-checked'] as const) {
      expect(
        frameworkEvidence([soc2], report(status, [vsa]), config.frameworks)[0]
          .status,
      ).toBe('unverified');
    }
  });

  it('an outage is judged by its last known result', () => {
    const lastKnown = (status: AttestationReport['status']) => ({
      status,
      checkedAt: '2026-01-01T00:00:00Z',
      ageSeconds: 60,
    });
    expect(
      frameworkEvidence(
        [soc2],
        report('unavailable', [vsa], { lastKnown: lastKnown('verified') }),
        config.frameworks,
      )[0].status,
    ).toBe('verified');
    expect(
      frameworkEvidence(
        [soc2],
        report('unavailable', [vsa]),
        config.frameworks,
      )[0].status,
    ).toBe('unverified');
  });

  it('an attestation of a look-alike type is no evidence', () => {
    expect(
      frameworkEvidence(
        [hipaa],
        report('verified', [
          vsa,
          { ...fips, predicateType: 'https://docker.com/dhi/fips/evil' },
        ]),
        config.frameworks,
      )[1].status,
    ).toBe('missing');
  });

  it('frameworks without a policy, or with no evidence configured, need none', () => {
    const custom = readBaseImagesConfig(
      new ConfigReader({
        baseImages: {
          policy: {
            frameworks: {
              fedramp: {
                requires: ['fips'],
                evidence: ['https://docker.com/dhi/stig/'],
              },
              internal: { requires: ['hardened'] },
            },
          },
        },
      }),
    );
    const evidence = frameworkEvidence(
      [
        { id: 'fedramp', source: 'system:default/x', known: true },
        { id: 'internal', source: 'system:default/x', known: true },
        { id: 'unknown', source: 'system:default/x', known: false },
      ],
      report('verified', [
        {
          predicateType: 'https://docker.com/dhi/stig/v0.1',
          verified: true,
        },
      ]),
      custom.frameworks,
    );
    expect(evidence).toEqual([
      {
        framework: 'fedramp',
        predicateType: 'https://docker.com/dhi/stig/',
        status: 'verified',
        provenBy: 'https://docker.com/dhi/stig/v0.1',
      },
    ]);
  });
});
