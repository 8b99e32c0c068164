import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { NotifierState } from './verdictChanges';

const TABLE = 'base_images_notifier_state';

/**
 * The notifier's schema, with its own knex migrations table so it evolves
 * apart from the status cache's migrations/ folder. In code rather than in a
 * .js file so it ships inside the built package.
 */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261128000000_notifier_state': {
    async up(knex) {
      await knex.schema.createTable(TABLE, table => {
        table.comment(
          'Per component: the base-image verdict its owners were last told about',
        );
        table.string('entity_ref', 512).primary().notNullable();
        table
          .text('state')
          .notNullable()
          .comment(
            'NotifierState as JSON: the verdict, and the verdict before an open worsening',
          );
        table
          .string('episode', 64)
          .nullable()
          .comment(
            'Id of the open worsening: its notifications share one scope',
          );
        table
          .integer('revision')
          .notNullable()
          .comment('Bumped on every write; writers compare and set it');
        table.timestamp('updated_at', { useTz: true }).notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTable(TABLE);
    },
  },
};

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: name => name,
  getMigration: async name => MIGRATIONS[name],
};

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
    const client = await database.getClient();
    if (!database.migrations?.skip) {
      await client.migrate.latest({
        migrationSource,
        tableName: 'base_images_notifier_migrations',
      });
    }
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
