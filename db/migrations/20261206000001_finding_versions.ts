import { Knex } from 'knex';

/**
 * A finding can be edited by its author until the review leaves their hands: the finding row
 * holds the current text with its version, and each text it replaced is kept here, with who
 * replaced it and when.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('findings', (t) => {
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('updated_at', { useTz: true }).nullable();
  });
  await knex.schema.createTable('finding_versions', (t) => {
    t.increments('id').primary();
    t.integer('finding_id').notNullable().references('id').inTable('findings');
    t.integer('version').notNullable();
    t.string('category', 8).notNullable().references('code').inTable('finding_categories');
    t.text('description').notNullable();
    t.string('severity', 16).notNullable();
    t.text('evidence_ids').nullable();
    // When this version was written (the finding's creation or the edit before), and by whom it was replaced.
    t.timestamp('written_at', { useTz: true }).notNullable();
    t.integer('replaced_by').notNullable().references('id').inTable('users');
    t.timestamp('replaced_at', { useTz: true }).notNullable();
    t.unique(['finding_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('finding_versions');
  await knex.schema.alterTable('findings', (t) => {
    t.dropColumn('updated_at');
    t.dropColumn('version');
  });
}
