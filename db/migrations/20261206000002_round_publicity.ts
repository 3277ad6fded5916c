import { Knex } from 'knex';

/**
 * What every announcement of a round tells the public about objecting to it: how many working
 * days its 公示期 lasts (5 unless the bureau says otherwise) and whom to contact (异议).
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.integer('publicity_days').notNullable().defaultTo(5);
    t.string('objection_contact', 300).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.dropColumn('objection_contact');
    t.dropColumn('publicity_days');
  });
}
