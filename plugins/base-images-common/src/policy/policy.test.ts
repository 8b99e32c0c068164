import { parseImageReference } from '../image/imageReference';
import { collectCompliance, ComplianceSubject } from './compliance';
import {
  InvalidPolicyInputError,
  MalformedAnnotationError,
  UnknownFrameworkError,
  UnmeetableRequirementError,
  UnsupportedRuntimeError,
} from './errors';
import { selectImages } from './selectImages';
import { configWith, entity, loaderFor } from './testEntities';
import { evaluateImage } from './verdict';
import { EffectiveCompliance } from './types';

const F = 'compliance/frameworks';
const MIRROR = { mirror: { namespace: 'acme', extendedSupport: true } };

const none: EffectiveCompliance = { frameworks: [], missing: [], notes: [] };
const withFrameworks = (...ids: string[]): EffectiveCompliance => ({
  frameworks: ids.map(id => ({
    id,
    source: 'system:default/sys',
    known: true,
  })),
  missing: [],
  notes: [],
});

describe('selectImages: the seed situation table', () => {
  const config = configWith();
  it.each([
    ['prototype', 'python', 'python:3.13-slim'],
    ['open-source', 'python', 'python:3.13-slim'],
    ['production', 'python', 'python:3.13-slim'],
    ['security-sensitive', 'python', 'dhi.io/python:3.13'],
    ['prototype', 'node', 'node:22-slim'],
    ['open-source', 'node', 'node:22-slim'],
    ['production', 'node', 'node:22-slim'],
    ['security-sensitive', 'node', 'dhi.io/node:22'],
  ])('%s %s with no framework -> %s', (situation, runtime, image) => {
    const selection = selectImages({ runtime, situation }, none, config);
    expect(selection.runtimeImage).toBe(image);
    expect(selection.authRequired).toBe(image.startsWith('dhi.io'));
    expect(selection.reasons.join('\n')).toMatch(
      image.startsWith('dhi.io') ? /Hardened/ : /standard/,
    );
  });

  it('a prototype under a compliance framework is not relaxed', () => {
    const selection = selectImages(
      { runtime: 'python', situation: 'prototype' },
      withFrameworks('hipaa'),
      config,
    );
    expect(selection.runtimeImage).toBe('dhi.io/python:3.13-fips');
    expect(selection.reasons.join('\n')).toMatch(
      /prototype does not relax compliance/,
    );
  });
});

