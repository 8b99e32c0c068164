import { loadConfigSchema } from '@backstage/config-loader';
import { BASE_IMAGES_CONFIG_KEYS } from '@internal/backstage-plugin-base-images-common';
import { STATUS_SETTINGS_KEYS } from './settings';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
};

/** Follows a schema to the object schema at `path` (`a.b`, `a.*` for map values, `a[]` for list items). */
function schemaAt(root: JsonSchema, path: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const part of path.split('.')) {
    const name = part.replace(/\[\]$/, '');
    node =
      name === '*'
        ? (node?.additionalProperties as JsonSchema | undefined)
        : node?.properties?.[name];
    if (part.endsWith('[]')) node = node?.items;
  }
  return node;
}

const keysAt = (schemas: JsonSchema[], path: string) =>
  [
    ...new Set(
      schemas.flatMap(schema =>
        Object.keys(schemaAt(schema, path)?.properties ?? {}),
      ),
    ),
  ].sort();

/**
 * The typo checks list the keys they know by hand (config.d.ts cannot be read
 * at run time); these tests keep those lists equal to the schemas.
 */
describe('known baseImages keys', () => {
  let schemas: JsonSchema[];

  beforeAll(async () => {
    const schema = await loadConfigSchema({
      dependencies: [
        '@internal/backstage-plugin-base-images-backend',
        '@internal/backstage-plugin-scaffolder-backend-module-base-images',
      ],
    });
    const serialized = schema.serialize() as {
      schemas: Array<{ path: string; value: JsonSchema }>;
    };
    schemas = serialized.schemas
      .filter(
        // our packages' own schemas (paths are relative to this package)
        (s: any) =>
          !s.path.includes('node_modules') && s.path.endsWith('config.d.ts'),
      )
      .map((s: any) => s.value as JsonSchema);
  }, 60_000);

  it('every key under baseImages is declared once across the plugins', () => {
    expect(keysAt(schemas, 'baseImages')).toEqual(
      [...BASE_IMAGES_CONFIG_KEYS.baseImages].sort(),
    );
  });

  it.each(
    Object.keys(BASE_IMAGES_CONFIG_KEYS).filter(path => path !== 'baseImages'),
  )('readBaseImagesConfig knows exactly the keys of %s', path => {
    expect(keysAt(schemas, path)).toEqual(
      [...BASE_IMAGES_CONFIG_KEYS[path]].sort(),
    );
  });

  it('readStatusSettings knows exactly the keys of baseImages.status', () => {
    expect(keysAt(schemas, 'baseImages.status')).toEqual(
      [...STATUS_SETTINGS_KEYS].sort(),
    );
  });
});
