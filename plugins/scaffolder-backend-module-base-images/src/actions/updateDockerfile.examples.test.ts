import fs from 'node:fs';
import path from 'node:path';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { parseDockerfile } from '@internal/backstage-plugin-base-images-common';
import {
  exampleSteps,
  fillExpressions,
  runExample,
} from '../__testUtils__/exampleInput';
import { mockContext } from '../__testUtils__/fixtures';
import {
  componentAt,
  publishedService,
  updateAction,
} from '../__testUtils__/localService';
import { resolveAndRender } from '../__testUtils__/renderService';
import { checkDockerfile } from '../render/checkDockerfile';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './updateDockerfile.examples';

/** What the policy requires of a Python 3.13 service in a HIPAA or PCI-DSS system. */
const FIPS = {
  runtimeImage: 'dhi.io/python:3.13-fips',
  builderImage: 'dhi.io/python:3.13-dev',
  debugImage: 'dhi.io/python:3.13-dev',
};

/** The Dockerfile's stage images, and its violations of the base-image rules for the FIPS images. */
function inspect(dockerfile: string) {
  return {
    images: parseDockerfile(dockerfile).stages.map(stage => stage.image),
    violations: checkDockerfile(dockerfile, {
      allowedImages: Object.values(FIPS),
      runtimeImage: FIPS.runtimeImage,
      shellless: true,
    }),
  };
}