describe('selectImages: the seed compliance table', () => {
  const config = configWith();
  const mirrored = configWith({ dhi: MIRROR });
  it.each([
    // runtime, frameworks, config, runtimeImage, builderImage, variant
    ['python', [], config, 'python:3.13-slim', 'python:3.13-slim', 'slim'],
    ['node', [], config, 'node:22-slim', 'node:22-slim', 'slim'],
    [
      'python',
      ['soc2'],
      config,
      'dhi.io/python:3.13',
      'dhi.io/python:3.13-dev',
      'dhi',
    ],
    ['node', ['soc2'], config, 'dhi.io/node:22', 'node:22-slim', 'dhi'],
    [
      'python',
      ['hipaa'],
      config,
      'dhi.io/python:3.13-fips',
      'dhi.io/python:3.13-dev',
      'dhi-fips',
    ],
    [
      'node',
      ['hipaa'],
      config,
      'dhi.io/node:22-fips',
      'node:22-slim',
      'dhi-fips',
    ],
    [
      'python',
      ['pci-dss'],
      config,
      'dhi.io/python:3.13-fips',
      'dhi.io/python:3.13-dev',
      'dhi-fips',
    ],
    [
      'node',
      ['pci-dss'],
      config,
      'dhi.io/node:22-fips',
      'node:22-slim',
      'dhi-fips',
    ],
    [
      'python',
      ['cis'],
      mirrored,
      'acme/dhi-python:3.13',
      'acme/dhi-python:3.13-dev',
      'dhi',
    ],
    ['node', ['cis'], mirrored, 'acme/dhi-node:22', 'node:22-slim', 'dhi'],
    [
      'python',
      ['cis', 'hipaa'],
      mirrored,
      'acme/dhi-python:3.13-fips',
      'acme/dhi-python:3.13-dev',
      'dhi-fips',
    ],
    [
      'python',
      ['soc2'],
      mirrored,
      'dhi.io/python:3.13',
      'dhi.io/python:3.13-dev',
      'dhi',
    ],
  ] as const)(
    '%s %j -> %s',
    (runtime, frameworks, cfg, runtimeImage, builderImage, variant) => {
      const selection = selectImages(
        { runtime },
        withFrameworks(...frameworks),
        cfg,
      );
      expect(selection).toMatchObject({
        runtimeImage,
        builderImage,
        debugImage: builderImage,
        variant,
      });
      expect(selection.shellless).toBe(variant !== 'slim');
    },
  );

  it('extended support -> DHI ELS from the Enterprise mirror', () => {
    const compliance = {
      ...none,
      extendedSupport: { source: 'system:default/legacy' },
    };
    const selection = selectImages(
      { runtime: 'python' },
      compliance,
      configWith({ dhi: MIRROR }),
    );
    expect(selection.runtimeImage).toBe('acme/dhi-python:3.13');
    expect(selection.edition).toBe('enterprise');
    expect(selection.requirements.map(r => r.capability)).toEqual([
      'extended-support',
      'hardened',
      'enterprise',
    ]);
  });

  it.each([
    ['python', 'standard', [], 'python:3.13-alpine'],
    ['node', 'standard', [], 'node:22-alpine'],
    ['python', 'dhi', ['soc2'], 'dhi.io/python:3.13-alpine3.21'],
    ['node', 'dhi', ['soc2'], 'dhi.io/node:22-alpine'],
  ])('alpine flavor: %s %s -> %s', (runtime, _kind, frameworks, image) => {
    const selection = selectImages(
      { runtime, flavor: 'alpine' },
      withFrameworks(...frameworks),
      config,
    );
    expect(selection.runtimeImage).toBe(image);
    // an Alpine runtime is never built on a glibc -dev image
    expect(selection.builderImage).toBe(
      `${runtime}:${runtime === 'python' ? '3.13' : '22'}-alpine`,
    );
  });

  it('picks other versions from the tag catalog', () => {
    expect(
      selectImages(
        { runtime: 'python', version: '3.11' },
        withFrameworks('soc2'),
        config,
      ).runtimeImage,
    ).toBe('dhi.io/python:3.11');
    expect(
      selectImages(
        { runtime: 'node', version: '20' },
        withFrameworks('soc2'),
        config,
      ).runtimeImage,
    ).toBe('dhi.io/node:20');
    expect(
      selectImages({ runtime: 'python', version: '3.9' }, none, config)
        .runtimeImage,
    ).toBe('python:3.9-slim');
  });
});

