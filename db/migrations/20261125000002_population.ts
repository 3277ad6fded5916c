import { Knex } from 'knex';

/**
 * The population of a round: each import (with the uploaded files kept, content-addressed, so
 * that what was imported can always be shown again), the self-evaluations it produced and their
 * indicators. Amounts are integer fen, scores integer hundredths of a point.
 */

export async function up(knex: Knex): Promise<void> {
  // Uploaded files by SHA-256. Kept in the database so that a database backup is a full backup
  // and several application instances see the same files.
  await knex.schema.createTable('stored_files', (t) => {
    t.string('sha256', 64).primary();
    t.bigInteger('size').notNullable();
    t.string('media_type', 100).notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('population_imports', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    // active: the round's population; replaced: an earlier one, kept with its files.
    t.string('status', 16).notNullable().checkIn(['active', 'replaced']);
    t.string('file_name', 255).notNullable();
    t.string('file_sha256', 64).notNullable().references('sha256').inTable('stored_files');
    t.string('format', 8).notNullable();
    t.string('encoding', 16).nullable();
    t.string('indicators_file_name', 255).nullable();
    t.string('indicators_file_sha256', 64).nullable().references('sha256').inTable('stored_files');
    t.integer('record_count').notNullable();
    t.integer('project_count').notNullable();
    t.integer('department_count').notNullable();
    t.integer('indicator_count').notNullable();
    t.bigInteger('budget_fen').notNullable();
    t.bigInteger('executed_fen').notNullable();
    t.string('fingerprint', 64).notNullable();
    // Totals by kind, department, grade and warning sign, computed once: the population never
    // changes after import, and the page should not aggregate 100,000 rows on every view.
    t.text('summary').notNullable();
    t.integer('imported_by').notNullable().references('id').inTable('users');
    t.timestamp('imported_at', { useTz: true }).notNullable();
    t.timestamp('replaced_at', { useTz: true }).nullable();
    t.index(['round_id', 'status']);
  });

  // Only what lists filter, sort and show is a column; the rest of a record is computed again
  // from it and its indicators when one record is shown. A narrow row keeps a 100,000-row
  // import fast.
  await knex.schema.createTable('submissions', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('row_number').notNullable();
    t.string('kind', 16).notNullable().checkIn(['project', 'department']);
    t.string('code', 64).notNullable();
    t.string('department', 200).notNullable();
    t.string('unit', 200).notNullable();
    t.string('name', 300).notNullable();
    t.string('funding_source', 100).nullable();
    t.bigInteger('budget_fen').notNullable();
    t.bigInteger('executed_fen').nullable();
    t.integer('self_score').notNullable();
    t.string('self_grade', 4).nullable();
    t.string('submitted_on', 10).nullable();
    t.integer('execution_rate_bp').nullable();
    t.integer('warnings').notNullable().defaultTo(0);
    t.integer('indicator_count').notNullable().defaultTo(0);
    // JSON of the rarely filled columns: contact, note and the file's own extra columns.
    t.text('details').nullable();
    // Lists filter and sort in memory (population/listIndex.ts), so one index serves: by code.
    t.unique(['round_id', 'code']);
  });

  await knex.schema.createTable('indicators', (t) => {
    t.increments('id').primary();
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('row_number').notNullable();
    t.integer('position').notNullable();
    t.string('level1', 100).notNullable();
    t.string('level2', 100).nullable();
    t.string('level3', 300).notNullable();
    t.string('nature', 20).nullable();
    t.string('target', 200).nullable();
    t.string('unit', 50).nullable();
    t.integer('weight').notNullable();
    t.string('actual', 200).nullable();
    t.integer('score').notNullable();
    t.boolean('is_execution').notNullable();
    t.index(['submission_id', 'position']);
    t.index(['round_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['indicators', 'submissions', 'population_imports', 'stored_files']) {
    await knex.schema.dropTableIfExists(table);
  }
}
