import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import nunjucks from 'nunjucks';
import yaml from 'yaml';
import { TEMPLATES_DIR, mockContext } from './__testUtils__/fixtures';
import {
  componentAt,
  publishedService,
  updateAction,
} from './__testUtils__/localService';
import { createPublishLocalAction } from './actions/publishLocal';
import { PublishSettings } from './settings';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd }).toString();

/**
 * Evaluates template values the way the scaffolder does: a value that is one
 * `${{ }}` expression keeps its type, other strings are rendered as text. The
 * template files are ours, so plain nunjucks is fine here.
 */
const env = new nunjucks.Environment(undefined, { autoescape: false });
function evaluate(value: unknown, context: object): unknown {
  if (typeof value === 'string') {
    const single = /^\$\{\{([^}]*)\}\}$/.exec(value.trim());
    if (single) {
      const json = env.renderString(`{{ (${single[1]}) | dump }}`, context);
      return json === '' ? undefined : JSON.parse(json);
    }
    return env.renderString(value.replace(/\$\{\{/g, '{{'), context);
  }
  if (Array.isArray(value)) return value.map(v => evaluate(v, context));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, evaluate(v, context)]),
    );
  }
  return value;
}

const truthy = (value: unknown) =>
  value !== undefined && value !== null && value !== false && value !== '';

interface TemplateStep {
  id: string;
  action: string;
  if?: string;
  input: Record<string, unknown>;
}

const readTemplate = (name: string) =>
  yaml.parse(
    fs.readFileSync(path.join(TEMPLATES_DIR, name, 'template.yaml'), 'utf8'),
  );

/**
 * Runs a template's steps with our actions; steps of other actions are
 * recorded with their evaluated input instead of run.
 */
async function runTemplate(
  template: any,
  parameters: Record<string, unknown>,
  actions: Record<string, TemplateAction<any, any, any>>,
  workspacePath: string,
) {
  const context = { parameters, steps: {} as Record<string, any> };
  const recorded: Record<string, unknown> = {};
  for (const step of template.spec.steps as TemplateStep[]) {
    if (step.if !== undefined && !truthy(evaluate(step.if, context))) continue;
    const input = evaluate(step.input, context) as Record<string, unknown>;
    const action = actions[step.action];
    if (!action) {
      recorded[step.id] = input;
      continue;
    }
    const ctx = mockContext({ input: input as any, workspacePath });
    await action.handler(ctx);
    context.steps[step.id] = { output: ctx.outputs() };
  }
  const output = template.spec.output;
  const links = (evaluate(output.links, context) as any[]).filter(
    link =>
      (link.if === undefined || truthy(link.if)) &&
      (link.url || link.entityRef),
  );
  return { context, recorded, links, text: evaluate(output.text, context) };
}

