import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createRenderServiceAction } from '../actions/render';
import { createResolveBaseImagesAction } from '../actions/resolve';
import { DigestLookup } from '../digests/digestLookup';
import { offlineDigests } from './digestBackend';
import {
  baseImagesConfig,
  catalogEntities,
  mockContext,
  templateBaseUrl,
} from './fixtures';

export type Runtime = 'python' | 'node';

/** Runs resolve then render exactly as the templates wire them. */
export async function resolveAndRender(options: {
  runtime: Runtime;
  system: string;
  workspacePath: string;
  name?: string;
  description?: string;
  flavor?: string;
  extra?: Record<string, unknown>;
  /** Where resolve gets digests; offline (tags kept) unless given. */
  digests?: DigestLookup;
}) {
  const config = baseImagesConfig();
  const resolve = createResolveBaseImagesAction({
    catalog: catalogServiceMock({ entities: catalogEntities }),
    config,
    publish: { target: 'local', localDirectory: '/nonexistent' },
    digests: options.digests ?? offlineDigests,
  });
  const resolveCtx = mockContext({
    input: {
      runtime: options.runtime,
      system: options.system,
      owner: 'group:default/web-team',
      flavor: options.flavor,
    } as any,
  });
  await resolve.handler(resolveCtx);
  const resolved = resolveCtx.outputs();

  const render = createRenderServiceAction({
    reader: mockServices.urlReader.mock(),
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    config,
  });
  const renderCtx = mockContext({
    workspacePath: options.workspacePath,
    templateInfo: {
      baseUrl: templateBaseUrl(options.runtime),
      entityRef: `template:default/${options.runtime}-service`,
    },
    input: {
      runtime: options.runtime,
      name: options.name ?? 'demo-svc',
      description: options.description ?? 'A demo service',
      owner: 'group:default/web-team',
      system: options.system,
      version: resolved.version,
      images: {
        runtimeImage: resolved.runtimeImage,
        builderImage: resolved.builderImage,
        debugImage: resolved.debugImage,
        variant: resolved.variant,
      },
      pinnedImages: resolved.pinnedImages,
      shellless: resolved.shellless,
      authRequired: resolved.authRequired,
      loginRegistries: resolved.loginRegistries,
      frameworks: resolved.frameworks,
      reasons: resolved.reasons,
      ...options.extra,
    } as any,
  });
  await render.handler(renderCtx);
  return { resolved, rendered: renderCtx.outputs() };
}

/** One system per variant in the fixture catalog. */
export const VARIANT_SYSTEMS: Array<[string, string]> = [
  ['slim', 'system:default/marketing-site'],
  ['dhi', 'system:default/internal-tools'],
  ['dhi-fips', 'system:default/patient-records'],
  ['dhi-enterprise', 'system:default/hardened-platform'],
];
