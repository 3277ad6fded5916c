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

export async function dropDatabase(name: string): Promise<void> {
  const admin = pgAdmin();
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.destroy();
  }
}
