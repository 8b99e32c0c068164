import {
  AuthService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { LRUCache } from 'lru-cache';
import { EntityLoaderFactory } from '../service/EntityLoader';
import { EntityStatusService } from '../service/EntityStatusService';
import { fleetRowOf } from './fleetRow';
import { FleetFilter, FleetPage, FleetStore, summarize } from './FleetStore';

/** How long a replica remembers that a component has a fleet row. */
const KNOWN_ROW_TTL_MS = 10 * 60_000;
const MAX_KNOWN_ROWS = 100_000;

/**
 * The fleet page's data: rows the refresh stored, narrowed to what the caller
 * may read in the catalog; and the rows of components the refresh has not
 * seen yet, written on their first card view.
 */
export class FleetService {
  /** Components known to have a row, so a card view does not ask the database each time. */
  private readonly known = new LRUCache<string, true>({
    max: MAX_KNOWN_ROWS,
    ttl: KNOWN_ROW_TTL_MS,
  });
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly options: {
      store: FleetStore;
      statuses: EntityStatusService;
      catalog: CatalogService;
      auth: AuthService;
      permissions: PermissionsService;
      loaders: EntityLoaderFactory;
    },
  ) {}

  /**
   * One page of the fleet as the caller may see it. ALLOW to read catalog
   * entities: every row; CONDITIONAL: the rows of the components the
   * caller's own catalog query returns; DENY: none.
   */
  async overview(
    credentials: BackstageCredentials,
    filter: FleetFilter,
    page: { limit: number; offset: number },
  ): Promise<FleetPage> {
    const { store, permissions, catalog } = this.options;
    const [decision] = await permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW)
      return store.page(filter, page);
    if (decision.result === AuthorizeResult.DENY)
      return { items: [], totalCount: 0, summary: summarize([]) };
    const allowed = new Set<string>();
    for await (const entities of catalog.streamEntities(
      {
        filter: { kind: 'component' },
        fields: ['kind', 'metadata.namespace', 'metadata.name'],
      },
      { credentials },
    )) {
      for (const entity of entities)
        allowed.add(stringifyEntityRef(entity).toLowerCase());
    }
    return store.pageWithin(filter, allowed, page);
  }

  /**
   * Writes the row of a component the refresh has not seen yet (new since
   * the last refresh), computed with the plugin's own credentials as the
   * refresh would. Once per component and replica.
   */
  async ensureRow(entityRef: string): Promise<void> {
    if (this.known.has(entityRef)) return;
    if (await this.options.store.has(entityRef)) {
      this.known.set(entityRef, true);
      return;
    }
    await this.updateRow(entityRef);
  }

  /** Recomputes and writes one component's row (after a forced re-check). */
  async updateRow(entityRef: string): Promise<void> {
    let writing = this.writing.get(entityRef);
    if (!writing) {
      writing = this.writeRow(entityRef).finally(() =>
        this.writing.delete(entityRef),
      );
      this.writing.set(entityRef, writing);
    }
    await writing;
  }

  private async writeRow(entityRef: string): Promise<void> {
    const { auth, loaders, statuses, store } = this.options;
    const load = loaders.forCredentials(await auth.getOwnServiceCredentials());
    const entity = await load(entityRef);
    // only components have fleet rows; anything else is not asked about again
    if (entity?.kind.toLowerCase() === 'component') {
      const response = await statuses.statusOf(entity, load);
      await store.upsert([fleetRowOf(entity, response)], new Date());
    }
    if (entity) this.known.set(entityRef, true);
  }
}
