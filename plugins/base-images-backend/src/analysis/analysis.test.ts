import { createdAtOf, imageFigures } from './figures';
import { countSbomPackages } from './sbom';
import { vulnerabilitiesAfterVex } from './vulnerabilities';

describe('countSbomPackages', () => {
  it('CycloneDX: nested components count, the image itself and files do not, each package once', () => {
    expect(
      countSbomPackages('https://cyclonedx.org/bom/v1.6', {
        metadata: { component: { 'bom-ref': 'root', name: 'image' } },
        components: [
          { 'bom-ref': 'root', name: 'image' },
          {
            'bom-ref': 'a',
            name: 'a',
            components: [{ purl: 'pkg:deb/debian/b@1', name: 'b' }],
          },
          { 'bom-ref': 'a', name: 'a again' },
          { name: 'c', version: '1' },
          { name: 'c', version: '1' },
          { name: 'c', version: '2' },
          { type: 'file', name: '/etc/passwd' },
          'not a component',
        ],
      }),
    ).toBe(4);
  });

  it('SPDX 2.x: packages less what the document describes', () => {
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      documentDescribes: ['SPDXRef-image'],
      packages: [
        { SPDXID: 'SPDXRef-image', name: 'image' },
        { SPDXID: 'SPDXRef-root2', name: 'described by relationship' },
        { SPDXID: 'SPDXRef-a', name: 'a' },
        { SPDXID: 'SPDXRef-b', name: 'b' },
      ],
      relationships: [
        {
          spdxElementId: 'SPDXRef-DOCUMENT',
          relationshipType: 'DESCRIBES',
          relatedSpdxElement: 'SPDXRef-root2',
        },
        {
          spdxElementId: 'SPDXRef-image',
          relationshipType: 'CONTAINS',
          relatedSpdxElement: 'SPDXRef-a',
        },
      ],
    };
    expect(countSbomPackages('https://spdx.dev/Document', spdx)).toBe(2);
    expect(countSbomPackages('https://spdx.dev/Document/v2.3', spdx)).toBe(2);
  });

  it('reads nothing it does not know: SPDX 3, other types, non-objects', () => {
    expect(
      countSbomPackages('https://spdx.dev/Document/v3', { packages: [] }),
    ).toBeUndefined();
    expect(
      countSbomPackages('https://cyclonedx.org/bom-evil/v1', {
        components: [],
      }),
    ).toBeUndefined();
    expect(countSbomPackages('https://cyclonedx.org/bom', [])).toBeUndefined();
    expect(
      countSbomPackages('https://cyclonedx.org/bom', { components: 'x' }),
    ).toBeUndefined();
  });

  it('walks a deeply nested BOM without recursion', () => {
    let nested: any = { name: 'leaf', version: '0' };
    for (let i = 1; i <= 20_000; i++)
      nested = { name: `n${i}`, version: '1', components: [nested] };
    expect(
      countSbomPackages('https://cyclonedx.org/bom', { components: [nested] }),
    ).toBe(20_001);
  });
});

