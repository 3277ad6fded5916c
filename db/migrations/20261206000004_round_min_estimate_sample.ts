import { Knex } from 'knex';

/**
 * Below how many randomly drawn items of a kind the announcement leaves out its estimate of
 * inflated self-evaluations (the interval would be too wide to tell the public anything): 10
 * unless the bureau sets otherwise.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.integer('min_estimate_sample').notNullable().defaultTo(10);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => t.dropColumn('min_estimate_sample'));
}
