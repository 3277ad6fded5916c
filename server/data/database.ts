import fs from 'node:fs';
import knex, { Knex } from 'knex';
import { Config, sqliteFile } from '../config';
import { migrationSource } from '../../db/migrations';

export type Database = Knex;
/** A transaction or the database itself: every repository function takes one of these. */
export type Queryable = Knex | Knex.Transaction;
export type Engine = 'sqlite' | 'postgres';

export function engineOf(db: Queryable): Engine {
  return db.client.dialect === 'postgresql' ? 'postgres' : 'sqlite';
}

/** How long SQLite waits for another process's write lock (on the driver's thread) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

type Callback = (err: Error | null) => void;
interface SqliteConnection {
  run(sql: string, ...args: unknown[]): unknown;
  all(sql: string, ...args: unknown[]): unknown;
}
const run = (connection: SqliteConnection, sql: string) =>
  new Promise<void>((resolve, reject) => connection.run(sql, ((err) => (err ? reject(err) : resolve())) as Callback));

/** A Date (from any realm: jest runs tests in their own) as ISO-8601 UTC text; any other value as it is. */
const asText = (value: unknown) => (Object.prototype.toString.call(value) === '[object Date]' ? (value as Date).toISOString() : value);

/**
 * Instants are stored as ISO-8601 UTC text on SQLite, as they always have been: the driver would
 * bind a Date as a number of milliseconds, which neither compares nor sorts with the text already
 * stored. knex runs every statement through the connection's `all` or `run`.
 */
function bindInstantsAsText(connection: SqliteConnection): void {
  for (const method of ['all', 'run'] as const) {
    const original = connection[method];
    connection[method] = function (this: SqliteConnection, sql: string, bindings?: unknown, ...rest: unknown[]) {
      return original.call(this, sql, Array.isArray(bindings) ? bindings.map(asText) : bindings, ...rest);
    };
  }
}

/**
 * PostgreSQL from `DATABASE_URL`, or SQLite in the data directory through knex's `sqlite3` client.
 * SQLite has one connection: it has one writer anyway, and transactions stay simple. Its
 * connection turns on foreign keys, WAL (readers never wait for the writer, and SQLite folds the
 * log back into the file by itself) and a busy timeout, for another process (a second instance,
 * the command line, a backup) holding the write lock.
 */
export function createDatabase(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Database {
  if (config.databaseUrl) {
    return knex({ client: 'pg', connection: config.databaseUrl, pool: { min: 0, max: 10 } });
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return knex({
    client: 'sqlite3',
    connection: { filename: sqliteFile(config) },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteConnection, done: (err: Error | null, connection: unknown) => void) {
        bindInstantsAsText(connection);
        run(connection, `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
          .then(() => run(connection, 'PRAGMA foreign_keys = ON'))
          .then(() => run(connection, 'PRAGMA journal_mode = WAL'))
          .then(() => run(connection, 'PRAGMA synchronous = NORMAL'))
          .then(() => done(null, connection), (err: Error) => done(err, connection));
      },
    },
  });
}

/**
 * A transaction that writes. On SQLite it holds the write lock from its start (BEGIN IMMEDIATE),
 * so that one that reads first and writes later never fails with SQLITE_BUSY because another
 * process wrote in between; waiting for the lock is the busy timeout's, on the driver's thread.
 * knex begins SQLite transactions deferred, which takes no lock yet: that one is ended at once
 * and an immediate one begun in its place, which knex's own COMMIT or ROLLBACK then ends.
 */
export function writeTransaction<T>(db: Database, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    if (engineOf(trx) === 'sqlite') {
      await trx.raw('ROLLBACK');
      try {
        await trx.raw('BEGIN IMMEDIATE');
      } catch (err) {
        // Busy past the timeout: an open transaction again, for knex's ROLLBACK to end.
        await trx.raw('BEGIN');
        throw err;
      }
    }
    return work(trx);
  });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Migrations recorded in the database that this code does not know: the database is newer. */
  unknown: string[];
}

export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const hasTable = await db.schema.hasTable('knex_migrations');
  const applied = hasTable
    ? ((await db('knex_migrations').select('name').orderBy('id')) as Array<{ name: string }>).map((r) => r.name)
    : [];
  const known = (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));
  const appliedSet = new Set(applied);
  const knownSet = new Set(known);
  return {
    applied,
    pending: known.filter((name) => !appliedSet.has(name)),
    unknown: applied.filter((name) => !knownSet.has(name)),
  };
}

/** Applies pending migrations; refuses a database that was migrated by newer code. */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const status = await migrationStatus(db);
  if (status.unknown.length > 0) {
    throw new Error(
      `The database has migrations this version of fuhe does not know (${status.unknown.join(', ')}): ` +
        'it was upgraded by a newer version. Run that version, or restore a backup.',
    );
  }
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
