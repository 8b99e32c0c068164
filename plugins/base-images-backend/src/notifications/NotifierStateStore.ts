import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migratedClient } from '../database/migrations';
import { NotifierState } from './verdictChanges';

const TABLE = 'base_images_notifier_state';

export interface StoredNotifierState {
  state: NotifierState;
  episode?: string;
  revision: number;
}

/**
 * What the notifier last judged, per component, shared by every replica.
 * Writes are compare-and-set on `revision`, so of two replicas judging the
 * same change only one wins, and only the winner notifies.
 */
export class NotifierStateStore {
  static async create(database: DatabaseService): Promise<NotifierStateStore> {
    const client = await migratedClient(database);
    return new NotifierStateStore(client);
  }

  private constructor(private readonly db: Knex) {}

  async get(entityRef: string): Promise<StoredNotifierState | undefined> {
    const row = await this.db(TABLE).where('entity_ref', entityRef).first();
    if (!row) return undefined;
    return {
      state: JSON.parse(row.state),
      episode: row.episode ?? undefined,
      revision: Number(row.revision),
    };
  }

  /** Stores the first state of a component; false when another writer was first. */
  async insert(
    entityRef: string,
    state: NotifierState,
    episode: string | undefined,
  ): Promise<boolean> {
    const inserted = await this.db(TABLE)
      .insert({
        entity_ref: entityRef,
        state: JSON.stringify(state),
        episode: episode ?? null,
        revision: 1,
        updated_at: new Date(),
      })
      .onConflict('entity_ref')
      .ignore()
      .returning('entity_ref');
    return inserted.length === 1;
  }

  /** Replaces the state written at `revision`; false when another writer changed it since. */
  async update(
    entityRef: string,
    revision: number,
    state: NotifierState,
    episode: string | undefined,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ entity_ref: entityRef, revision })
      .update({
        state: JSON.stringify(state),
        episode: episode ?? null,
        revision: revision + 1,
        updated_at: new Date(),
      });
    return updated === 1;
  }

  /** Forgets components that left the catalog. */
  async deleteAll(entityRefs: string[]): Promise<void> {
    // chunked: SQLite caps the number of bound parameters
    for (let i = 0; i < entityRefs.length; i += 500) {
      await this.db(TABLE)
        .whereIn('entity_ref', entityRefs.slice(i, i + 500))
        .delete();
    }
  }

  /** Forgets the state written at `revision` (undoing a first insert). */
  async delete(entityRef: string, revision: number): Promise<void> {
    await this.db(TABLE).where({ entity_ref: entityRef, revision }).delete();
  }
}
