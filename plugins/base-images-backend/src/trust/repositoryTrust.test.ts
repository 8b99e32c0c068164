import { ConfigReader } from '@backstage/config';
import { readBaseImagesConfig } from '@internal/backstage-plugin-base-images-common';
import { createTestKey } from '../__testUtils__/images';
import { dhiKeys, keyRingFor } from './keys';
import { prefixCovers, resolveRepositoryTrust } from './repositoryTrust';

const REQUIRED = ['https://slsa.dev/provenance/'];
const registriesOf = (registries: object[]) =>
  readBaseImagesConfig(new ConfigReader({ baseImages: { registries } }))
    .registries;

describe('prefixCovers', () => {
  it.each([
    ['example-org/dhi-', 'example-org/dhi-python', true],
    ['example-org/', 'example-org/app', true],
    ['example-org', 'example-org/app', true],
    ['example-org', 'example-org', true],
    ['python', 'python', true],
    // the namespace is matched whole: anyone can register example-orgx on Docker Hub
    ['example-org', 'example-orgx/app', false],
    ['python', 'python-evil', false],
    ['example-org/dhi-', 'example-org/app', false],
    ['example-org/dhi-', 'other/example-org/dhi-python', false],
  ])('%s covers %s: %s', (prefix, repository, covered) => {
    expect(prefixCovers(prefix, repository)).toBe(covered);
  });
});

describe('resolveRepositoryTrust', () => {
  const [dhiIo, hub] = registriesOf([
    {
      host: 'dhi.io',
      attestationsHost: 'registry.scout.docker.com',
      attestationsRepository: 'dhi/{repository}',
    },
    {
      host: 'docker.io',
      requiredAttestations: ['https://cyclonedx.org/bom'],
      repositories: [
        {
          prefix: 'example-org/',
          publicKeys: [createTestKey().pem],
        },
        {
          prefix: 'example-org/dhi-',
          dhiKeys: true,
          attestationsHost: 'registry.scout.docker.com',
          requiredAttestations: ['https://openvex.dev/ns'],
        },
      ],
    },
    { host: 'registry.scout.docker.com' },
  ]);

  it('the longest matching prefix wins; keys add up from the registry and the prefix', () => {
    const mirror = resolveRepositoryTrust(
      hub,
      'example-org/dhi-python',
      REQUIRED,
    );
    expect(mirror).toEqual({
      scope: 'docker.io/example-org/dhi-',
      dhiKeys: true,
      publicKeys: [],
      requiredAttestations: ['https://openvex.dev/ns'],
      attestations: {
        host: 'registry.scout.docker.com',
        repository: 'example-org/dhi-python',
      },
    });
    const own = resolveRepositoryTrust(hub, 'example-org/portal', REQUIRED);
    expect(own).toMatchObject({
      scope: 'docker.io/example-org/',
      dhiKeys: false,
      requiredAttestations: ['https://cyclonedx.org/bom'],
      attestations: undefined,
    });
    expect(own.publicKeys).toHaveLength(1);
  });

  it('outside every prefix, only the registry applies: no keys for Docker Hub as a whole', () => {
    expect(
      resolveRepositoryTrust(hub, 'evil-org/dhi-python', REQUIRED),
    ).toEqual({
      scope: 'docker.io',
      dhiKeys: false,
      publicKeys: [],
      requiredAttestations: ['https://cyclonedx.org/bom'],
      attestations: undefined,
    });
  });

  it("maps the attestations repository ({repository} is the image's); dhi.io trusts the DHI keys", () => {
    expect(resolveRepositoryTrust(dhiIo, 'python', REQUIRED)).toEqual({
      scope: 'dhi.io',
      dhiKeys: true,
      publicKeys: [],
      requiredAttestations: REQUIRED,
      attestations: {
        host: 'registry.scout.docker.com',
        repository: 'dhi/python',
      },
    });
  });
});

describe('keyRingFor', () => {
  it('a key trusted for one prefix is not trusted for another repository, and the message can say where it is', () => {
    const orgKey = createTestKey();
    const registries = registriesOf([
      { host: 'dhi.io' },
      {
        host: 'docker.io',
        repositories: [
          { prefix: 'example-org/dhi-', dhiKeys: true },
          { prefix: 'example-org/tools', publicKeys: [orgKey.pem] },
        ],
      },
    ]);
    const dhi = dhiKeys([createTestKey().pem]);
    const ringOf = (repository: string) =>
      keyRingFor(
        `docker.io/${repository}`,
        resolveRepositoryTrust(registries[1], repository, REQUIRED),
        registries,
        dhi,
      );
    const mirror = ringOf('example-org/dhi-python');
    expect(mirror.trusted.map(k => k.id)).toEqual([dhi[0].id]);
    const other = ringOf('example-org/app');
    expect(other.trusted).toEqual([]);
    expect(other.elsewhere().map(k => [k.id === dhi[0].id, k.scopes])).toEqual([
      [true, ['dhi.io', 'docker.io/example-org/dhi-']],
      [false, ['docker.io/example-org/tools']],
    ]);
  });

  it("Docker's DHI keys are the keyring's dhi-2 and dhi-1", () => {
    expect(dhiKeys().map(k => k.id.slice(0, 8))).toEqual([
      '118ba556',
      '1b431f0d',
    ]);
  });
});
