import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { readBaseImagesConfig } from '@internal/backstage-plugin-base-images-common';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject } from '@backstage/types';

/** The repository's templates folder, where the real skeletons live. */
export const TEMPLATES_DIR = resolvePackagePath(
  '@internal/backstage-plugin-scaffolder-backend-module-base-images',
  '../../templates',
);

export const templateBaseUrl = (runtime: 'python' | 'node') =>
  `file://${path.join(TEMPLATES_DIR, `${runtime}-service`, 'template.yaml')}`;

const annotated = (
  kind: string,
  name: string,
  spec: Record<string, string>,
  frameworks?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: {
    name,
    namespace: 'default',
    annotations: frameworks ? { 'compliance/frameworks': frameworks } : {},
  },
  spec,
});

/** A small catalog exercising each inheritance path. */
export const catalogEntities: Entity[] = [
  annotated('Domain', 'finance', {}, 'soc2'),
  annotated('Domain', 'healthcare', {}),
  annotated('System', 'patient-records', { domain: 'healthcare' }, 'hipaa'),
  annotated('System', 'payments', { domain: 'finance' }, 'pci-dss'),
  annotated('System', 'internal-tools', { domain: 'finance' }),
  annotated('System', 'hardened-platform', {}, 'cis'),
  annotated('System', 'marketing-site', {}),
  annotated('System', 'gov', {}, 'fedramp'),
  annotated('Group', 'web-team', { type: 'team' }),
  annotated('Group', 'security-team', { type: 'team' }, 'soc2'),
];

export const baseImagesConfig = (mirror = true) =>
  readBaseImagesConfig(
    new ConfigReader({
      baseImages: mirror
        ? { dhi: { mirror: { namespace: 'acme', extendedSupport: true } } }
        : {},
    }),
  );

/**
 * createMockActionContext plus what it leaves out: a real temporary-directory
 * factory, the dry-run flag, and the recorded outputs as an object.
 */
export function mockContext<T extends JsonObject>(options: {
  input: T;
  workspacePath?: string;
  templateInfo?: ActionContext<T>['templateInfo'];
  isDryRun?: boolean;
}) {
  const ctx = createMockActionContext<T>({
    input: options.input,
    templateInfo: options.templateInfo,
    ...(options.workspacePath ? { workspacePath: options.workspacePath } : {}),
  });
  const tempRoot = createMockDirectory();
  let temporaries = 0;
  return Object.assign(ctx as any, {
    isDryRun: options.isDryRun ?? false,
    createTemporaryDirectory: async () => {
      const directory = tempRoot.resolve(`tmp-${temporaries++}`);
      fs.mkdirSync(directory, { recursive: true });
      return directory;
    },
    outputs: () =>
      Object.fromEntries((ctx.output as unknown as jest.Mock).mock.calls),
  }) as ActionContext<T, any> & { outputs(): Record<string, any> };
}
