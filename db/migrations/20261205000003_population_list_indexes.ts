import { Knex } from 'knex';

/**
 * The population list filters, searches, sorts and counts in SQL: an index for each way it is
 * narrowed or ordered, within a round, with the code as the tie-break.
 */

const INDEXES: Array<[string, string[]]> = [
  ['submissions_round_kind', ['round_id', 'kind', 'code']],
  ['submissions_round_department', ['round_id', 'department', 'code']],
  ['submissions_round_budget', ['round_id', 'budget_fen', 'code']],
  ['submissions_round_score', ['round_id', 'self_score', 'code']],
  ['submissions_round_rate', ['round_id', 'execution_rate_bp', 'code']],
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('submissions', (t) => {
    for (const [name, columns] of INDEXES) t.index(columns, name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('submissions', (t) => {
    for (const [name, columns] of INDEXES) t.dropIndex(columns, name);
  });
}