describe('selectImages: unmeetable requirements are typed errors, never downgrades', () => {
  const config = configWith();
  const hipaaFrom = (source: string): EffectiveCompliance => ({
    frameworks: [{ id: 'hipaa', source, known: true }],
    missing: [],
    notes: [],
  });

  it('FIPS for a version without a -fips tag names framework, source and config key', () => {
    const attempt = () =>
      selectImages(
        { runtime: 'python', version: '3.12' },
        hipaaFrom('system:default/patient-records'),
        config,
      );
    expect(attempt).toThrow(UnmeetableRequirementError);
    expect(attempt).toThrow(
      /framework hipaa \(from system:default\/patient-records\)/,
    );
    expect(attempt).toThrow(/'baseImages\.runtimes\.python\.dhiTags'/);
    expect(attempt).toThrow(/'3\.12-fips' tag/);
  });

  it('FIPS with the alpine flavor is unmeetable with the seed tags', () => {
    expect(() =>
      selectImages(
        { runtime: 'node', flavor: 'alpine' },
        hipaaFrom('group:default/x'),
        config,
      ),
    ).toThrow(/'22-alpine-fips' tag/);
  });

  it('CIS without an Enterprise namespace names baseImages.dhi.mirror.namespace', () => {
    const cis = {
      frameworks: [
        { id: 'cis', source: 'system:default/hardened-platform', known: true },
      ],
      missing: [],
      notes: [],
    };
    expect(() => selectImages({ runtime: 'node' }, cis, config)).toThrow(
      /Cannot meet framework cis \(from system:default\/hardened-platform\).*'baseImages\.dhi\.mirror\.namespace'/,
    );
  });

  it('extended support without ELS on the mirror names baseImages.dhi.mirror.extendedSupport', () => {
    const compliance = {
      ...none,
      extendedSupport: { source: 'domain:default/legacy' },
    };
    expect(() =>
      selectImages(
        { runtime: 'python' },
        compliance,
        configWith({ dhi: { mirror: { namespace: 'acme' } } }),
      ),
    ).toThrow(
      /extended support \(from domain:default\/legacy\).*'baseImages\.dhi\.mirror\.extendedSupport'/,
    );
  });

  it('unknown runtime, bad version and flavor are typed errors', () => {
    expect(() => selectImages({ runtime: 'ruby' }, none, config)).toThrow(
      UnsupportedRuntimeError,
    );
    expect(() => selectImages({ runtime: 'ruby' }, none, config)).toThrow(
      /"ruby" is not supported; choose one of python, node/,
    );
    expect(() =>
      selectImages(
        { runtime: 'python', version: '3.13; rm -rf /' },
        none,
        config,
      ),
    ).toThrow(InvalidPolicyInputError);
    expect(() =>
      selectImages({ runtime: 'python', flavor: 'distroless' }, none, config),
    ).toThrow(/Invalid flavor/);
    expect(() =>
      selectImages({ runtime: 'python', situation: 'hobby' }, none, config),
    ).toThrow(/Invalid situation/);
  });

  it('unknown frameworks are an error naming the framework, its source and the config key', () => {
    const compliance = {
      frameworks: [
        { id: 'fedramp', source: 'domain:default/gov', known: false },
      ],
      missing: [],
      notes: [],
    };
    expect(() =>
      selectImages({ runtime: 'python' }, compliance, config),
    ).toThrow(UnknownFrameworkError);
    expect(() =>
      selectImages({ runtime: 'python' }, compliance, config),
    ).toThrow(
      /'fedramp' \(from domain:default\/gov\).*baseImages\.policy\.frameworks\.fedramp/,
    );
  });

  it('a framework defined in config is applied', () => {
    const cfg = configWith({
      policy: { frameworks: { fedramp: { requires: ['fips'] } } },
    });
    const compliance = {
      frameworks: [
        { id: 'fedramp', source: 'domain:default/gov', known: true },
      ],
      missing: [],
      notes: [],
    };
    expect(
      selectImages({ runtime: 'python' }, compliance, cfg).runtimeImage,
    ).toBe('dhi.io/python:3.13-fips');
  });
});

