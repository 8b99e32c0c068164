import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createMockDirectory } from '@backstage/backend-test-utils';
import Ajv from 'ajv';
import { resolveAndRender, Runtime } from '../__testUtils__/renderService';

/** Fetched by scripts/bootstrap.sh from the renovate npm package, hash-checked. */
const SCHEMA_PATH = resolvePackagePath(
  '@internal/backstage-plugin-scaffolder-backend-module-base-images',
  '../../.tools/renovate-schema.json',
);
const RENOVATE_VERSION = '44.121.2';

function readSchema() {
  if (!fs.existsSync(SCHEMA_PATH)) {
    throw new Error(
      `${SCHEMA_PATH} is missing; run scripts/bootstrap.sh, which fetches Renovate's schema from the renovate@${RENOVATE_VERSION} npm package`,
    );
  }
  return JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
}

interface PackageRule {
  matchDatasources?: string[];
  matchManagers?: string[];
  matchUpdateTypes?: string[];
  enabled?: boolean;
}

/**
 * The update types Renovate would still propose for a Docker image in a
 * Dockerfile: every type its schema knows, minus those a matching package
 * rule disables.
 */
function enabledDockerUpdateTypes(
  config: { packageRules?: PackageRule[] },
  updateTypes: string[],
): string[] {
  return updateTypes.filter(
    updateType =>
      !(config.packageRules ?? []).some(
        rule =>
          rule.enabled === false &&
          (!rule.matchDatasources ||
            rule.matchDatasources.includes('docker')) &&
          (!rule.matchManagers || rule.matchManagers.includes('dockerfile')) &&
          (!rule.matchUpdateTypes ||
            rule.matchUpdateTypes.includes(updateType)),
      ),
  );
}

describe('renovate.json of the skeletons', () => {
  const mockDir = createMockDirectory();
  afterAll(() => mockDir.clear());
  const schema = readSchema();
  const ajv = new Ajv({ strict: false, allErrors: true });
  // the schema's only format; Renovate reads these as regular expressions
  ajv.addFormat('regex', value => {
    try {
      return Boolean(new RegExp(value));
    } catch {
      return false;
    }
  });
  const validate = ajv.compile(schema);

  it('is checked against the pinned Renovate schema, which refuses bad configs', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema['x-renovate-version']).toBe(RENOVATE_VERSION);
    expect(validate({ pinDigests: 'yes' })).toBe(false);
    expect(validate({ packageRules: [{ matchUpdateTypes: 5 }] })).toBe(false);
  });

  it.each(['python', 'node'] as Runtime[])(
    '%s: valid, Dockerfile manager only, digests only',
    async runtime => {
      const workspacePath = mockDir.resolve(runtime);
      await resolveAndRender({
        runtime,
        system: 'system:default/patient-records',
        workspacePath,
      });
      const config = JSON.parse(
        fs.readFileSync(path.join(workspacePath, 'renovate.json'), 'utf8'),
      );
      expect(validate(config)).toBe(true);
      expect(validate.errors).toBeNull();

      // the schema allows unknown keys, so a misspelt option would pass silently
      const known = new Set(['$schema', ...Object.keys(schema.properties)]);
      expect(Object.keys(config).filter(key => !known.has(key))).toEqual([]);
      const ruleKeys = new Set(
        Object.keys(schema.definitions.packageRules.items.allOf[0].properties),
      );
      for (const rule of config.packageRules)
        expect(Object.keys(rule).filter(key => !ruleKeys.has(key))).toEqual([]);

      expect(config.enabledManagers).toEqual(['dockerfile']);
      expect(config.pinDigests).toBe(true);
      expect(config.extends).toBeUndefined();
      expect(config.description.join(' ')).toMatch(/compliance decision/);
      const updateTypes: string[] =
        schema.definitions.matchUpdateTypes.oneOf[0].items.anyOf[0].enum;
      expect(updateTypes).toEqual(
        expect.arrayContaining(['major', 'minor', 'patch', 'replacement']),
      );
      expect(enabledDockerUpdateTypes(config, updateTypes).sort()).toEqual([
        'digest',
        'pinDigest',
      ]);
    },
    60_000,
  );

  it('would notice a config that lets tags change', () => {
    const updateTypes = ['major', 'minor', 'digest'];
    expect(
      enabledDockerUpdateTypes(
        {
          packageRules: [
            {
              matchDatasources: ['npm'],
              matchUpdateTypes: ['minor'],
              enabled: false,
            },
            { matchUpdateTypes: ['major'], enabled: false },
          ],
        },
        updateTypes,
      ),
    ).toEqual(['minor', 'digest']);
  });
});
