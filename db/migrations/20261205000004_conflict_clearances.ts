import { Knex } from 'knex';

/**
 * An evaluator's explicit statement that they and their organisation have no conflict of
 * interest with the units of a round (无利益冲突声明): one per evaluator and round, kept as said.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conflict_clearances', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('organisation', 200).notNullable();
    t.timestamp('declared_at', { useTz: true }).notNullable();
    t.unique(['round_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('conflict_clearances');
}
