// @ts-check

/**
 * Dockerfile discovery results per entity, and the fleet page's rows: one per
 * component, written by the fleet refresh, read (filtered, sorted, paged and
 * counted) by GET /overview.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('base_images_discovery', table => {
    table.comment(
      'The base image read from the Dockerfile of each component, refreshed with the fleet',
    );
    table.string('entity_ref', 512).primary().notNullable();
    table
      .text('location')
      .notNullable()
      .comment('Where the Dockerfile was looked for: url:<url> or file:<path>');
    table
      .text('result', 'longtext')
      .notNullable()
      .comment('DiscoveryResult as JSON');
    table
      .string('etag', 512)
      .nullable()
      .comment('ETag of the Dockerfile read, to skip unchanged files');
    table.timestamp('discovered_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('base_images_fleet', table => {
    table.comment(
      'One row per component: its base-image status as the last fleet refresh (or its first card view) computed it',
    );
    table.string('entity_ref', 512).primary().notNullable();
    table.string('title', 512).nullable();
    table.string('owner', 512).nullable().comment('Owner entity ref');
    table
      .boolean('listed')
      .notNullable()
      .comment(
        'Has a base image (annotation or Dockerfile): shown in the fleet',
      );
    table.string('status', 32).notNullable().comment('Attestation status');
    table.string('variant', 32).nullable();
    table
      .string('verdict', 16)
      .notNullable()
      .comment('Policy verdict: compliant, drift or error');
    table
      .text('frameworks')
      .notNullable()
      .comment('Effective framework ids as ",id1,id2,", for filtering');
    table
      .integer('severity')
      .notNullable()
      .comment('0 = most severe (invalid) .. 6 = verified; the fleet order');
    table
      .text('response', 'longtext')
      .notNullable()
      .comment('BaseImageStatusResponse as JSON');
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(
      ['listed', 'severity', 'entity_ref'],
      'base_images_fleet_order',
    );
    table.index(['owner'], 'base_images_fleet_owner');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('base_images_fleet');
  await knex.schema.dropTable('base_images_discovery');
};
