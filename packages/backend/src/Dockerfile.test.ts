import fs from 'node:fs';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import {
  readBaseImagesConfig,
  selectImages,
} from '@internal/backstage-plugin-base-images-common';
import { checkDockerfile } from '@internal/backstage-plugin-scaffolder-backend-module-base-images';
import yaml from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const DOCKERFILE = fs.readFileSync(
  path.resolve(__dirname, '../Dockerfile'),
  'utf8',
);

/** The production configuration, as the image starts with it. */
function productionConfig() {
  return ConfigReader.fromConfigs(
    ['app-config.yaml', 'app-config.production.yaml'].map(file => ({
      context: file,
      data: yaml.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')),
    })),
  );
}

/** Instructions with continuation lines joined and comments dropped. */
const instructions = (dockerfile: string) =>
  dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'));

/**
 * The portal's own image is held to the rules of the services it creates:
 * built on what the policy chooses for a Node service with no compliance
 * framework (its standard image), as a non-root user, exec-form CMD.
 */
describe('packages/backend/Dockerfile', () => {
  const standard = selectImages(
    { runtime: 'node' },
    { frameworks: [], missing: [], notes: [] },
    readBaseImagesConfig(productionConfig()),
  );

  it('passes the Dockerfile rules on the policy’s standard Node image', () => {
    expect(standard.variant).toBe('slim');
    expect(
      checkDockerfile(DOCKERFILE, {
        allowedImages: [
          standard.runtimeImage,
          standard.builderImage,
          standard.debugImage,
        ],
        runtimeImage: standard.runtimeImage,
        shellless: standard.shellless,
      }),
    ).toEqual([]);
  });

  it('starts the backend on the production configuration', () => {
    const cmd = instructions(DOCKERFILE)
      .filter(line => line.startsWith('CMD '))
      .pop();
    expect(JSON.parse(cmd!.slice('CMD '.length))).toEqual([
      'node',
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
    ]);
  });

  it('copies only what exists and what .dockerignore lets into the context', () => {
    const allowed = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter(line => line.startsWith('!'))
      .map(line => line.slice(1));
    const sources = instructions(DOCKERFILE)
      .filter(line => line.startsWith('COPY ') && !/--from=/.test(line))
      .flatMap(line =>
        line
          .split(/\s+/)
          .slice(1, -1)
          .filter(arg => !arg.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(0);
    // a folder is in the context when it or something inside it is allowed
    const inContext = (source: string) =>
      allowed.some(
        pattern =>
          pattern === source ||
          source.startsWith(`${pattern}/`) ||
          pattern.startsWith(`${source}/`),
      );
    expect(sources.filter(source => !inContext(source))).toEqual([]);
    // the tarballs are `yarn build:backend` output; the rest is checked in
    expect(
      sources.filter(
        source =>
          !source.startsWith('packages/backend/dist/') &&
          !fs.existsSync(path.join(ROOT, source)),
      ),
    ).toEqual([]);
  });
});
