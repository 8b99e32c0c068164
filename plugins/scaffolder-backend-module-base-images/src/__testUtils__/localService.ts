import fs from 'node:fs';
import path from 'node:path';
import { Entity } from '@backstage/catalog-model';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import yaml from 'yaml';
import { createPublishLocalAction } from '../actions/publishLocal';
import { createUpdateDockerfileAction } from '../actions/updateDockerfile';
import { DigestLookup } from '../digests/digestLookup';
import { PublishSettings } from '../settings';
import { offlineDigests } from './digestBackend';
import { baseImagesConfig, catalogEntities, mockContext } from './fixtures';
import { resolveAndRender, Runtime } from './renderService';

/** A Component entity as the catalog reads it from a local repository's catalog-info.yaml. */
export function componentAt(
  catalogInfoPath: string,
  overrides: { system?: string; annotations?: Record<string, string> } = {},
): Entity {
  const entity = yaml.parse(fs.readFileSync(catalogInfoPath, 'utf8')) as Entity;
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      namespace: 'default',
      annotations: {
        ...entity.metadata.annotations,
        ...overrides.annotations,
        'backstage.io/managed-by-location': `file:${catalogInfoPath}`,
      },
    },
    spec: {
      ...entity.spec,
      ...(overrides.system ? { system: overrides.system } : {}),
    },
  };
}

/**
 * A generated service published to a local repository, the way the
 * templates make one: rendered on the images of `system`, then published
 * with base-images:publish-local.
 */
export async function publishedService(options: {
  root: string;
  runtime: Runtime;
  system: string;
  name?: string;
}) {
  const name = options.name ?? 'svc';
  const localDirectory = path.join(options.root, 'repos');
  const workspacePath = path.join(options.root, `render-${name}`);
  const { resolved } = await resolveAndRender({
    runtime: options.runtime,
    system: options.system,
    workspacePath,
    name,
  });
  await createPublishLocalAction({
    publish: { target: 'local', localDirectory },
  }).handler(mockContext({ input: { repoName: name }, workspacePath }));
  const repoDir = path.join(localDirectory, name);
  return {
    resolved,
    localDirectory,
    repoDir,
    catalogInfoPath: path.join(repoDir, 'catalog-info.yaml'),
    dockerfilePath: path.join(repoDir, 'Dockerfile'),
  };
}

/** base-images:update-dockerfile over a mock catalog holding the fixtures and `entities`. */
export function updateAction(options: {
  entities: Entity[];
  publish: PublishSettings;
  digests?: DigestLookup;
  reader?: ReturnType<typeof mockServices.urlReader.mock>;
  integrations?: ScmIntegrations;
}) {
  const catalog = catalogServiceMock({
    entities: [...catalogEntities, ...options.entities],
  });
  return {
    catalog,
    action: createUpdateDockerfileAction({
      catalog,
      config: baseImagesConfig(),
      publish: options.publish,
      reader: options.reader ?? mockServices.urlReader.mock(),
      integrations:
        options.integrations ??
        ScmIntegrations.fromConfig(new ConfigReader({})),
      digests: options.digests ?? offlineDigests,
    }),
  };
}