describe('templates', () => {
  const mockDir = createMockDirectory();
  beforeEach(() => mockDir.clear());

  it('lists update-base-image in templates/all.yaml', () => {
    const location = yaml.parse(
      fs.readFileSync(path.join(TEMPLATES_DIR, 'all.yaml'), 'utf8'),
    );
    expect(location.spec.targets).toContain(
      './update-base-image/template.yaml',
    );
  });

  it('asks update-base-image for a Component, with the EntityPicker', () => {
    const template = readTemplate('update-base-image');
    expect(template.metadata.title).toBe(
      'Move a service to its required base image',
    );
    const [page] = template.spec.parameters;
    expect(page.required).toEqual(['entity']);
    expect(page.properties.entity).toMatchObject({
      type: 'string',
      'ui:field': 'EntityPicker',
      'ui:options': { catalogFilter: { kind: 'Component' } },
    });
  });

  it.each(['python-service', 'node-service', 'update-base-image'])(
    '%s passes only inputs our actions declare, and reads only outputs they give',
    name => {
      const template = readTemplate(name);
      const publish: PublishSettings = {
        target: 'local',
        localDirectory: '/nonexistent',
      };
      const ours: Record<string, TemplateAction<any, any, any>> = {
        'base-images:update-dockerfile': updateAction({
          entities: [],
          publish,
        }).action,
        'base-images:publish-local': createPublishLocalAction({ publish }),
      };
      for (const step of template.spec.steps as TemplateStep[]) {
        const action = ours[step.action];
        if (!action) continue;
        const declared = Object.keys(
          (action.schema?.input as any)?.properties ?? {},
        );
        expect(
          Object.keys(step.input).filter(k => !declared.includes(k)),
        ).toEqual([]);
      }
      const text = fs.readFileSync(
        path.join(TEMPLATES_DIR, name, 'template.yaml'),
        'utf8',
      );
      const updateOutputs = Object.keys(
        (ours['base-images:update-dockerfile'].schema?.output as any)
          .properties,
      );
      for (const [, key] of text.matchAll(/steps\.update\.output\.(\w+)/g))
        expect(updateOutputs).toContain(key);
    },
  );

  it("passes resolve's pinned images to render in the service templates", () => {
    for (const name of ['python-service', 'node-service']) {
      const render = readTemplate(name).spec.steps.find(
        (s: TemplateStep) => s.id === 'render',
      );
      expect(render.input.pinnedImages).toBe(
        '${{ steps.resolve.output.pinnedImages }}',
      );
    }
  });

  describe('update-base-image', () => {
    const template = readTemplate('update-base-image');

    async function localRun(system: string) {
      const service = await publishedService({
        root: mockDir.path,
        runtime: 'python',
        system: 'system:default/marketing-site',
      });
      const publish: PublishSettings = {
        target: 'local',
        localDirectory: service.localDirectory,
      };
      const { action } = updateAction({
        entities: [componentAt(service.catalogInfoPath, { system })],
        publish,
      });
      const workspacePath = mockDir.resolve('task');
      fs.mkdirSync(workspacePath);
      const result = await runTemplate(
        template,
        { entity: 'component:default/svc' },
        {
          'base-images:update-dockerfile': action,
          'base-images:publish-local': createPublishLocalAction({ publish }),
        },
        workspacePath,
      );
      return { service, ...result };
    }

    it('commits the move on base-image/<tag> of the local repository and links it', async () => {
      const { service, context, recorded, links, text } = await localRun(
        'system:default/internal-tools',
      );
      expect(Object.keys(context.steps)).toEqual(['update', 'publish-local']);
      expect(recorded).toEqual({});
      expect(context.steps['publish-local'].output).toMatchObject({
        branch: 'base-image/3.13',
        remoteUrl: `file://${service.repoDir}`,
      });
      expect(
        git(service.repoDir, 'log', '-1', '--format=%s', 'base-image/3.13'),
      ).toBe('Move svc to dhi.io/python:3.13 (dhi)\n');
      expect(
        git(service.repoDir, 'diff', '-U0', 'main', 'base-image/3.13')
          .split('\n')
          .filter(line => /^[-+][^-+]/.test(line)),
      ).toEqual([
        '-FROM python:3.13-slim AS builder',
        '+FROM dhi.io/python:3.13-dev AS builder',
        '-FROM python:3.13-slim AS production',
        '+FROM dhi.io/python:3.13 AS production',
      ]);
      expect(links).toEqual([
        {
          title: 'Repository (branch base-image/3.13)',
          if: `file://${service.repoDir}`,
          url: `file://${service.repoDir}`,
        },
        {
          title: 'Open in catalog',
          icon: 'catalog',
          entityRef: 'component:default/svc',
        },
      ]);
      expect((text as any[])[0].content).toContain(
        '**python:3.13-slim** -> **dhi.io/python:3.13**',
      );
    });

    it('publishes nothing when the service is already on its image', async () => {
      const { service, context, links } = await localRun(
        'system:default/marketing-site',
      );
      expect(Object.keys(context.steps)).toEqual(['update']);
      expect(context.steps.update.output.changed).toBe(false);
      expect(git(service.repoDir, 'branch', '--list')).toBe('* main\n');
      expect(links.map(l => l.title)).toEqual(['Open in catalog']);
    });

    it('opens a pull request with what update-dockerfile wrote when publishing to GitHub', async () => {
      const reader = mockServices.urlReader.mock();
      reader.readUrl.mockResolvedValue({
        buffer: async () =>
          Buffer.from(
            'FROM python:3.13-slim AS production\nUSER 1000\nCMD ["x"]\n',
          ),
      } as any);
      const { action } = updateAction({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'api',
              namespace: 'default',
              annotations: {
                'backstage.io/managed-by-location':
                  'url:https://github.com/acme/api/blob/trunk/catalog-info.yaml',
              },
            },
            spec: {
              type: 'service',
              owner: 'group:default/web-team',
              system: 'system:default/patient-records',
            },
          },
        ],
        publish: {
          target: 'github',
          localDirectory: '/nonexistent',
          github: { owner: 'acme', host: 'github.com' },
        },
        reader,
      });
      const workspacePath = mockDir.resolve('task');
      fs.mkdirSync(workspacePath);
      const { recorded, context } = await runTemplate(
        template,
        { entity: 'component:default/api' },
        { 'base-images:update-dockerfile': action },
        workspacePath,
      );
      expect(Object.keys(context.steps)).toEqual(['update']);
      expect(recorded).toEqual({
        'publish-github': {
          repoUrl: 'github.com?owner=acme&repo=api',
          branchName: 'base-image/3.13-fips',
          targetBranchName: 'trunk',
          title: 'Move api to dhi.io/python:3.13-fips (dhi-fips)',
          description: context.steps.update.output.description,
          commitMessage: 'Move api to dhi.io/python:3.13-fips (dhi-fips)',
          sourcePath: '.',
        },
      });
      expect(context.steps.update.output.description).toContain(
        '- `hipaa` (from `system:default/patient-records`)',
      );
      expect(fs.readdirSync(workspacePath)).toEqual(['Dockerfile']);
    });
  });
});
