import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { NotFoundError, NotModifiedError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import {
  dockerfileLocation,
  MAX_DOCKERFILE_LENGTH,
} from '@internal/backstage-plugin-base-images-common';

/** Where an entity's Dockerfile is, resolved and ready to read. */
export type DockerfileSource = {
  /** `url:<url>` or `file:<path>`: the same Dockerfile has the same key. */
  key: string;
  /** The Dockerfile's name relative to catalog-info.yaml, for `discoveredFrom`. */
  file: string;
} & ({ type: 'url'; url: string } | { type: 'file'; path: string });

/** What reading a Dockerfile gave. */
export type ReadOutcome =
  | { outcome: 'read'; content: string; etag?: string }
  /** There is no Dockerfile there. */
  | { outcome: 'missing' }
  /** The ETag given still holds: the Dockerfile did not change. */
  | { outcome: 'unchanged' }
  /** It could not be read, or may not be: `message` says why. */
  | { outcome: 'failed'; message: string };

/** Bytes read at most: a Dockerfile longer than the parser accepts is refused unread. */
const MAX_BYTES = MAX_DOCKERFILE_LENGTH;

const tooLarge = (where: string) =>
  `${where} is larger than ${Math.round(
    MAX_BYTES / 1024,
  )} KiB, more than a Dockerfile needs; it was not read`;

function isInside(directory: string, file: string): boolean {
  const relative = path.relative(directory, file);
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

async function readCapped(stream: Readable, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_BYTES) {
      stream.destroy();
      throw new Error(tooLarge(where));
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads the Dockerfile beside an entity's catalog-info.yaml: through the
 * UrlReader for `url` locations (whatever integrations the portal has), and
 * from disk only for `file` locations under the directories the catalog
 * config names (see fileLocationRoots), never through a symbolic link.
 */
export class DockerfileReader {
  constructor(
    private readonly options: {
      urlReader: UrlReaderService;
      integrations: ScmIntegrationRegistry;
      /** Absolute directories Dockerfiles may be read from. */
      fileRoots: string[];
    },
  ) {}

  /** Where the entity's Dockerfile is; undefined when its location is neither a url nor an absolute file. */
  locate(entity: Entity): DockerfileSource | undefined {
    const location = dockerfileLocation(entity);
    if (!location) return undefined;
    const file = 'Dockerfile';
    if (location.type === 'file') {
      const filePath = path.resolve(location.path);
      return { type: 'file', key: `file:${filePath}`, path: filePath, file };
    }
    // some hosts keep the path in the query string: resolve with the integrations
    const url = this.options.integrations.resolveUrl({
      url: location.relativePath,
      base: location.target,
    });
    return { type: 'url', key: `url:${url}`, url, file };
  }

  async read(source: DockerfileSource, etag?: string): Promise<ReadOutcome> {
    try {
      return source.type === 'url'
        ? await this.readUrl(source.url, etag)
        : await this.readFile(source.path);
    } catch (error) {
      return { outcome: 'failed', message: (error as Error).message };
    }
  }

  private async readUrl(url: string, etag?: string): Promise<ReadOutcome> {
    let response;
    try {
      response = await this.options.urlReader.readUrl(url, { etag });
    } catch (error) {
      if (error instanceof NotFoundError) return { outcome: 'missing' };
      if (error instanceof NotModifiedError) return { outcome: 'unchanged' };
      throw new Error(`${url} could not be read: ${(error as Error).message}`);
    }
    const buffer = response.stream
      ? await readCapped(response.stream(), url)
      : await response.buffer();
    if (buffer.length > MAX_BYTES) throw new Error(tooLarge(url));
    return {
      outcome: 'read',
      content: buffer.toString('utf8'),
      etag: response.etag,
    };
  }

  private async readFile(filePath: string): Promise<ReadOutcome> {
    const root = this.options.fileRoots.find(r => isInside(r, filePath));
    if (!root) {
      throw new Error(
        `${filePath} is not under a directory that a catalog.locations entry of type file names, so it is not read`,
      );
    }
    let realRoot: string;
    let realDirectory: string;
    try {
      realRoot = await fs.promises.realpath(root);
      realDirectory = await fs.promises.realpath(path.dirname(filePath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { outcome: 'missing' };
      throw error;
    }
    if (!isInside(realRoot, path.join(realDirectory, path.basename(filePath))))
      throw new Error(
        `${filePath} leads outside ${root} through a symbolic link, so it is not read`,
      );
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(
        filePath,
        // O_NONBLOCK: a FIFO planted as "Dockerfile" must not hang the read
        fs.constants.O_RDONLY |
          (fs.constants.O_NOFOLLOW ?? 0) |
          (fs.constants.O_NONBLOCK ?? 0),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { outcome: 'missing' };
      if (code === 'ELOOP')
        throw new Error(
          `${filePath} is a symbolic link; Dockerfiles are only read as regular files`,
        );
      throw error;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile())
        throw new Error(`${filePath} is not a regular file, so it is not read`);
      if (stat.size > MAX_BYTES) throw new Error(tooLarge(filePath));
      const content = await handle.readFile({ encoding: 'utf8' });
      return { outcome: 'read', content };
    } finally {
      await handle.close();
    }
  }
}
