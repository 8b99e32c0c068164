// @ts-check

/**
 * Cache of base-image checks: one result per image digest, and which digest a
 * tag pointed at when it was last resolved.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('base_images_results', table => {
    table.comment('Signature and attestation check results, by image digest');
    table
      .string('image_digest_key', 512)
      .primary()
      .notNullable()
      .comment('<registry>/<repository>@<digest>');
    table.string('status', 32).notNullable();
    table
      .text('report', 'longtext')
      .notNullable()
      .comment('AttestationReport as JSON');
    table.timestamp('checked_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('base_images_tags', table => {
    table.comment('Tag to digest resolutions, trusted for a short TTL');
    table
      .string('image_ref', 512)
      .primary()
      .notNullable()
      .comment('Fully qualified reference as annotated');
    table.string('image_digest_key', 512).nullable();
    table.timestamp('resolved_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('base_images_tags');
  await knex.schema.dropTable('base_images_results');
};
