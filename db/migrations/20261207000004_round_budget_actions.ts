import { Knex } from 'knex';

/**
 * 结果应用: the budget action a round suggests for each review grade (优 优先保障, 良 正常安排,
 * 中 压减10%, 差 压减30%或不再安排 unless the lead sets others before publication), as JSON;
 * NULL is the defaults.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.text('budget_actions').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => t.dropColumn('budget_actions'));
}
