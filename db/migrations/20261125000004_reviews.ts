import { Knex } from 'knex';

/**
 * Review work: who is assigned which sampled record, and the review of each record with every
 * version it went through. Assignments end rather than disappear; review versions are append-only.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('assignments', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.integer('assigned_by').notNullable().references('id').inTable('users');
    t.timestamp('assigned_at', { useTz: true }).notNullable();
    t.integer('ended_by').nullable().references('id').inTable('users');
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.index(['round_id', 'user_id']);
  });
  // One current assignee per record.
  await knex.raw('CREATE UNIQUE INDEX assignments_one_current ON assignments (submission_id) WHERE ended_at IS NULL');

  await knex.schema.createTable('reviews', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().unique().references('id').inTable('submissions');
    t.string('status', 16).notNullable().checkIn(['draft', 'submitted', 'returned', 'confirmed']);
    t.integer('review_score').nullable();
    t.integer('quality_score').nullable();
    t.text('comment').nullable();
    // Indicator reviews and the seven dimensions, as JSON.
    t.text('details').notNullable();
    t.text('return_reason').nullable();
    t.integer('version').notNullable();
    t.integer('updated_by').notNullable().references('id').inTable('users');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['round_id', 'status']);
  });

  await knex.schema.createTable('review_versions', (t) => {
    t.increments('id').primary();
    t.integer('review_id').notNullable().references('id').inTable('reviews');
    t.integer('version').notNullable();
    t.string('action', 16).notNullable();
    t.string('status', 16).notNullable();
    t.text('snapshot').notNullable();
    t.text('reason').nullable();
    t.integer('changed_by').notNullable().references('id').inTable('users');
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.unique(['review_id', 'version']);
  });

  for (const table of ['review_versions']) {
    if (knex.client.dialect === 'postgresql') {
      await knex.raw(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION fuhe_append_only()`,
      );
    } else {
      await knex.raw(
        `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      );
      await knex.raw(
        `CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      );
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['review_versions', 'reviews', 'assignments']) await knex.schema.dropTableIfExists(table);
}
