import path from 'node:path';
import { JsonObject } from '@backstage/types';
import { ConfigSources, FileConfigSource } from '@backstage/config-loader';

/** The repository's production configuration. */
export const PRODUCTION_CONFIG = path.resolve(
  __dirname,
  '../../../../app-config.production.yaml',
);

/**
 * `baseImages.registries` exactly as app-config.production.yaml has it (with
 * `${VAR}`s from `env`), each registry then reached at its local stand-in:
 * `endpoint` and `insecure` are the only keys added. Every registry the file
 * lists must have a stand-in, so a test covers the whole section.
 */
export async function productionRegistries(
  standIns: Record<string, string>,
  env: Record<string, string>,
): Promise<JsonObject[]> {
  const config = await ConfigSources.toConfig(
    FileConfigSource.create({
      path: PRODUCTION_CONFIG,
      watch: false,
      substitutionFunc: async name => env[name],
    }),
  );
  try {
    return config
      .getConfigArray('baseImages.registries')
      .map(entry => entry.get<JsonObject>())
      .map(registry => {
        const standIn = standIns[registry.host as string];
        if (!standIn)
          throw new Error(
            `app-config.production.yaml lists ${registry.host}, which has no stand-in`,
          );
        return { ...registry, endpoint: `http://${standIn}`, insecure: true };
      });
  } finally {
    config.close();
  }
}