describe('vulnerabilitiesAfterVex', () => {
  const scan = (result: unknown[]) => ({ scanner: { result } });
  const vex = (statements: unknown[], timestamp = '2026-01-01T00:00:00Z') => ({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    timestamp,
    statements,
  });

  it('counts by highest severity, from either id placement of vulns v0.1 and v0.2', () => {
    expect(
      vulnerabilitiesAfterVex(
        [
          scan([
            {
              id: 'CVE-1',
              severity: [
                { method: 'nvd', score: 'MEDIUM' },
                { method: 'CVSSv3', score: '9.1' },
              ],
            },
            { vulnerability: { id: 'CVE-2', severity: [{ score: 'High' }] } },
            { id: 'CVE-3', severity: [{ score: 'moderate' }] },
            { id: 'CVE-4', severity: [{ score: 2.5 }] },
            { id: 'CVE-5', severity: [{ score: 'CVSS:3.1/AV:N' }] },
            { id: 'CVE-1' },
            { severity: [{ score: 'HIGH' }] },
          ]),
        ],
        [],
      ),
    ).toEqual({
      total: 5,
      critical: 1,
      high: 1,
      medium: 1,
      low: 1,
      suppressedByVex: 0,
    });
  });

  it('VEX not_affected and fixed suppress; the latest statement wins, aliases match', () => {
    const result = vulnerabilitiesAfterVex(
      [
        scan([
          { id: 'CVE-1', severity: [{ score: 'HIGH' }] },
          { id: 'CVE-2', severity: [{ score: 'LOW' }] },
          { id: 'CVE-3', severity: [{ score: 'LOW' }] },
          { id: 'CVE-4', severity: [{ score: 'LOW' }] },
          { id: 'CVE-5', severity: [{ score: 'CRITICAL' }] },
        ]),
      ],
      [
        vex([
          { vulnerability: { name: 'CVE-1' }, status: 'not_affected' },
          {
            vulnerability: { name: 'GHSA-x', aliases: ['CVE-2'] },
            status: 'fixed',
          },
          { vulnerability: { name: 'CVE-3' }, status: 'not_affected' },
          // same time: the later one listed wins
          { vulnerability: { name: 'CVE-4' }, status: 'not_affected' },
          { vulnerability: { name: 'CVE-4' }, status: 'affected' },
          { vulnerability: { name: 'CVE-5' }, status: 'under_investigation' },
        ]),
        // a later document reopens CVE-3
        vex(
          [{ vulnerability: { name: 'CVE-3' }, status: 'affected' }],
          '2026-02-01T00:00:00Z',
        ),
        // an older statement changes nothing
        vex(
          [
            {
              vulnerability: { name: 'CVE-5' },
              status: 'not_affected',
              timestamp: '2025-01-01T00:00:00Z',
            },
          ],
          '2026-03-01T00:00:00Z',
        ),
      ],
    );
    expect(result).toEqual({
      total: 3,
      critical: 1,
      high: 0,
      medium: 0,
      low: 2,
      suppressedByVex: 2,
    });
  });

  it('says nothing without a scan result; an empty result is zero', () => {
    expect(vulnerabilitiesAfterVex([], [vex([])])).toBeUndefined();
    expect(vulnerabilitiesAfterVex([scan([])], [])).toEqual({
      total: 0,
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      suppressedByVex: 0,
    });
  });
});

describe('imageFigures', () => {
  const sbom = (verified: boolean, count: number) => ({
    predicateType: 'https://spdx.dev/Document',
    verified,
    predicate: {
      packages: Array.from({ length: count }, (_, i) => ({ SPDXID: `p${i}` })),
    },
  });

  it('prefers a verified SBOM; falls back to an unsigned one, saying so', () => {
    expect(
      imageFigures({ contents: [sbom(false, 600), sbom(true, 80)] }),
    ).toEqual({ packages: 80 });
    expect(imageFigures({ contents: [sbom(false, 600)] })).toEqual({
      packages: 600,
      unsignedSbom: true,
    });
  });

  it('takes vulnerabilities from verified attestations only; size from the layers', () => {
    const figures = imageFigures({
      contents: [
        {
          predicateType: 'https://in-toto.io/attestation/vulns/v0.1',
          verified: false,
          predicate: { scanner: { result: [{ id: 'CVE-1' }] } },
        },
      ],
      platformManifest: {
        layers: [
          { mediaType: 'l', digest: 'sha256:a', size: 1000 },
          { mediaType: 'l', digest: 'sha256:b', size: 24 },
        ],
      },
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(figures).toEqual({
      sizeBytes: 1024,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(imageFigures({ contents: [] })).toBeUndefined();
  });

  it('reads a config’s created time, and nothing else', () => {
    expect(createdAtOf({ created: '2026-01-02T03:04:05.123456789Z' })).toBe(
      '2026-01-02T03:04:05.123Z',
    );
    expect(createdAtOf({ created: 'yesterday' })).toBeUndefined();
    expect(createdAtOf({ created: 5 })).toBeUndefined();
    expect(createdAtOf(null)).toBeUndefined();
  });
});
