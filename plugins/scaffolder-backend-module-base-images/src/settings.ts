import path from 'node:path';
import { Config } from '@backstage/config';
import {
  assertKnownConfigKeys,
  BaseImagesConfigError,
} from '@internal/backstage-plugin-base-images-common';

/**
 * Where the templates publish: `baseImages.publish`, validated.
 * @public
 */
export interface PublishSettings {
  target: 'local' | 'github';
  /** Absolute directory that local repositories are created in. */
  localDirectory: string;
  github?: { owner: string; host: string };
}

const KEY = 'baseImages.publish';

/** Reads `baseImages.publish`, failing start-up on unknown keys or values. */
export function readPublishSettings(
  root: Config,
  cwd = process.cwd(),
): PublishSettings {
  const config = root.getOptionalConfig(KEY);
  if (config)
    assertKnownConfigKeys(config, KEY, ['target', 'localDirectory', 'github']);
  const target = config?.getOptionalString('target') ?? 'local';
  if (target !== 'local' && target !== 'github') {
    throw new BaseImagesConfigError(
      `${KEY}.target`,
      `${JSON.stringify(target)} is not local or github`,
    );
  }
  const github = config?.getOptionalConfig('github');
  if (github) assertKnownConfigKeys(github, `${KEY}.github`, ['owner', 'host']);
  if (target === 'github' && !github) {
    throw new BaseImagesConfigError(
      `${KEY}.github.owner`,
      'publishing to GitHub needs the owner of the new repositories',
    );
  }
  // The backend runs in packages/backend; default to <repo root>/.generated-repos.
  const defaultDirectory =
    path.basename(cwd) === 'backend'
      ? path.resolve(cwd, '../../.generated-repos')
      : path.resolve(cwd, '.generated-repos');
  return {
    target,
    localDirectory: path.resolve(
      cwd,
      config?.getOptionalString('localDirectory') ?? defaultDirectory,
    ),
    github: github
      ? {
          owner: github.getString('owner'),
          host: github.getOptionalString('host') ?? 'github.com',
        }
      : undefined,
  };
}
