import { Knex } from 'knex';

/**
 * Whether the round's reviewers checked on site (实地核查) as well as the submitted materials: the
 * announcement says "依据上报资料和实地核查" only when they did.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.boolean('onsite_checks').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => t.dropColumn('onsite_checks'));
}
