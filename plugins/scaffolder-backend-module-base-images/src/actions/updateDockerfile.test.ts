import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  createMockDirectory,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { parseDockerfile } from '@internal/backstage-plugin-base-images-common';
import {
  answerDigests,
  DigestBackend,
  startDigestBackend,
} from '../__testUtils__/digestBackend';
import {
  baseImagesConfig,
  catalogEntities,
  mockContext,
} from '../__testUtils__/fixtures';
import {
  componentAt,
  publishedService,
  updateAction,
} from '../__testUtils__/localService';
import { Runtime } from '../__testUtils__/renderService';
import { checkDockerfile } from '../render/checkDockerfile';
import { createPublishLocalAction } from './publishLocal';
import { createResolveBaseImagesAction } from './resolve';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd }).toString();

/** What the policy requires for a service of `runtime` owned by web-team in `system`. */
async function required(runtime: Runtime, system: string) {
  const ctx = mockContext({
    input: { runtime, system, owner: 'group:default/web-team' } as any,
  });
  await createResolveBaseImagesAction({
    catalog: catalogServiceMock({ entities: catalogEntities }),
    config: baseImagesConfig(),
    publish: { target: 'local', localDirectory: '/nonexistent' },
  }).handler(ctx);
  return ctx.outputs();
}

/** Lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string) {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a
    .map((line, i) => [i + 1, line, b[i]] as const)
    .filter(([, x, y]) => x !== y);
}

const SYSTEMS = {
  slim: 'system:default/marketing-site',
  dhi: 'system:default/internal-tools',
  fips: 'system:default/patient-records',
  enterprise: 'system:default/hardened-platform',
};

describe('base-images:update-dockerfile', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());
  const localPublish = () => ({
    target: 'local' as const,
    localDirectory: mockDir.resolve('repos'),
  });

  function serviceWith(
    dockerfile: string | Buffer,
    extra: Record<string, unknown> = {},
  ) {
    mockDir.addContent({
      repos: {
        svc: {
          '.git': {},
          'catalog-info.yaml': 'not read',
          Dockerfile: dockerfile,
          ...extra,
        },
      },
    });
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'svc',
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location': `file:${mockDir.resolve(
            'repos/svc/catalog-info.yaml',
          )}`,
        },
      },
      spec: {
        type: 'service',
        owner: 'group:default/web-team',
        system: SYSTEMS.dhi,
      },
    };
    return entity as Entity & {
      metadata: { annotations: Record<string, string> };
      spec: Record<string, unknown>;
    };
  }

  async function run(
    action: ReturnType<typeof updateAction>['action'],
    input: Record<string, unknown>,
    options: { isDryRun?: boolean; workspace?: string } = {},
  ) {
    const workspacePath = mockDir.resolve(options.workspace ?? 'workspace');
    fs.mkdirSync(workspacePath, { recursive: true });
    const ctx = mockContext({
      input: input as any,
      workspacePath,
      isDryRun: options.isDryRun,
    });
    await action.handler(ctx);
    return { outputs: ctx.outputs(), workspacePath };
  }

  describe.each(['python', 'node'] as Runtime[])('%s', runtime => {
    it.each([
      ['slim', 'DHI', SYSTEMS.slim, SYSTEMS.dhi],
      ['DHI', 'DHI FIPS', SYSTEMS.dhi, SYSTEMS.fips],
      ['DHI', 'the DHI Enterprise mirror', SYSTEMS.dhi, SYSTEMS.enterprise],
      ['slim', 'DHI FIPS', SYSTEMS.slim, SYSTEMS.fips],
    ])(
      'moves a generated %s service to %s, changing only FROM lines',
      async (_from, _to, fromSystem, toSystem) => {
        const service = await publishedService({
          root: mockDir.path,
          runtime,
          system: fromSystem,
        });
        const before = fs.readFileSync(service.dockerfilePath, 'utf8');
        const entity = componentAt(service.catalogInfoPath, {
          system: toSystem,
        });
        const { action, catalog } = updateAction({
          entities: [entity],
          publish: localPublish(),
        });
        const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
        const { outputs, workspacePath } = await run(action, {
          entity: 'component:default/svc',
        });
        const wanted = await required(runtime, toSystem);

        expect(getEntityByRef).toHaveBeenCalledWith('component:default/svc', {
          credentials: mockCredentials.user(),
        });
        expect(outputs).toMatchObject({
          changed: true,
          previousImage: service.resolved.runtimeImage,
          requiredImage: wanted.runtimeImage,
          newTag: wanted.runtimeImage.split(':').pop(),
          branchName: `base-image/${wanted.runtimeImage.split(':').pop()}`,
          dockerfile: 'Dockerfile',
          publishTarget: 'local',
          localRepository: service.repoDir,
          repoName: 'svc',
          repoUrl: '',
          targetBranchName: 'main',
        });
        expect(outputs.title).toBe(
          `Move svc to ${wanted.runtimeImage} (${wanted.variant})`,
        );
        for (const framework of wanted.frameworks) {
          expect(outputs.description).toContain(
            `- \`${framework.id}\` (from \`${framework.source}\`)`,
          );
        }

        const after = fs.readFileSync(
          path.join(workspacePath, 'Dockerfile'),
          'utf8',
        );
        const imageOf: Record<string, string> = {
          builder: wanted.builderImage,
          debug: wanted.debugImage,
          production: wanted.runtimeImage,
        };
        for (const stage of parseDockerfile(after).stages)
          expect(stage.image).toBe(imageOf[stage.name!]);
        // every changed line is a FROM line, with its stage name kept
        const changes = changedLines(before, after);
        expect(changes.length).toBeGreaterThan(0);
        for (const [, was, now] of changes) {
          expect(was).toMatch(/^FROM \S+ AS [a-z]+$/);
          expect(now.replace(/^FROM \S+ /, '')).toBe(
            was.replace(/^FROM \S+ /, ''),
          );
        }
        expect(
          checkDockerfile(after, {
            allowedImages: [
              wanted.runtimeImage,
              wanted.builderImage,
              wanted.debugImage,
            ],
            runtimeImage: wanted.runtimeImage,
            shellless: wanted.shellless,
          }),
        ).toEqual([]);
        // the local repository is only read
        expect(fs.readFileSync(service.dockerfilePath, 'utf8')).toBe(before);
      },
    );

    it('says a service already on its required images has nothing to change', async () => {
      const service = await publishedService({
        root: mockDir.path,
        runtime,
        system: SYSTEMS.fips,
      });
      const { action } = updateAction({
        entities: [componentAt(service.catalogInfoPath)],
        publish: localPublish(),
      });
      const { outputs, workspacePath } = await run(action, {
        entity: 'svc',
      });
      expect(outputs).toMatchObject({
        changed: false,
        previousImage: service.resolved.runtimeImage,
        requiredImage: service.resolved.runtimeImage,
        message: `component:default/svc is already on ${service.resolved.runtimeImage}: nothing to change in ${service.dockerfilePath}`,
      });
      expect(fs.readdirSync(workspacePath)).toEqual([]);
    });
  });

  describe('digest pinning', () => {
    const DIGEST_FIPS = `sha256:${'f'.repeat(64)}`;
    const DIGEST_DEV = `sha256:${'d'.repeat(64)}`;
    const DIGEST_OLD = `sha256:${'0'.repeat(64)}`;
    let backend: DigestBackend | undefined;
    afterEach(async () => {
      await backend?.close();
      backend = undefined;
    });

    it('pins the new FROM lines to the digests the registry gives now', async () => {
      backend = await startDigestBackend(
        answerDigests({
          'dhi.io/python:3.13-fips': DIGEST_FIPS,
          'dhi.io/python:3.13-dev': DIGEST_DEV,
        }),
      );
      const service = await publishedService({
        root: mockDir.path,
        runtime: 'python',
        system: SYSTEMS.slim,
      });
      const { action } = updateAction({
        entities: [
          componentAt(service.catalogInfoPath, { system: SYSTEMS.fips }),
        ],
        publish: localPublish(),
        digests: backend.lookup(),
      });
      const { outputs, workspacePath } = await run(action, { entity: 'svc' });
      expect(outputs.requiredImage).toBe(
        `dhi.io/python:3.13-fips@${DIGEST_FIPS}`,
      );
      expect(outputs.branchName).toBe('base-image/3.13-fips');
      expect(outputs.description).toContain(
        'Each new image is pinned to the digest its tag points at now',
      );
      const after = fs.readFileSync(
        path.join(workspacePath, 'Dockerfile'),
        'utf8',
      );
      expect(parseDockerfile(after).stages.map(s => s.image)).toEqual([
        `dhi.io/python:3.13-dev@${DIGEST_DEV}`,
        `dhi.io/python:3.13-fips@${DIGEST_FIPS}`,
      ]);
    });

    it('keeps a pin on the required tag when the registry does not answer, and does not unpin', async () => {
      const entity = serviceWith(
        `FROM dhi.io/python:3.13-dev@${DIGEST_OLD} AS builder\nRUN pip install x\nFROM python:3.13-slim AS production\nUSER nonroot\nCMD ["python"]\n`,
      );
      entity.spec.system = SYSTEMS.fips;
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      const { workspacePath } = await run(action, { entity: 'svc' });
      const after = fs.readFileSync(
        path.join(workspacePath, 'Dockerfile'),
        'utf8',
      );
      expect(after).toBe(
        `FROM dhi.io/python:3.13-dev@${DIGEST_OLD} AS builder\nRUN pip install x\nFROM dhi.io/python:3.13-fips AS production\nUSER nonroot\nCMD ["python"]\n`,
      );
    });
  });

  describe('on a hand-written Dockerfile', () => {
    it('keeps every byte but the images of the runtime stages', async () => {
      const dockerfile = [
        '# syntax=docker/dockerfile:1',
        '# escape=\\',
        'ARG PY=3.13',
        '',
        '# tools from another ecosystem are left alone',
        'FROM golang:1.23 AS tools',
        'RUN go install example.com/tool@latest',
        '',
        'from --platform=$BUILDPLATFORM python:${PY}-slim as Builder',
        'RUN pip install --target=/deps -r requirements.txt',
        '',
        'FROM builder AS test',
        'RUN pytest',
        '',
        'FROM python:3.13-slim AS debug',
        'CMD ["python", "-m", "app"]',
        '',
        'FRoM \\',
        '    python:3.13-slim \\',
        '    AS production',
        'COPY --from=Builder /deps /deps',
        'COPY --from=tools /go/bin/tool /usr/local/bin/tool',
        'USER 10001:10001',
        'CMD ["python", "-m", "app"]   ',
        '',
      ].join('\r\n');
      const entity = serviceWith(dockerfile);
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      const { outputs, workspacePath } = await run(action, { entity: 'svc' });
      const after = fs.readFileSync(
        path.join(workspacePath, 'Dockerfile'),
        'utf8',
      );
      expect(after).toBe(
        dockerfile
          .replace(
            'python:${PY}-slim as Builder',
            'dhi.io/python:3.13-dev as Builder',
          )
          .replace(
            'FROM python:3.13-slim AS debug',
            'FROM dhi.io/python:3.13-dev AS debug',
          )
          .replace('    python:3.13-slim \\', '    dhi.io/python:3.13 \\'),
      );
      expect(outputs.description).toMatch(
        /\| 9 \| `builder` \(builder\) \| `python:\$\{PY\}-slim` \| `dhi\.io\/python:3\.13-dev` \|/,
      );
      expect(outputs.description).not.toContain('golang');
    });

    it('refuses a rewrite that breaks a rule, naming it, and writes nothing', async () => {
      const entity = serviceWith(
        'FROM python:3.13-slim AS builder\nRUN pip install x\nFROM python:3.13-slim AS production\nRUN useradd app\nUSER app\nCMD ["python"]\n',
      );
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      const error = await run(action, { entity: 'svc' }).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        `After the move to dhi.io/python:3.13, ${mockDir.resolve(
          'repos/svc/Dockerfile',
        )} breaks the base-image rules; fix these by hand first:\n  Dockerfile:4 [shellless-no-run] RUN in a stage built on dhi.io/python:3.13, which has no shell; do the work in the build stage and COPY the result`,
      );
      expect(fs.readdirSync(mockDir.resolve('workspace'))).toEqual([]);
    });

    it('refuses a stage whose image depends on a build argument without default', async () => {
      const entity = serviceWith(
        'ARG BASE\nFROM $BASE AS builder\nFROM python:3.13-slim\nUSER 1000\nCMD ["x"]\n',
      );
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        /Dockerfile:2 \[from-allowed\] FROM \$BASE is not an image the policy chose/,
      );
    });

    it.each([
      [
        'no FROM',
        '# nothing yet\n',
        /repos\/svc\/Dockerfile: the Dockerfile has no FROM instruction/,
      ],
      [
        'an unknown instruction',
        'FROM python:3.13-slim\nFORM x\n',
        /repos\/svc\/Dockerfile: line 2: unknown instruction "FORM"/,
      ],
      [
        'binary content',
        Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]),
        /repos\/svc\/Dockerfile: line 1: the file is not a text Dockerfile: it contains the control character U\+0000/,
      ],
      [
        'invalid UTF-8',
        Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xff, 0xfe]),
        /repos\/svc\/Dockerfile is not a text Dockerfile: it is not valid UTF-8/,
      ],
      [
        'a final stage FROM scratch',
        'FROM python:3.13-slim AS b\nFROM scratch\n',
        /repos\/svc\/Dockerfile:2: the final stage is built FROM scratch/,
      ],
      [
        'a final stage on another runtime',
        'FROM golang:1.23\n',
        /Cannot tell the runtime of golang:1\.23 \(.*Dockerfile:1\); set the base-image\/runtime annotation of component:default\/svc to python or node/,
      ],
    ])(
      'refuses a Dockerfile with %s, naming the file',
      async (_name, content, message) => {
        const { action } = updateAction({
          entities: [serviceWith(content)],
          publish: localPublish(),
        });
        const error = await run(action, { entity: 'svc' }).catch(e => e);
        expect(error).toBeInstanceOf(InputError);
        expect(error.message).toMatch(message);
      },
    );

    it('refuses a final stage on another image than the annotated runtime', async () => {
      const entity = serviceWith('FROM golang:1.23\n');
      entity.metadata.annotations['base-image/runtime'] = 'python';
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        /builds on golang:1\.23 \(line 1\), which is neither the standard python image nor a configured hardened python image/,
      );
    });

    it('keeps a byte-order mark', async () => {
      const entity = serviceWith(
        '\ufeffFROM python:3.13-slim\nUSER 1000\nCMD ["x"]\n',
      );
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      const { workspacePath } = await run(action, { entity: 'svc' });
      expect(fs.readFileSync(path.join(workspacePath, 'Dockerfile'))).toEqual(
        Buffer.from('\ufeffFROM dhi.io/python:3.13\nUSER 1000\nCMD ["x"]\n'),
      );
    });

    it('reads a Dockerfile elsewhere in the repository, and writes it at its repository path', async () => {
      const entity = serviceWith('not this one', {
        docker: {
          'Dockerfile.prod': 'FROM node:22-slim\nUSER 1000\nCMD ["node"]\n',
        },
      });
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      const { outputs, workspacePath } = await run(action, {
        entity: 'svc',
        dockerfilePath: 'docker/Dockerfile.prod',
      });
      expect(outputs.dockerfile).toBe('docker/Dockerfile.prod');
      expect(
        fs.readFileSync(
          path.join(workspacePath, 'docker/Dockerfile.prod'),
          'utf8',
        ),
      ).toBe('FROM dhi.io/node:22\nUSER 1000\nCMD ["node"]\n');
    });

    it('refuses a Dockerfile that is a symbolic link', async () => {
      const entity = serviceWith('unused');
      fs.rmSync(mockDir.resolve('repos/svc/Dockerfile'));
      mockDir.addContent({ secret: { Dockerfile: 'FROM python:3.13-slim\n' } });
      fs.symlinkSync(
        mockDir.resolve('secret/Dockerfile'),
        mockDir.resolve('repos/svc/Dockerfile'),
      );
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        /repos\/svc\/Dockerfile is a symbolic link or goes through one/,
      );
    });

    it('refuses a missing Dockerfile, naming it', async () => {
      const entity = serviceWith('x');
      fs.rmSync(mockDir.resolve('repos/svc/Dockerfile'));
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        `There is no Dockerfile at ${mockDir.resolve('repos/svc/Dockerfile')}`,
      );
    });

    it.each([
      [
        '../../etc/passwd',
        /dockerfilePath: Dockerfile path "\.\.\/\.\.\/etc\/passwd" has an empty, "\." or "\.\." segment/,
      ],
      ['/etc/passwd', /or is absolute/],
    ])('refuses the dockerfilePath %j', async (dockerfilePath, message) => {
      const { action } = updateAction({
        entities: [serviceWith('FROM python:3.13-slim\n')],
        publish: localPublish(),
      });
      await expect(
        run(action, { entity: 'svc', dockerfilePath }),
      ).rejects.toThrow(message);
    });

    it('refuses to read a file location outside the publish directory', async () => {
      mockDir.addContent({
        elsewhere: {
          'catalog-info.yaml': 'x',
          Dockerfile: 'FROM python:3.13-slim\n',
        },
      });
      const entity = serviceWith('x');
      entity.metadata.annotations[
        'backstage.io/managed-by-location'
      ] = `file:${mockDir.resolve('elsewhere/catalog-info.yaml')}`;
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        /elsewhere\/Dockerfile is outside the local repositories in .*repos \(baseImages\.publish\.localDirectory\)/,
      );
    });
  });

  describe('refuses', () => {
    it('an entity that is not in the catalog', async () => {
      const { action } = updateAction({
        entities: [],
        publish: localPublish(),
      });
      const error = await run(action, { entity: 'ghost' }).catch(e => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).toBe(
        'component:default/ghost is not in the catalog, or you may not read it',
      );
    });

    it.each([
      [
        'system:default/internal-tools',
        /entity "system:default\/internal-tools" is a system; it must be a component/,
      ],
      ['component:default/a\nRUN id', /contains the control character U\+000A/],
      ['component:default/', /is not an entity ref/],
    ])('the entity %j before reading the catalog', async (entity, message) => {
      const { action, catalog } = updateAction({
        entities: [],
        publish: localPublish(),
      });
      const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
      await expect(run(action, { entity })).rejects.toThrow(message);
      expect(getEntityByRef).not.toHaveBeenCalled();
    });

    it('a component without a location', async () => {
      const { action } = updateAction({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'floating', namespace: 'default' },
            spec: { type: 'service', owner: 'web-team' },
          },
        ],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'floating' })).rejects.toThrow(
        'component:default/floating has no file or url location (backstage.io/managed-by-location), so its Dockerfile cannot be found',
      );
    });

    it('a component whose system is not in the catalog, rather than guess a weaker image', async () => {
      const service = await publishedService({
        root: mockDir.path,
        runtime: 'python',
        system: SYSTEMS.slim,
      });
      const { action } = updateAction({
        entities: [
          componentAt(service.catalogInfoPath, {
            system: 'system:default/gone',
          }),
        ],
        publish: localPublish(),
      });
      await expect(run(action, { entity: 'svc' })).rejects.toThrow(
        /system:default\/gone/,
      );
    });
  });

  describe('GitHub repositories', () => {
    const target =
      'https://github.com/acme/payments/blob/main/services/api/catalog-info.yaml';
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'api',
        namespace: 'default',
        annotations: { 'backstage.io/managed-by-location': `url:${target}` },
      },
      spec: {
        type: 'service',
        owner: 'group:default/web-team',
        system: SYSTEMS.dhi,
      },
    };
    function githubReader(files: Record<string, string>) {
      const reader = mockServices.urlReader.mock();
      reader.readUrl.mockImplementation(async (url: string) => {
        if (!(url in files)) {
          const error = new Error(`${url} not found`);
          error.name = 'NotFoundError';
          throw error;
        }
        return {
          buffer: async () => Buffer.from(files[url]),
          stream: () => {
            throw new Error('not used');
          },
        } as any;
      });
      return reader;
    }

    it('reads through the UrlReader and says where the pull request goes', async () => {
      const reader = githubReader({
        'https://github.com/acme/payments/tree/main/services/api/Dockerfile':
          'FROM node:22-slim AS build\nRUN npm ci\nFROM node:22-slim AS production\nUSER 1000\nCMD ["node", "x"]\n',
      });
      const { action } = updateAction({
        entities: [entity],
        publish: {
          target: 'github',
          localDirectory: mockDir.resolve('repos'),
          github: { owner: 'acme', host: 'github.com' },
        },
        reader,
        integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
      });
      const { outputs, workspacePath } = await run(action, { entity: 'api' });
      expect(reader.readUrl).toHaveBeenCalledWith(
        'https://github.com/acme/payments/tree/main/services/api/Dockerfile',
      );
      expect(outputs).toMatchObject({
        changed: true,
        publishTarget: 'github',
        repoUrl: 'github.com?owner=acme&repo=payments',
        targetBranchName: 'main',
        branchName: 'base-image/22',
        dockerfile: 'services/api/Dockerfile',
        localRepository: '',
      });
      expect(
        fs.readFileSync(
          path.join(workspacePath, 'services/api/Dockerfile'),
          'utf8',
        ),
      ).toBe(
        'FROM node:22-slim AS build\nRUN npm ci\nFROM dhi.io/node:22 AS production\nUSER 1000\nCMD ["node", "x"]\n',
      );
    });

    it('names the URL when there is no Dockerfile', async () => {
      const { action } = updateAction({
        entities: [entity],
        publish: {
          target: 'github',
          localDirectory: mockDir.resolve('repos'),
          github: { owner: 'acme', host: 'github.com' },
        },
        reader: githubReader({}),
      });
      await expect(run(action, { entity: 'api' })).rejects.toThrow(
        'There is no Dockerfile at https://github.com/acme/payments/tree/main/services/api/Dockerfile',
      );
    });

    it('refuses to publish a GitHub service when publishing is local', async () => {
      const { action } = updateAction({
        entities: [entity],
        publish: localPublish(),
        reader: githubReader({
          'https://github.com/acme/payments/tree/main/services/api/Dockerfile':
            'FROM node:22-slim\n',
        }),
      });
      await expect(run(action, { entity: 'api' })).rejects.toThrow(
        /but baseImages\.publish\.target is local: a change can only be published to a repository in/,
      );
    });
  });

  it('in dry-run, the template writes nothing to the local repository', async () => {
    const service = await publishedService({
      root: mockDir.path,
      runtime: 'python',
      system: SYSTEMS.slim,
    });
    const refs = git(service.repoDir, 'show-ref');
    const { action } = updateAction({
      entities: [componentAt(service.catalogInfoPath, { system: SYSTEMS.dhi })],
      publish: localPublish(),
    });
    const { outputs, workspacePath } = await run(
      action,
      { entity: 'svc' },
      { isDryRun: true },
    );
    expect(outputs.changed).toBe(true);
    const ctx = mockContext({
      input: {
        repoName: outputs.repoName,
        branch: outputs.branchName,
        commitMessage: outputs.title,
      },
      workspacePath,
      isDryRun: true,
    });
    await createPublishLocalAction({ publish: localPublish() }).handler(ctx);
    expect(git(service.repoDir, 'show-ref')).toBe(refs);
    expect(git(service.repoDir, 'status', '--porcelain')).toBe('');
  });
});
