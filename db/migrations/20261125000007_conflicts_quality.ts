import { Knex } from 'knex';

/**
 * Conflict-of-interest declarations (财预〔2021〕6号: the evaluator must be separate from the
 * evaluated): per round, a third-party organisation names the departments or units it has
 * advised or belongs to, and is not assigned their items. Also the round's settings for the
 * quality rating (sub-score weights) and blind review.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conflict_declarations', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('organisation', 200).notNullable();
    t.string('scope', 16).notNullable().checkIn(['department', 'unit']);
    t.string('name', 200).notNullable();
    t.text('reason').notNullable();
    t.timestamp('declared_at', { useTz: true }).notNullable();
    t.integer('withdrawn_by').nullable().references('id').inTable('users');
    t.timestamp('withdrawn_at', { useTz: true }).nullable();
    t.index(['round_id', 'organisation']);
  });
  await knex.schema.alterTable('rounds', (t) => {
    // Weights of 及时性, 规范性 and 报告质量 in the quality score, in whole percent.
    t.integer('quality_weight_timeliness').notNullable().defaultTo(20);
    t.integer('quality_weight_normative').notNullable().defaultTo(40);
    t.integer('quality_weight_report').notNullable().defaultTo(40);
    t.boolean('blind_review').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.dropColumn('quality_weight_timeliness');
    t.dropColumn('quality_weight_normative');
    t.dropColumn('quality_weight_report');
    t.dropColumn('blind_review');
  });
  await knex.schema.dropTableIfExists('conflict_declarations');
}
