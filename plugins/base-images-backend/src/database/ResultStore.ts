import { DatabaseService } from '@backstage/backend-plugin-api';
import { AttestationReport } from '@internal/backstage-plugin-base-images-common';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

export interface StoredResult {
  digestKey: string;
  /** What the reference resolved to (the index of a multi-platform image), when known. */
  digest?: string;
  platform?: string;
  report: AttestationReport;
  checkedAt: Date;
}

/**
 * The plugin's cache: results by `<registry>/<repository>@<digest> <platform>`
 * (the digest the reference resolves to, the platform checked), and tag ->
 * that key with the time it was resolved.
 */
export class ResultStore {
  static async create(database: DatabaseService): Promise<ResultStore> {
    return new ResultStore(await migratedClient(database));
  }

  constructor(private readonly db: Knex) {}

  /** The latest result for an image reference, through the tag table. */
  async getByRef(
    imageRef: string,
  ): Promise<(StoredResult & { resolvedAt: Date }) | undefined> {
    const row = await this.db('base_images_tags as t')
      .join(
        'base_images_results as r',
        't.image_digest_key',
        'r.image_digest_key',
      )
      .where('t.image_ref', imageRef)
      .first(
        'r.image_digest_key',
        'r.image_digest',
        'r.platform',
        'r.report',
        'r.checked_at',
        't.resolved_at',
      );
    if (!row) return undefined;
    return {
      digestKey: row.image_digest_key,
      digest: row.image_digest ?? undefined,
      platform: row.platform ?? undefined,
      report: JSON.parse(row.report),
      checkedAt: new Date(row.checked_at),
      resolvedAt: new Date(row.resolved_at),
    };
  }

  async save(
    imageRef: string,
    digestKey: string,
    report: AttestationReport,
    at: Date,
    about: { digest?: string; platform?: string } = {},
  ): Promise<void> {
    await this.db.transaction(async tx => {
      await tx('base_images_results')
        .insert({
          image_digest_key: digestKey,
          image_digest: about.digest ?? null,
          platform: about.platform ?? null,
          status: report.status,
          report: JSON.stringify(report),
          checked_at: at,
        })
        .onConflict('image_digest_key')
        .merge();
      await tx('base_images_tags')
        .insert({
          image_ref: imageRef,
          image_digest_key: digestKey,
          resolved_at: at,
        })
        .onConflict('image_ref')
        .merge();
    });
  }
}
