import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { EntityLoader } from '@internal/backstage-plugin-base-images-common';
import { LRUCache } from 'lru-cache';

/**
 * How long an entity looked up for one caller is reused: a card polled by many
 * users does not cost a chain of catalog requests each time; a permission
 * change takes up to this long to show.
 */
export const ENTITY_CACHE_TTL_MS = 10_000;
/** Entities kept per replica (one per caller and entity). */
const MAX_CACHED_ENTITIES = 50_000;

/** Who the credentials belong to, as a cache key; undefined when they are not cacheable. */
function principalKey(credentials: BackstageCredentials): string | undefined {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal?.type === 'user' && principal.userEntityRef)
    return `user:${principal.userEntityRef}`;
  if (principal?.type === 'service' && principal.subject)
    return `service:${principal.subject}`;
  return undefined;
}

interface Lookup {
  ref: string;
  credentials: BackstageCredentials;
}

/** Entity lookups through the catalog with the caller's credentials, cached per caller. */
export class EntityLoaderFactory {
  // entities the caller may not read (or that do not exist) are cached too
  private readonly cache: LRUCache<string, { entity?: Entity }, Lookup>;

  constructor(private readonly catalog: CatalogService) {
    this.cache = new LRUCache<string, { entity?: Entity }, Lookup>({
      max: MAX_CACHED_ENTITIES,
      ttl: ENTITY_CACHE_TTL_MS,
      fetchMethod: async (_key, _stale, { context }) => ({
        entity: await catalog.getEntityByRef(context.ref, {
          credentials: context.credentials,
        }),
      }),
    });
  }

  forCredentials(credentials: BackstageCredentials): EntityLoader {
    const who = principalKey(credentials);
    return async ref => {
      if (!who) return this.catalog.getEntityByRef(ref, { credentials });
      return (await this.cache.fetch(`${who} ${ref}`, {
        context: { ref, credentials },
      }))!.entity;
    };
  }
}
