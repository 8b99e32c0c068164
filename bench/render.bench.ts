/**
 * Issue 3 benchmark: resolve + render of one service with our actions, against
 * the built-in fetch:template rendering the same skeleton with the same values,
 * in the same process, interleaved. Goal: ratio of medians <= 1.0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';
import { readBaseImagesConfig } from '@internal/backstage-plugin-base-images-common';
import {
  createRenderServiceAction,
  createResolveBaseImagesAction,
} from '@internal/backstage-plugin-scaffolder-backend-module-base-images';
import { round, silentLogger, stats, time, writeResult } from './lib';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = 20;
const ROOT = path.resolve(__dirname, '..');
const baseUrl = `file://${path.join(
  ROOT,
  'templates/python-service/template.yaml',
)}`;

const entities: Record<string, any> = {
  'system:default/patient-records': {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: {
      name: 'patient-records',
      namespace: 'default',
      annotations: { 'compliance/frameworks': 'hipaa' },
    },
    spec: { owner: 'records-team', domain: 'healthcare' },
  },
  'domain:default/healthcare': {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Domain',
    metadata: { name: 'healthcare', namespace: 'default' },
    spec: { owner: 'records-team' },
  },
  'group:default/records-team': {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'records-team', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
};
const catalog: any = { getEntityByRef: async (ref: string) => entities[ref] };

function context(
  input: any,
  workspacePath: string,
  outputs: Record<string, any> = {},
) {
  return {
    logger: silentLogger,
    workspacePath,
    input,
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
    createTemporaryDirectory: async () =>
      fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tmp-')),
    getInitiatorCredentials: async () => ({
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/bench' },
    }),
    checkpoint: async (opts: any) => opts.fn(),
    task: { id: 'bench' },
    templateInfo: { baseUrl, entityRef: 'template:default/python-service' },
    isDryRun: false,
  } as any;
}

/** The render step's input, as the templates wire resolve's outputs into it. */
function renderInput(resolved: Record<string, any>) {
  return {
    runtime: 'python',
    name: 'bench-svc',
    description: 'Benchmark service',
    owner: 'group:default/records-team',
    system: 'system:default/patient-records',
    version: resolved.version,
    images: {
      runtimeImage: resolved.runtimeImage,
      builderImage: resolved.builderImage,
      debugImage: resolved.debugImage,
      variant: resolved.variant,
    },
    shellless: resolved.shellless,
    authRequired: resolved.authRequired,
    loginRegistries: resolved.loginRegistries,
    frameworks: resolved.frameworks,
    reasons: resolved.reasons,
    pinnedImages: resolved.pinnedImages,
  };
}

const RESOLVE_INPUT = {
  runtime: 'python',
  owner: 'group:default/records-team',
  system: 'system:default/patient-records',
};

async function main() {
  const rootConfig = new ConfigReader({});
  const config = readBaseImagesConfig(rootConfig);
  const integrations = ScmIntegrations.fromConfig(rootConfig);
  const reader: any = {};
  const resolve = createResolveBaseImagesAction({
    catalog,
    config,
    publish: { target: 'local', localDirectory: os.tmpdir() },
  });
  const render = createRenderServiceAction({ reader, integrations, config });
  const fetchTemplate = createFetchTemplateAction({ reader, integrations });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  let n = 0;
  const workspace = () => {
    const dir = path.join(scratch, `w${n++}`);
    fs.mkdirSync(dir);
    return dir;
  };

  const ours = async () => {
    const resolved: Record<string, any> = {};
    await resolve.handler(context(RESOLVE_INPUT, workspace(), resolved));
    await render.handler(context(renderInput(resolved), workspace()));
  };
  // fetch:template with the values render passes to the skeleton, precomputed (it has no policy to apply)
  const resolvedValues: Record<string, any> = {};
  await resolve.handler(context(RESOLVE_INPUT, workspace(), resolvedValues));
  const { images, pinnedImages, ...rest } = renderInput(resolvedValues);
  const fromImages = {
    runtime: pinnedImages.runtimeImage,
    builder: pinnedImages.builderImage,
    debug: pinnedImages.debugImage,
  };
  const values = {
    ...rest,
    ...images,
    fromImages,
    pinned: Object.values(fromImages).every(image => image.includes('@')),
    lifecycle: 'production',
    port: 8080,
  };
  const builtIn = async () => {
    await fetchTemplate.handler(
      context({ url: './skeleton', values }, workspace()),
    );
  };

  // same files either way
  const a = workspace();
  const b = workspace();
  await render.handler(context(renderInput(resolvedValues), a));
  await fetchTemplate.handler(context({ url: './skeleton', values }, b));
  const same =
    fs.readFileSync(path.join(a, 'Dockerfile'), 'utf8') ===
    fs.readFileSync(path.join(b, 'Dockerfile'), 'utf8');

  for (let i = 0; i < WARMUP; i++) {
    await ours();
    await builtIn();
  }
  const oursSamples: number[] = [];
  const builtInSamples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    oursSamples.push(await time(ours));
    builtInSamples.push(await time(builtIn));
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  const o = stats(oursSamples);
  const f = stats(builtInSamples);
  writeResult('render', {
    benchmark:
      'resolve+render (base-images) vs fetch:template, python-service skeleton, HIPAA system',
    sameDockerfile: same,
    oursMs: { median: round(o.median), p90: round(o.p90) },
    fetchTemplateMs: { median: round(f.median), p90: round(f.p90) },
    ratioOfMedians: round(o.median / f.median),
    goal: 'ratio <= 1.0',
  });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
