// @ts-check

/**
 * Results are keyed by what a reference resolves to (the index of a
 * multi-platform image) plus the platform checked, no longer by the platform
 * manifest alone: two indexes wrapping one platform manifest (one signed, one
 * not) shared a row and overwrote each other. The digest and platform get
 * columns of their own. Rows keyed the old way are dropped: this is a cache,
 * and the next check of each image writes it again.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex('base_images_tags').delete();
  await knex('base_images_results').delete();
  await knex.schema.alterTable('base_images_results', table => {
    table
      .string('image_digest', 140)
      .nullable()
      .comment(
        'What the reference resolves to: the index of a multi-platform image',
      );
    table
      .string('platform', 64)
      .nullable()
      .comment('The platform whose manifest was checked (os/arch[/variant])');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex('base_images_tags').delete();
  await knex('base_images_results').delete();
  await knex.schema.alterTable('base_images_results', table => {
    table.dropColumn('image_digest');
    table.dropColumn('platform');
  });
};
