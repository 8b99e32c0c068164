import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { dockerfileBaseImage } from '@internal/backstage-plugin-base-images-common';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import {
  DiscoveryResult,
  DiscoveryStore,
  StoredDiscovery,
} from './DiscoveryStore';
import { DockerfileReader, DockerfileSource } from './DockerfileReader';

/**
 * How long a replica reuses a discovery result it looked up: cards do not
 * query the database each time; a refresh on another replica shows after
 * this long.
 */
export const DISCOVERY_CACHE_TTL_MS = 60_000;
/** Results kept per replica (one per component). */
const MAX_CACHED_RESULTS = 50_000;
/** Dockerfiles read at once by a refresh. */
const DEFAULT_CONCURRENCY = 8;

interface Located {
  source?: DockerfileSource;
  /** Why the location could not be resolved. */
  error?: string;
}

interface Discovered {
  result: DiscoveryResult;
  etag?: string;
}

interface Lookup {
  entityRef: string;
  located: Located;
}

const NO_LOCATION: DiscoveryResult = {
  kind: 'absent',
  message:
    'its catalog location is neither a url nor a file, so there is no Dockerfile to read',
};

/**
 * The base image of components that do not declare one: the final stage of
 * the Dockerfile beside their catalog-info.yaml. The fleet refresh reads
 * every component's Dockerfile (each distinct file once, unchanged ones
 * skipped by ETag) and stores the results; a card only reads the stored
 * result, or reads the Dockerfile once when its component has none yet.
 */
export class DockerfileDiscovery {
  private readonly cache: LRUCache<string, DiscoveryResult, Lookup>;

  constructor(
    private readonly options: {
      reader: DockerfileReader;
      store: DiscoveryStore;
      /** Milliseconds since the epoch. Default `Date.now`. */
      now?: () => number;
    },
  ) {
    this.cache = new LRUCache<string, DiscoveryResult, Lookup>({
      max: MAX_CACHED_RESULTS,
      ttl: DISCOVERY_CACHE_TTL_MS,
      fetchMethod: (_key, _stale, { context }) => this.storedOrRead(context),
    });
  }

  /** For one entity's card: the stored result, else one read now (stored for the next caller). */
  async lookup(entity: Entity): Promise<DiscoveryResult> {
    const entityRef = stringifyEntityRef(entity);
    const located = this.locate(entity);
    const key = `${entityRef}\n${located.source?.key ?? ''}`;
    return (await this.cache.fetch(key, {
      context: { entityRef, located },
    }))!;
  }

  /**
   * Reads the Dockerfile of every given entity, one read per distinct file,
   * and stores the results; results of entities not given are dropped.
   */
  async refresh(
    entities: Entity[],
    options: { concurrency?: number } = {},
  ): Promise<Map<string, DiscoveryResult>> {
    const stored = await this.options.store.all();
    const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
    const reads = new Map<string, Promise<Discovered>>();
    const entries: StoredDiscovery[] = [];
    const discoveredAt = new Date(this.now());
    await Promise.all(
      entities.map(async entity => {
        const entityRef = stringifyEntityRef(entity);
        const located = this.locate(entity);
        const location = located.source?.key ?? '';
        const previous = stored.get(entityRef);
        let read = reads.get(location);
        if (!read || !location) {
          read = limit(() =>
            this.discover(
              located,
              previous?.location === location ? previous : undefined,
            ),
          );
          if (location) reads.set(location, read);
        }
        const { result, etag } = await read;
        entries.push({ entityRef, location, result, etag, discoveredAt });
      }),
    );
    await this.options.store.put(entries);
    await this.options.store.retainOnly(new Set(entries.map(e => e.entityRef)));
    this.cache.clear();
    return new Map(entries.map(entry => [entry.entityRef, entry.result]));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private locate(entity: Entity): Located {
    try {
      return { source: this.options.reader.locate(entity) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private async storedOrRead({
    entityRef,
    located,
  }: Lookup): Promise<DiscoveryResult> {
    const location = located.source?.key ?? '';
    const stored = await this.options.store.get(entityRef);
    if (stored && stored.location === location) return stored.result;
    const { result, etag } = await this.discover(located);
    await this.options.store.put([
      {
        entityRef,
        location,
        result,
        etag,
        discoveredAt: new Date(this.now()),
      },
    ]);
    return result;
  }

  /** Reads and parses one Dockerfile; `previous` (same location) lets an unchanged file be skipped. */
  private async discover(
    { source, error }: Located,
    previous?: StoredDiscovery,
  ): Promise<Discovered> {
    if (error) {
      return {
        result: {
          kind: 'unreadable',
          file: 'Dockerfile',
          message: `the Dockerfile's location could not be resolved: ${error}`,
        },
      };
    }
    if (!source) return { result: NO_LOCATION };
    const read = await this.options.reader.read(source, previous?.etag);
    const { file } = source;
    switch (read.outcome) {
      case 'unchanged':
        if (previous) return { result: previous.result, etag: previous.etag };
        return this.discover({ source });
      case 'missing':
        return {
          result: {
            kind: 'absent',
            message: `there is no ${file} beside its catalog-info.yaml (${source.key})`,
          },
        };
      case 'failed':
        return {
          result: {
            kind: 'unreadable',
            file,
            message: `${file} could not be read: ${read.message}`,
          },
        };
      default: {
        const base = dockerfileBaseImage(read.content);
        if (base.ok) {
          return {
            result: { kind: 'found', file, image: base.image, line: base.line },
            etag: read.etag,
          };
        }
        return {
          result: {
            kind: 'unreadable',
            file,
            line: base.line,
            message: `${file}${base.line ? ` line ${base.line}` : ''}: ${
              base.message
            }`,
          },
          etag: read.etag,
        };
      }
    }
  }
}