describe('collectCompliance: inheritance', () => {
  const config = configWith();
  const catalog = [
    entity('Domain', 'health', {}, { [F]: 'HIPAA' }),
    entity('Domain', 'gov', { subdomainOf: 'public-sector' }),
    entity('Domain', 'public-sector', {}, { [F]: 'soc2' }),
    entity('System', 'patient-records', { domain: 'health' }),
    entity('System', 'billing', { domain: 'gov' }, { [F]: 'soc2' }),
    entity('System', 'plain', {}),
    entity('System', 'payments', { domain: 'health' }, { [F]: 'pci-dss' }),
    entity('Group', 'platform', { parent: 'security' }),
    entity('Group', 'security', { parent: 'org' }, { [F]: 'cis' }),
    entity('Group', 'org', {}),
    entity('Group', 'loop-a', { parent: 'loop-b' }),
    entity('Group', 'loop-b', { parent: 'loop-a' }, { [F]: 'soc2' }),
    entity('Group', 'web', {}),
  ];
  const subject = (rest: Partial<ComplianceSubject>): ComplianceSubject => ({
    ref: 'component:default/new',
    namespace: 'default',
    ...rest,
  });

  it('framework on the domain only', async () => {
    const result = await collectCompliance(
      subject({ system: 'patient-records', owner: 'web' }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'hipaa', source: 'domain:default/health', known: true },
    ]);
    expect(
      selectImages({ runtime: 'python' }, result, config).runtimeImage,
    ).toBe('dhi.io/python:3.13-fips');
  });

  it('framework on a parent domain', async () => {
    const result = await collectCompliance(
      subject({ system: 'billing' }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'soc2', source: 'system:default/billing', known: true },
    ]);
  });

  it('framework on a parent group only', async () => {
    const result = await collectCompliance(
      subject({ system: 'plain', owner: 'group:default/platform' }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'cis', source: 'group:default/security', known: true },
    ]);
  });

  it('conflicting levels: the strictest wins and each keeps its source', async () => {
    const result = await collectCompliance(
      subject({
        system: 'billing',
        owner: 'web',
        annotations: { [F]: 'hipaa' },
      }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'hipaa', source: 'component:default/new', known: true },
      { id: 'soc2', source: 'system:default/billing', known: true },
    ]);
    const selection = selectImages({ runtime: 'node' }, result, config);
    expect(selection.runtimeImage).toBe('dhi.io/node:22-fips');
    expect(selection.requirements).toEqual([
      {
        capability: 'hardened',
        because: 'framework:hipaa',
        source: 'component:default/new',
      },
      {
        capability: 'fips',
        because: 'framework:hipaa',
        source: 'component:default/new',
      },
    ]);
  });

  it('the same framework at two levels keeps the closest source; aliases fold', async () => {
    const result = await collectCompliance(
      subject({ system: 'payments', annotations: { [F]: 'PCI' } }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'pci-dss', source: 'component:default/new', known: true },
      { id: 'hipaa', source: 'domain:default/health', known: true },
    ]);
  });

  it('group cycles stop, missing entities are reported', async () => {
    const result = await collectCompliance(
      subject({ system: 'nope', owner: 'loop-a' }),
      loaderFor(catalog),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'soc2', source: 'group:default/loop-b', known: true },
    ]);
    expect(result.missing).toEqual(['system:default/nope']);
    expect(result.notes.join()).toMatch(/cycle/);
  });

  it('a user owner carries no compliance and is not looked up', async () => {
    const loader = loaderFor(catalog);
    const result = await collectCompliance(
      subject({ owner: 'user:default/jane' }),
      loader,
      config,
    );
    expect(result.frameworks).toEqual([]);
    expect(loader.calls).toEqual([]);
  });

  it('marks unknown frameworks', async () => {
    const result = await collectCompliance(
      subject({ annotations: { [F]: 'fedramp' } }),
      loaderFor([]),
      config,
    );
    expect(result.frameworks).toEqual([
      { id: 'fedramp', source: 'component:default/new', known: false },
    ]);
  });
});

describe('collectCompliance: malformed annotations', () => {
  const config = configWith();
  const run = (value: string, support?: string) =>
    collectCompliance(
      {
        ref: 'system:default/s',
        namespace: 'default',
        annotations: {
          [F]: value,
          ...(support !== undefined ? { 'compliance/support': support } : {}),
        },
      },
      loaderFor([]),
      config,
    );

  it.each([
    ['', []],
    ['  ', []],
    [',,soc2,, ,', ['soc2']],
    ['SOC2, Hipaa', ['soc2', 'hipaa']],
    ['soc2,soc2,SOC2', ['soc2']],
    ['PCI DSS', ['pci-dss']],
  ])('%j -> %j', async (value, ids) => {
    expect((await run(value)).frameworks.map(f => f.id)).toEqual(ids);
  });

  it('a 10 kB value is refused with the entity and annotation named', async () => {
    await expect(run('soc2,'.repeat(2048))).rejects.toThrow(
      MalformedAnnotationError,
    );
    await expect(run('soc2,'.repeat(2048))).rejects.toThrow(
      /'compliance\/frameworks' on system:default\/s .*10240 characters/,
    );
  });

  it('garbage items are refused', async () => {
    await expect(run('soc2; drop table')).rejects.toThrow(
      /"soc2; drop table" is not a framework id/,
    );
  });

  it('compliance/support accepts extended or standard only', async () => {
    expect((await run('', 'Extended')).extendedSupport).toEqual({
      source: 'system:default/s',
    });
    expect((await run('', 'standard')).extendedSupport).toBeUndefined();
    await expect(run('', 'forever')).rejects.toThrow(
      /'compliance\/support' on system:default\/s is malformed/,
    );
  });

  it('a malformed owner reference is a clear error', async () => {
    await expect(
      collectCompliance(
        {
          ref: 'component:default/x',
          namespace: 'default',
          owner: 'group:default/',
        },
        loaderFor([]),
        config,
      ),
    ).rejects.toThrow(/Invalid group reference "group:default\/"/);
  });
});