describe('base-images:update-dockerfile examples', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());
  const localPublish = () => ({
    target: 'local' as const,
    localDirectory: mockDir.resolve('repos'),
  });

  it('are the examples of base-images:update-dockerfile, each running it', () => {
    const { action } = updateAction({ entities: [], publish: localPublish() });
    expect(action.examples).toBe(examples);
    expect(examples).toHaveLength(2);
    for (const example of examples)
      expect(exampleSteps(example).map(step => step.action)).toContain(
        'base-images:update-dockerfile',
      );
  });

  it('moves a drifted service of a GitHub repository and gives the pull-request step all it reads', async () => {
    // a service generated on the slim image, whose system now requires FIPS
    const rendered = mockDir.resolve('rendered');
    await resolveAndRender({
      runtime: 'python',
      system: 'system:default/marketing-site',
      workspacePath: rendered,
      name: 'ledger-api',
    });
    const before = fs.readFileSync(path.join(rendered, 'Dockerfile'), 'utf8');
    const dockerfileUrl =
      'https://github.com/acme/ledger-api/tree/main/Dockerfile';
    const reader = mockServices.urlReader.mock();
    reader.readUrl.mockImplementation(async (url: string) => {
      if (url !== dockerfileUrl) throw new Error(`${url} not found`);
      return { buffer: async () => Buffer.from(before) } as any;
    });
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'ledger-api',
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location':
            'url:https://github.com/acme/ledger-api/blob/main/catalog-info.yaml',
        },
      },
      spec: {
        type: 'service',
        owner: 'group:default/web-team',
        system: 'system:default/patient-records',
      },
    };
    const { action } = updateAction({
      entities: [entity],
      publish: {
        ...localPublish(),
        target: 'github',
        github: { owner: 'acme', host: 'github.com' },
      },
      reader,
    });
    const workspacePath = mockDir.resolve('workspace');

    const { outputs, context } = await runExample(action, examples[0], {
      context: { parameters: { entity: 'component:default/ledger-api' } },
      workspacePath,
    });

    expect(outputs).toMatchObject({
      changed: true,
      previousImage: 'python:3.13-slim',
      requiredImage: FIPS.runtimeImage,
      branchName: 'base-image/3.13-fips',
      dockerfile: 'Dockerfile',
      publishTarget: 'github',
    });
    const after = fs.readFileSync(
      path.join(workspacePath, 'Dockerfile'),
      'utf8',
    );
    const { images, violations } = inspect(after);
    expect(images[images.length - 1]).toBe(FIPS.runtimeImage);
    expect(violations).toEqual([]);
    expect(after).not.toBe(before);

    // the example's next step reads only outputs this one gives
    const pullRequest = exampleSteps(examples[0]).find(
      step => step.action === 'publish:github:pull-request',
    )!;
    expect(fillExpressions(pullRequest.if!, context)).toBe(true);
    expect(fillExpressions(pullRequest.input!, context)).toEqual({
      repoUrl: 'github.com?owner=acme&repo=ledger-api',
      branchName: 'base-image/3.13-fips',
      targetBranchName: 'main',
      title: outputs.title,
      description: outputs.description,
    });
    expect(outputs.title).toBe(
      `Move ledger-api to ${FIPS.runtimeImage} (dhi-fips)`,
    );
  });

  it('moves a drifted service of a local repository made by publish-local', async () => {
    const service = await publishedService({
      root: mockDir.path,
      runtime: 'python',
      system: 'system:default/marketing-site',
      name: 'ledger-api',
    });
    const before = fs.readFileSync(service.dockerfilePath, 'utf8');
    const { action } = updateAction({
      entities: [
        componentAt(service.catalogInfoPath, {
          system: 'system:default/patient-records',
        }),
      ],
      publish: localPublish(),
    });
    const workspacePath = mockDir.resolve('workspace');

    const { outputs } = await runExample(action, examples[0], {
      context: { parameters: { entity: 'component:default/ledger-api' } },
      workspacePath,
    });

    expect(outputs).toMatchObject({
      changed: true,
      previousImage: 'python:3.13-slim',
      requiredImage: FIPS.runtimeImage,
      publishTarget: 'local',
      repoName: 'ledger-api',
      localRepository: service.repoDir,
      targetBranchName: 'main',
    });
    const { images, violations } = inspect(
      fs.readFileSync(path.join(workspacePath, 'Dockerfile'), 'utf8'),
    );
    expect(new Set(images)).toEqual(new Set(Object.values(FIPS)));
    expect(violations).toEqual([]);
    // the repository is only read; publish-local commits the change on a branch
    expect(fs.readFileSync(service.dockerfilePath, 'utf8')).toBe(before);
  });

  it('moves a Dockerfile that is not beside catalog-info.yaml', async () => {
    // generated on the slim image, with its Dockerfile moved to docker/Dockerfile.production
    const rendered = mockDir.resolve('rendered');
    await resolveAndRender({
      runtime: 'python',
      system: 'system:default/marketing-site',
      workspacePath: rendered,
      name: 'payments-api',
    });
    fs.mkdirSync(path.join(rendered, 'docker'));
    fs.renameSync(
      path.join(rendered, 'Dockerfile'),
      path.join(rendered, 'docker/Dockerfile.production'),
    );
    await createPublishLocalAction({ publish: localPublish() }).handler(
      mockContext({
        input: { repoName: 'payments-api' },
        workspacePath: rendered,
      }),
    );
    const repoDir = mockDir.resolve('repos/payments-api');
    // its system requires PCI-DSS, so FIPS
    const { action } = updateAction({
      entities: [
        componentAt(path.join(repoDir, 'catalog-info.yaml'), {
          system: 'system:default/payments',
        }),
      ],
      publish: localPublish(),
    });
    const workspacePath = mockDir.resolve('workspace');

    const { outputs } = await runExample(action, examples[1], {
      workspacePath,
    });

    expect(outputs).toMatchObject({
      changed: true,
      previousImage: 'python:3.13-slim',
      requiredImage: FIPS.runtimeImage,
      dockerfile: 'docker/Dockerfile.production',
      repoName: 'payments-api',
    });
    expect(fs.readdirSync(workspacePath)).toEqual(['docker']);
    const { images, violations } = inspect(
      fs.readFileSync(
        path.join(workspacePath, 'docker/Dockerfile.production'),
        'utf8',
      ),
    );
    expect(images[images.length - 1]).toBe(FIPS.runtimeImage);
    expect(violations).toEqual([]);
  });
});
