import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import {
  DockerfileLocation,
  MAX_DOCKERFILE_LENGTH,
} from '@internal/backstage-plugin-base-images-common';

/** A service's Dockerfile and where a change to it is published. */
export interface ServiceDockerfile {
  /** Where it was read from, for messages: a path or a URL. */
  shownAs: string;
  bytes: Buffer;
  /** Its path inside its repository, with '/' separators. */
  repositoryPath: string;
  repository:
    | { type: 'local'; directory: string; name: string }
    | {
        type: 'github';
        host: string;
        owner: string;
        repo: string;
        /** The branch (or ref) the catalog reads it from. */
        ref: string;
      }
    | { type: 'other' };
}

/** Bytes read at most: a Dockerfile longer than the parser reads is refused either way. */
const MAX_BYTES = MAX_DOCKERFILE_LENGTH * 4;

/**
 * Reads the Dockerfile of a local repository: only under `localDirectory`,
 * through no symbolic link (checked with realpath and O_NOFOLLOW), a
 * regular file of bounded size. A catalog location elsewhere on the
 * backend's disk is refused: this action must not read arbitrary files.
 */
export async function readLocalDockerfile(
  location: Extract<DockerfileLocation, { type: 'file' }>,
  localDirectory: string,
): Promise<ServiceDockerfile> {
  const file = path.resolve(location.path);
  const relative = path.relative(localDirectory, file);
  const [name, ...rest] = relative.split(path.sep);
  if (name === '..' || path.isAbsolute(relative) || rest.length === 0) {
    throw new InputError(
      `${file} is outside the local repositories in ${localDirectory} (baseImages.publish.localDirectory); base-images:update-dockerfile only reads Dockerfiles there, or through a url location`,
    );
  }
  const realDirectory = await fs
    .realpath(localDirectory)
    .catch(() => localDirectory);
  const real = await fs.realpath(file).catch(error => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InputError(`There is no Dockerfile at ${file}`);
    throw error;
  });
  if (real !== path.join(realDirectory, relative)) {
    throw new InputError(
      `${file} is a symbolic link or goes through one; base-images:update-dockerfile reads only regular files of the repository`,
    );
  }
  const handle = await fs
    .open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    .catch(() => {
      throw new InputError(`${file} cannot be opened as a regular file`);
    });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new InputError(`${file} is not a regular file`);
    if (stat.size > MAX_BYTES) {
      throw new InputError(
        `${file} is ${stat.size} bytes long; a Dockerfile of at most ${MAX_BYTES} is read`,
      );
    }
    return {
      shownAs: file,
      bytes: await handle.readFile(),
      repositoryPath: rest.join('/'),
      repository: {
        type: 'local',
        directory: path.join(localDirectory, name),
        name,
      },
    };
  } finally {
    await handle.close();
  }
}

/** `https://<host>/<owner>/<repo>/blob/<ref>/<path>`, as the catalog names GitHub files. */
const GITHUB_FILE = /^\/([^/]+)\/([^/]+)\/(?:blob|tree)\/([^/]+)\/(.+)$/;

/**
 * Reads the Dockerfile of a url location through the UrlReader, resolved
 * against the catalog-info.yaml URL by the host's integration (so only
 * configured hosts are read, with their credentials). For GitHub hosts it
 * also says which repository and branch a pull request goes to.
 */
export async function readUrlDockerfile(
  location: Extract<DockerfileLocation, { type: 'url' }>,
  reader: UrlReaderService,
  integrations: ScmIntegrations,
): Promise<ServiceDockerfile> {
  const url = integrations.resolveUrl({
    url: location.relativePath,
    base: location.target,
  });
  let bytes: Buffer;
  try {
    const response = await reader.readUrl(url);
    bytes = await response.buffer();
  } catch (error) {
    if ((error as Error).name === NotFoundError.name)
      throw new InputError(`There is no Dockerfile at ${url}`);
    throw new InputError(
      `Could not read the Dockerfile at ${url}: ${(error as Error).message}`,
    );
  }
  if (bytes.length > MAX_BYTES) {
    throw new InputError(
      `${url} is ${bytes.length} bytes long; a Dockerfile of at most ${MAX_BYTES} is read`,
    );
  }
  const parsed = new URL(url);
  const github = integrations.github.byUrl(url)
    ? GITHUB_FILE.exec(parsed.pathname)
    : null;
  if (!github) {
    return {
      shownAs: url,
      bytes,
      repositoryPath: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      repository: { type: 'other' },
    };
  }
  const [, owner, repo, ref, filePath] = github.map(decodeURIComponent);
  return {
    shownAs: url,
    bytes,
    repositoryPath: filePath,
    repository: { type: 'github', host: parsed.host, owner, repo, ref },
  };
}