describe('evaluateImage: drift', () => {
  const config = configWith({ dhi: MIRROR });
  it.each([
    ['python:3.13-slim', [], true, 'slim', 'python:3.13-slim'],
    ['python:3.13-slim', ['hipaa'], false, 'slim', 'dhi.io/python:3.13-fips'],
    ['dhi.io/python:3.13', ['hipaa'], false, 'dhi', 'dhi.io/python:3.13-fips'],
    [
      'dhi.io/python:3.13-fips',
      ['hipaa'],
      true,
      'dhi-fips',
      'dhi.io/python:3.13-fips',
    ],
    ['dhi.io/node:22', ['soc2'], true, 'dhi', 'dhi.io/node:22'],
    ['dhi.io/node:22', ['cis'], false, 'dhi', 'acme/dhi-node:22'],
    ['acme/dhi-node:22', ['cis'], true, 'dhi', 'acme/dhi-node:22'],
    ['dhi.io/python:3.11', ['soc2'], true, 'dhi', 'dhi.io/python:3.11'],
  ])(
    '%s under %j: compliant=%s',
    (ref, frameworks, compliant, _variant, required) => {
      const verdict = evaluateImage(
        parseImageReference(ref),
        withFrameworks(...frameworks),
        config,
      );
      expect(verdict.compliant).toBe(compliant);
      expect(verdict.required).toBe(required);
      expect(verdict.violations.length === 0).toBe(compliant);
    },
  );

  it('says plainly what is missing', () => {
    const verdict = evaluateImage(
      parseImageReference('python:3.13-slim'),
      withFrameworks('hipaa'),
      config,
    );
    expect(verdict.violations).toEqual([
      'hipaa (from system:default/sys) requires a Docker Hardened Image',
      'hipaa (from system:default/sys) requires a FIPS-enabled (-fips) image',
    ]);
  });

  it('falls back to the default version when the image version has no compliant tag', () => {
    const verdict = evaluateImage(
      parseImageReference('python:3.12-slim'),
      withFrameworks('hipaa'),
      config,
    );
    expect(verdict.required).toBe('dhi.io/python:3.13-fips');
    expect(verdict.error).toBeUndefined();
  });

  it('an unknown framework becomes a verdict error, not an exception', () => {
    const verdict = evaluateImage(
      parseImageReference('python:3.13-slim'),
      {
        frameworks: [
          { id: 'fedramp', source: 'system:default/x', known: false },
        ],
        missing: [],
        notes: [],
      },
      config,
    );
    expect(verdict.compliant).toBe(false);
    expect(verdict.error).toMatch(/fedramp/);
  });

  it('an image whose runtime is unknown still gets a verdict', () => {
    const verdict = evaluateImage(
      parseImageReference('ghcr.io/acme/base:1'),
      withFrameworks('soc2'),
      config,
    );
    expect(verdict.compliant).toBe(false);
    expect(verdict.required).toBeUndefined();
    expect(verdict.reasons.join()).toMatch(/base-image\/runtime/);
  });
});
