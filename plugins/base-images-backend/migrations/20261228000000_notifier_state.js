// @ts-check

/**
 * What the notifier last told each component's owners, so a refresh that
 * finds the same verdict sends nothing and two replicas never both send.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('base_images_notifier_state', table => {
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
      .comment('Id of the open worsening: its notifications share one scope');
    table
      .integer('revision')
      .notNullable()
      .comment('Bumped on every write; writers compare and set it');
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('base_images_notifier_state');
};
