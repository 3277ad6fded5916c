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

/**
 * Instants are bound as ISO-8601 UTC text on both engines. The drivers recognise a Date only if
 * it comes from their own realm (node-sqlite3 binds any other object as "[object Object]"), so
 * the conversion happens once here, for every query, rather than in each repository.
 */
function bindable(value: unknown): unknown {
  return Object.prototype.toString.call(value) === '[object Date]' ? (value as Date).toISOString() : value;
}

type ClientClass = new (config: Knex.Config) => Knex.Client;
function withIsoDates(base: ClientClass): ClientClass {
  return class extends base {
    override prepBindings(bindings: unknown[]): unknown[] {
      return super.prepBindings(Array.isArray(bindings) ? bindings.map(bindable) : bindings);
    }
  } as ClientClass;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const SqliteClient = withIsoDates(require('knex/lib/dialects/sqlite3') as ClientClass);
const PostgresClient = withIsoDates(require('knex/lib/dialects/postgres') as ClientClass);
/* eslint-enable @typescript-eslint/no-require-imports */

interface SqliteConnection {
  run(sql: string, callback: (err: Error | null) => void): void;
}

export function createDatabase(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Database {
  if (config.databaseUrl) {
    return knex({
      client: PostgresClient as unknown as typeof Knex.Client,
      connection: config.databaseUrl,
      pool: { min: 0, max: 10 },
    });
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return knex({
    client: SqliteClient as unknown as typeof Knex.Client,
    connection: { filename: sqliteFile(config) },
    useNullAsDefault: true,
    pool: {
      // One connection: SQLite serialises writers anyway, and this keeps transactions simple.
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
        const pragmas = [
          'PRAGMA foreign_keys = ON',
          'PRAGMA journal_mode = WAL',
          'PRAGMA busy_timeout = 10000',
          'PRAGMA synchronous = NORMAL',
          // 64 MB of page cache (the default is 2 MB): a 100,000-row import touches every index.
          'PRAGMA cache_size = -65536',
        ];
        const next = (i: number): void => {
          if (i === pragmas.length) return done(null, conn);
          conn.run(pragmas[i], (err) => (err ? done(err, conn) : next(i + 1)));
        };
        next(0);
      },
    },
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
