import { Knex } from 'knex';

/**
 * The units take part in the review: which units (or whole 主管部门) a unit contact covers, the
 * materials reviewers ask them for (材料补充) and their answers, the units' feedback on a
 * submitted review (意见反馈) and the review team's responses. Requests are made once and
 * answered by appending; feedback and responses are only ever added. Evidence a unit uploads is
 * marked as supplied by the unit; a round says how many working days units have for feedback.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_units', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users');
    // Exactly one of the two: a unit by its name in the population, or every unit of a department.
    t.string('unit_name', 200).nullable();
    t.string('department', 200).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['user_id']);
    t.index(['unit_name']);
    t.index(['department']);
  });

  await knex.schema.createTable('material_requests', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.text('text').notNullable();
    t.string('due_date', 10).notNullable();
    t.integer('requested_by').notNullable().references('id').inTable('users');
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.index(['submission_id']);
    t.index(['round_id']);
  });

  await knex.schema.createTable('material_answers', (t) => {
    t.increments('id').primary();
    t.integer('request_id').notNullable().references('id').inTable('material_requests');
    t.text('text').notNullable();
    // JSON array of the evidence ids the answer cites (files the unit uploaded to the item).
    t.text('evidence_ids').nullable();
    t.integer('answered_by').notNullable().references('id').inTable('users');
    t.timestamp('answered_at', { useTz: true }).notNullable();
    t.index(['request_id']);
  });

  await knex.schema.createTable('unit_feedback', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    // The review version the unit read when it answered.
    t.integer('review_version').notNullable();
    t.boolean('agree').notNullable();
    t.text('text').nullable();
    t.integer('given_by').notNullable().references('id').inTable('users');
    t.timestamp('given_at', { useTz: true }).notNullable();
    t.index(['submission_id']);
  });

  await knex.schema.createTable('feedback_responses', (t) => {
    t.increments('id').primary();
    t.integer('feedback_id').notNullable().references('id').inTable('unit_feedback');
    t.text('text').notNullable();
    t.integer('responded_by').notNullable().references('id').inTable('users');
    t.timestamp('responded_at', { useTz: true }).notNullable();
    t.index(['feedback_id']);
  });

  await knex.schema.alterTable('evidence', (t) => {
    t.boolean('supplied_by_unit').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('rounds', (t) => {
    t.integer('unit_feedback_days').notNullable().defaultTo(5);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => t.dropColumn('unit_feedback_days'));
  await knex.schema.alterTable('evidence', (t) => t.dropColumn('supplied_by_unit'));
  for (const table of ['feedback_responses', 'unit_feedback', 'material_answers', 'material_requests', 'user_units'])
    await knex.schema.dropTableIfExists(table);
}
