import { Knex } from 'knex';

/**
 * The role of a budget unit's contact (预算单位联系人, `unit`): the users table's role check
 * gains it. PostgreSQL replaces the constraint. SQLite cannot alter a CHECK constraint, so the
 * table is rebuilt as SQLite's documentation prescribes (ALTER TABLE, "making other kinds of
 * table schema changes"): foreign keys off outside the transaction, the new table created,
 * filled, swapped in under the old name, the foreign keys checked, then on again. Other tables'
 * references to `users` are by name and so hold for the new table.
 */

const BEFORE = ['admin', 'lead', 'reviewer', 'evaluator', 'official'];
const AFTER = [...BEFORE, 'unit'];

// SQLite's foreign_keys pragma is ignored inside a transaction, so this migration manages its own.
export const config = { transaction: false };

const listOf = (roles: string[]) => roles.map((r) => `'${r}'`).join(',');

async function setRoles(knex: Knex, from: string[], to: string[]): Promise<void> {
  if (knex.client.dialect === 'postgresql') {
    await knex.transaction(async (trx) => {
      await trx.raw('ALTER TABLE users DROP CONSTRAINT users_role_check');
      await trx.raw(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN (${listOf(to)}))`);
    });
    return;
  }
  const [table] = (await knex.raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")) as Array<{
    sql: string;
  }>;
  const check = `in (${listOf(from)})`;
  if (!table.sql.includes(check)) throw new Error(`users.role check is not ${check}: ${table.sql}`);
  const createNew = table.sql
    .replace(check, `in (${listOf(to)})`)
    .replace(/^CREATE TABLE [`"]?users[`"]?/, 'CREATE TABLE `users_new`');
  await knex.raw('PRAGMA foreign_keys = OFF');
  try {
    await knex.transaction(async (trx) => {
      await trx.raw(createNew);
      await trx.raw('INSERT INTO users_new SELECT * FROM users');
      await trx.raw('DROP TABLE users');
      await trx.raw('ALTER TABLE users_new RENAME TO users');
      await trx.raw('CREATE UNIQUE INDEX `users_username_unique` on `users` (`username`)');
      const broken = (await trx.raw('PRAGMA foreign_key_check')) as unknown[];
      if (broken.length) throw new Error(`foreign keys broken by the users rebuild: ${JSON.stringify(broken)}`);
    });
  } finally {
    await knex.raw('PRAGMA foreign_keys = ON');
  }
}

export async function up(knex: Knex): Promise<void> {
  await setRoles(knex, BEFORE, AFTER);
}

export async function down(knex: Knex): Promise<void> {
  await setRoles(knex, AFTER, BEFORE);
}
