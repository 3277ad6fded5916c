import { Knex } from 'knex';

/**
 * The population list filters, searches, sorts and counts in SQL, within a round. Two indexes
 * earn their keep: the department filter (the list a bureau reads most, one department at a
 * time) and the search, which reads code, name and unit from the index alone without the rest of
 * each row. Sorting by budget, score or rate and filtering by kind scan the round's rows (about
 * 30 ms at 100,000 records, measured): an index for each would triple what an import of that many
 * records costs, for pages that are already quick enough.
 */

const INDEXES: Array<[string, string[]]> = [
  ['submissions_round_department', ['round_id', 'department', 'code']],
  ['submissions_round_search', ['round_id', 'code', 'name', 'unit']],
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
