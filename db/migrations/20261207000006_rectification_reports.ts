import { Knex } from 'knex';

/**
 * 整改情况通报: a round's report on its rectification, compiled from the tasks, edited by the lead,
 * approved and published by the official like the announcement. One row per version; a published
 * version is never changed (a later report is a new version).
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rectification_reports', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('version').notNullable();
    t.string('status', 16).notNullable();
    t.string('title', 200).notNullable();
    t.text('body').notNullable();
    // The counts the text was compiled from, as of its compilation.
    t.text('figures').notNullable();
    t.string('slug', 64).nullable().unique();
    t.text('return_reason').nullable();
    t.integer('revision').notNullable().defaultTo(1);
    t.integer('updated_by').notNullable().references('id').inTable('users');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.integer('published_by').nullable().references('id').inTable('users');
    t.timestamp('published_at', { useTz: true }).nullable();
    t.unique(['round_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rectification_reports');
}
