import { Knex } from 'knex';

/**
 * Why an assignment ended when it was not the lead reassigning it: an evaluator's organisation
 * declared a conflict of interest with the item's unit or department, which ends the assignment
 * (kept, with this reason, for the lead to reassign the item).
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('assignments', (t) => {
    t.text('end_reason').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('assignments', (t) => {
    t.dropColumn('end_reason');
  });
}
