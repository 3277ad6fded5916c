import { Knex } from 'knex';

/**
 * A message for the next page a session shows ("已导入 41 条记录", or why an upload was refused):
 * set by the request that redirects and read once by the page it redirects to, so that what a
 * page announces comes from the server, never from its URL.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.text('flash').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('flash');
  });
}
