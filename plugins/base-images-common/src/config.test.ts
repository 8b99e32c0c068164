import { ConfigReader } from '@backstage/config';
import { BaseImagesConfigError, readBaseImagesConfig } from './config';
import { DEFAULT_RUNTIMES } from './policy/defaults';

const read = (baseImages: unknown) => () =>
  readBaseImagesConfig(new ConfigReader({ baseImages } as any));

describe('readBaseImagesConfig', () => {
  it('defaults to the seed when nothing is configured', () => {
    const config = readBaseImagesConfig(new ConfigReader({}));
    expect(config.runtimes).toEqual(DEFAULT_RUNTIMES);
    expect(config.dhi).toEqual({ registry: 'dhi.io', mirror: undefined });
    expect(config.frameworks.map(f => f.id)).toEqual([
      'soc2',
      'hipaa',
      'pci-dss',
      'cis',
    ]);
    expect(config.registries).toEqual([]);
    expect(config.admins).toEqual([]);
  });

  it('reads admins as normalised user and group refs', () => {
    expect(
      read({
        admins: [
          'user:development/guest',
          'Group:Default/Platform-Team',
          'group:security-team',
        ],
      })().admins,
    ).toEqual([
      'user:development/guest',
      'group:default/platform-team',
      'group:default/security-team',
    ]);
  });

  it.each([
    [['guest'], /'baseImages\.admins\[0\]': "guest" is not an entity ref/],
    [
      ['user:default/dan', 'component:default/portal'],
      /'baseImages\.admins\[1\]': "component:default\/portal" is a component ref; only user: and group: refs can be admins/,
    ],
    [
      ['group:default/platform team'],
      /'baseImages\.admins\[0\]': .* has an invalid namespace or name/,
    ],
    [['user:'], /'baseImages\.admins\[0\]'/],
  ])('rejects admins %j naming the item', (admins, message) => {
    expect(read({ admins })).toThrow(BaseImagesConfigError);
    expect(read({ admins })).toThrow(message);
  });

  it('rejects admins that are not a list', () => {
    expect(read({ admins: 'group:default/platform-team' })).toThrow(
      /baseImages\.admins/,
    );
  });

  it.each([
    [
      { polcy: {} },
      /'baseImages\.polcy': unknown key; did you mean 'baseImages\.policy'\?/,
    ],
    [
      { policy: { framewroks: {} } },
      /'baseImages\.policy\.framewroks'.*did you mean 'baseImages\.policy\.frameworks'/,
    ],
    [
      { dhi: { mirror: { namespace: 'acme', namesapce: 'x' } } },
      /'baseImages\.dhi\.mirror\.namesapce'/,
    ],
    [
      { registries: [{ host: 'dhi.io', publicKey: [] }] },
      /'baseImages\.registries\[0\]\.publicKey'.*did you mean 'baseImages\.registries\[0\]\.publicKeys'/,
    ],
    [
      { runtimes: { ruby: {} } },
      /'baseImages\.runtimes\.ruby': unknown runtime/,
    ],
    [
      { runtimes: { python: { defaultVersion: 'latest' } } },
      /'baseImages\.runtimes\.python\.defaultVersion'/,
    ],
    [
      { policy: { frameworks: { hipaa: { requires: ['fips', 'gold'] } } } },
      /'baseImages\.policy\.frameworks\.hipaa\.requires': "gold" is not one of/,
    ],
    [
      { policy: { frameworks: { HIPAA: { requires: [] } } } },
      /'baseImages\.policy\.frameworks\.HIPAA'/,
    ],
    [
      { policy: { frameworks: { pci2: { requires: [], aliases: ['pci'] } } } },
      /"pci" is also used by framework/,
    ],
    [
      { registries: [{ host: 'https://dhi.io' }] },
      /'baseImages\.registries\[0\]\.host'/,
    ],
    [
      { registries: [{ host: 'dhi.io', insecure: true }] },
      /'baseImages\.registries\[0\]\.insecure': plain HTTP is only allowed for loopback/,
    ],
    [{ registries: [{ host: 'dhi.io' }, { host: 'dhi.io' }] }, /listed twice/],
    [
      { registries: [{ host: 'dhi.io', publicKeys: ['not a key'] }] },
      /publicKeys\[0\]'.*PEM/,
    ],
    [{ defaults: { flavor: 'distroless' } }, /'baseImages\.defaults\.flavor'/],
    [
      { requiredAttestations: ['provenance'] },
      /'baseImages\.requiredAttestations\[0\]'/,
    ],
    [
      { dhi: { mirror: { namespace: 'Acme' } } },
      /'baseImages\.dhi\.mirror\.namespace'/,
    ],
    [
      { registries: [{ host: 'docker.io', endpoint: 'ftp://mirror' }] },
      /'baseImages\.registries\[0\]\.endpoint'/,
    ],
    [
      {
        registries: [
          { host: 'docker.io', endpoint: 'https://mirror.example.com/v2/' },
        ],
      },
      /no path/,
    ],
    [
      {
        registries: [{ host: 'docker.io', endpoint: 'http://127.0.0.1:5000' }],
      },
      /needs insecure: true/,
    ],
    [
      {
        registries: [
          {
            host: 'docker.io',
            endpoint: 'http://mirror.example.com',
            insecure: true,
          },
        ],
      },
      /only allowed for loopback hosts, not mirror\.example\.com/,
    ],
    [
      {
        registries: [
          { host: 'docker.io', repositories: [{ prefix: 'Example/dhi-' }] },
        ],
      },
      /'baseImages\.registries\[0\]\.repositories\[0\]\.prefix': "Example\/dhi-" is not a repository-name prefix/,
    ],
    [
      // a partial namespace would reach other Docker Hub namespaces
      {
        registries: [
          { host: 'docker.io', repositories: [{ prefix: 'example-' }] },
        ],
      },
      /repositories\[0\]\.prefix': "example-" is not a repository-name prefix/,
    ],
    [
      {
        registries: [
          {
            host: 'docker.io',
            repositories: [{ prefix: 'acme/' }, { prefix: 'acme/' }],
          },
        ],
      },
      /repositories\[1\]\.prefix': "acme\/" is listed twice/,
    ],
    [
      {
        registries: [
          {
            host: 'docker.io',
            repositories: [{ prefix: 'acme/', dhikeys: true }],
          },
        ],
      },
      /'baseImages\.registries\[0\]\.repositories\[0\]\.dhikeys'.*did you mean .*dhiKeys/,
    ],
    [
      {
        registries: [
          {
            host: 'docker.io',
            repositories: [
              {
                prefix: 'acme/dhi-',
                attestationsHost: 'registry.scout.docker.com',
              },
            ],
          },
        ],
      },
      /'baseImages\.registries\[0\]\.repositories\[0\]\.attestationsHost': registry\.scout\.docker\.com is not in baseImages\.registries/,
    ],
    [
      {
        registries: [
          { host: 'dhi.io', attestationsRepository: '../{repository}' },
        ],
      },
      /'baseImages\.registries\[0\]\.attestationsRepository': "\.\.\/\{repository\}" is not a repository path/,
    ],
    [
      {
        registries: [
          { host: 'dhi.io', attestationsRepository: 'dhi/{repository}:tag' },
        ],
      },
      /attestationsRepository/,
    ],
    [
      {
        policy: {
          frameworks: { hipaa: { requires: ['fips'], evidence: ['fips'] } },
        },
      },
      /'baseImages\.policy\.frameworks\.hipaa\.evidence\[0\]'/,
    ],
  ])('rejects %j naming the key', (value, message) => {
    expect(read(value)).toThrow(BaseImagesConfigError);
    expect(read(value)).toThrow(message);
  });

  it('reads registries, mirror and framework overrides', () => {
    const config = read({
      registries: [
        {
          host: '127.0.0.1:5000',
          insecure: true,
          requiredAttestations: ['https://slsa.dev/provenance/'],
        },
        {
          host: 'docker.io',
          endpoint: 'http://127.0.0.1:5000',
          insecure: true,
        },
      ],
      dhi: { mirror: { namespace: 'acme', useForAll: true } },
      policy: { frameworks: { soc2: { requires: ['hardened', 'fips'] } } },
    })();
    expect(config.registries[0]).toMatchObject({
      host: '127.0.0.1:5000',
      insecure: true,
      publicKeys: [],
    });
    expect(config.registries[1]).toMatchObject({
      host: 'docker.io',
      endpoint: 'http://127.0.0.1:5000',
    });
    expect(config.dhi.mirror).toEqual({
      registry: 'docker.io',
      namespace: 'acme',
      repositoryPrefix: 'dhi-',
      useForAll: true,
      extendedSupport: false,
    });
    expect(config.frameworks.find(f => f.id === 'soc2')!.requires).toEqual([
      'hardened',
      'fips',
    ]);
  });

  it('reads trust scoped by repository prefix; dhi.io trusts the DHI keys by default', () => {
    const config = read({
      registries: [
        { host: 'dhi.io' },
        { host: 'ghcr.io', dhiKeys: true },
        {
          host: 'docker.io',
          repositories: [
            {
              prefix: 'example-org/dhi-',
              dhiKeys: true,
              attestationsHost: 'registry.scout.docker.com',
              requiredAttestations: ['https://slsa.dev/provenance/'],
            },
            { prefix: 'dhi', attestationsRepository: 'dhi/{repository}' },
          ],
        },
        { host: 'registry.scout.docker.com' },
      ],
    })();
    expect(config.registries.map(r => [r.host, r.dhiKeys])).toEqual([
      ['dhi.io', true],
      ['ghcr.io', true],
      ['docker.io', false],
      ['registry.scout.docker.com', false],
    ]);
    expect(config.registries[2].repositories).toEqual([
      {
        prefix: 'example-org/dhi-',
        dhiKeys: true,
        publicKeys: [],
        attestationsHost: 'registry.scout.docker.com',
        attestationsRepository: undefined,
        requiredAttestations: ['https://slsa.dev/provenance/'],
      },
      {
        prefix: 'dhi',
        dhiKeys: undefined,
        publicKeys: [],
        attestationsHost: undefined,
        attestationsRepository: 'dhi/{repository}',
        requiredAttestations: undefined,
      },
    ]);
    expect(
      read({ registries: [{ host: 'dhi.io', dhiKeys: false }] })().registries[0]
        .dhiKeys,
    ).toBe(false);
  });

  it('keeps the built-in evidence of a framework restated without it', () => {
    const config = read({
      policy: {
        frameworks: {
          hipaa: { requires: ['hardened', 'fips'] },
          'pci-dss': {
            requires: ['hardened', 'fips'],
            evidence: ['https://docker.com/dhi/fips/'],
          },
          fedramp: { requires: ['fips'] },
        },
      },
    })();
    const evidence = (id: string) =>
      config.frameworks.find(f => f.id === id)!.evidence;
    expect(evidence('hipaa')).toEqual([
      'https://slsa.dev/verification_summary/',
      'https://docker.com/dhi/fips/',
    ]);
    expect(evidence('pci-dss')).toEqual(['https://docker.com/dhi/fips/']);
    expect(evidence('fedramp')).toEqual([]);
  });
});
