import { Knex } from 'knex';

/** What an entity's Dockerfile says about its base image. */
export type DiscoveryResult =
  /** The final stage's base image, and the line of the FROM that names it. */
  | { kind: 'found'; file: string; image: string; line: number }
  /** A Dockerfile is there but gives no base image: `message` says why. */
  | { kind: 'unreadable'; file: string; message: string; line?: number }
  /** No Dockerfile beside catalog-info.yaml (or no location to look in). */
  | { kind: 'absent'; message: string };

export interface StoredDiscovery {
  entityRef: string;
  /** The DockerfileSource key it was read from ('' when there was none). */
  location: string;
  result: DiscoveryResult;
  etag?: string;
  discoveredAt: Date;
}

const TABLE = 'base_images_discovery';
/** Rows per insert: well under SQLite's bound-parameter limit. */
const BATCH = 500;

/** Discovery results per entity, in the plugin's database (shared by replicas). */
export class DiscoveryStore {
  constructor(private readonly db: Knex) {}

  async get(entityRef: string): Promise<StoredDiscovery | undefined> {
    const row = await this.db(TABLE).where('entity_ref', entityRef).first();
    return row ? fromRow(row) : undefined;
  }

  /** Every stored result, by entity ref: what the refresh compares against. */
  async all(): Promise<Map<string, StoredDiscovery>> {
    const rows = await this.db(TABLE).select();
    return new Map(rows.map(row => [row.entity_ref, fromRow(row)]));
  }

  async put(entries: StoredDiscovery[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH) {
      await this.db(TABLE)
        .insert(
          entries.slice(i, i + BATCH).map(entry => ({
            entity_ref: entry.entityRef,
            location: entry.location,
            result: JSON.stringify(entry.result),
            etag: entry.etag ?? null,
            discovered_at: entry.discoveredAt,
          })),
        )
        .onConflict('entity_ref')
        .merge();
    }
  }

  /** Drops the results of entities not in `keep` (deleted from the catalog). */
  async retainOnly(keep: Set<string>): Promise<number> {
    const gone = (await this.db(TABLE).pluck('entity_ref')).filter(
      (ref: string) => !keep.has(ref),
    );
    for (let i = 0; i < gone.length; i += BATCH) {
      await this.db(TABLE)
        .whereIn('entity_ref', gone.slice(i, i + BATCH))
        .delete();
    }
    return gone.length;
  }
}

function fromRow(row: any): StoredDiscovery {
  return {
    entityRef: row.entity_ref,
    location: row.location,
    result: JSON.parse(row.result),
    etag: row.etag ?? undefined,
    discoveredAt: new Date(row.discovered_at),
  };
}
