import crypto from 'node:crypto';
import knex, { Knex } from 'knex';

/**
 * PostgreSQL for the tests: FUHE_TEST_PG_URL names a role that may create databases. A golden
 * database is migrated once; each test file gets its own database copied from it
 * (CREATE DATABASE … TEMPLATE), dropped when the file is done.
 */

export function pgAdmin(url = process.env.FUHE_TEST_PG_URL!): Knex {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
}

/** The same server and credentials, another database. */
export function pgUrlFor(database: string, url = process.env.FUHE_TEST_PG_URL!): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createDatabaseFrom(template: string | null): Promise<string> {
  const name = `fuhe_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = pgAdmin();
  try {
    await admin.raw(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.destroy();
  }
  return name;
}

/**
 * Drops a test database, ending the connections left to it (a server killed by a test). FORCE
 * may not end an autovacuum worker that happens to be in the database (PostgreSQL 15 asks for
 * pg_signal_backend): a plain DROP stops autovacuum itself, so that is tried next, a few times.
 */
export async function dropDatabase(name: string): Promise<void> {
  const admin = pgAdmin();
  try {
    try {
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42501') throw err;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await admin.raw(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (err) {
        if (attempt === 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await admin.destroy();
  }
}
