import { Knex } from 'knex';

/**
 * Why some codes were mandatory in a draw beyond those typed in: "上年整改未销号的单位必抽" puts
 * the records of units with an unaccepted rectification from an earlier year among the
 * mandatory codes, and says so here (the codes themselves are published with the draw).
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('draws', (t) => {
    t.text('mandatory_note').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('draws', (t) => t.dropColumn('mandatory_note'));
}
