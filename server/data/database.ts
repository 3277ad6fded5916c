import fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import knex, { Knex } from 'knex';
import { Config, sqliteFile } from '../config';
import { migrationSource } from '../../db/migrations';
import { Checkpointer, startCheckpointer } from './checkpointer';

export type Database = Knex;
/** A transaction or the database itself: every repository function takes one of these. */
export type Queryable = Knex | Knex.Transaction;
export type Engine = 'sqlite' | 'postgres';

export function engineOf(db: Queryable): Engine {
  return db.client.dialect === 'postgresql' ? 'postgres' : 'sqlite';
}

/**
 * Instants are bound as ISO-8601 UTC text on both engines. The drivers recognise a Date only if
 * it comes from their own realm (and better-sqlite3 would bind one as milliseconds), so the
 * conversion happens once here, for every query, rather than in each repository.
 */
export function bindable(value: unknown): unknown {
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
const BetterSqliteClient = withIsoDates(require('knex/lib/dialects/better-sqlite3') as ClientClass);
const PostgresClient = withIsoDates(require('knex/lib/dialects/postgres') as ClientClass);
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * SQLite through better-sqlite3: a statement runs on the JavaScript thread in microseconds,
 * where node-sqlite3 sent every prepare, step and finalize through the libuv thread pool and
 * a review save's dozen statements cost 3 ms of waiting. Prepared statements are kept per
 * connection (knex prepares each query anew), up to a bound, since the app's queries repeat.
 */
const STATEMENT_CACHE = 500;
function cachedPrepare(connection: BetterSqlite3.Database): void {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = connection.prepare.bind(connection);
  connection.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof connection.prepare;
}
/**
 * better-sqlite3's SqliteError is made without Error's constructor, so it is not an error by
 * `Object.prototype.toString` (which test runners and some loggers go by), and under jest it
 * comes from another realm: it is rethrown as a plain Error with the same message and code.
 */
function genuineError(err: unknown): unknown {
  // Not `instanceof`: the native module keeps the SqliteError class of the realm that loaded it first.
  if (Object.prototype.toString.call(err) === '[object Error]' || typeof (err as { message?: unknown })?.message !== 'string') return err;
  const { message, code } = err as { message: string; code?: string };
  return Object.assign(new Error(message, { cause: err }), { code });
}
type BetterSqliteInternals = {
  acquireRawConnection(): Promise<BetterSqlite3.Database>;
  _query(connection: unknown, obj: unknown): Promise<unknown>;
  destroy(callback?: unknown): Promise<void>;
};
const betterSqlite = BetterSqliteClient.prototype as unknown as BetterSqliteInternals;

/**
 * Every transaction on SQLite begins IMMEDIATE: it takes the write lock at once (waiting for it
 * as below), so that a transaction that reads first and writes later never fails with
 * SQLITE_BUSY when another process on the same file wrote in between.
 */
type TransactionClass = new (...args: unknown[]) => { query(conn: unknown, sql: string): Promise<unknown> };
const SqliteTransactionBase = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as TransactionClass; // eslint-disable-line @typescript-eslint/no-require-imports
class ImmediateTransaction extends SqliteTransactionBase {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

/**
 * A row count is written into the SQL rather than bound: SQLite runs `LIMIT ?` markedly slower
 * than `LIMIT 1` (a primary-key lookup with `.first()` took 7.5 µs against 3.9 µs), and the
 * builder's limit is always an integer (it parses it). Offsets stay bound.
 */
type CompilerClass = new (...args: unknown[]) => { single: { limit?: unknown }; limit(): string };
const SqliteQueryCompilerBase = require('knex/lib/dialects/sqlite3/query/sqlite-querycompiler') as CompilerClass; // eslint-disable-line @typescript-eslint/no-require-imports
class SqliteQueryCompiler extends SqliteQueryCompilerBase {
  override limit(): string {
    const { limit } = this.single;
    return Number.isSafeInteger(limit) ? `limit ${limit as number}` : super.limit();
  }
}

/** The one SQLite connection of each database, by its config (which its transactions share). */
const connections = new WeakMap<object, BetterSqlite3.Database>();

/**
 * The SQLite connection when a statement may run on it at once (data/prepared.ts): inside a
 * transaction when `q` is that transaction, which holds the connection; outside any only while
 * no transaction is open on it, since one begun by another request must finish first (knex's
 * pool of one connection keeps that order for every other query).
 */
export function sqliteConnectionOf(q: Queryable): BetterSqlite3.Database | undefined {
  const connection = connections.get(q.client.config);
  if (!connection?.open) return undefined;
  if ((q as Knex.Transaction).isTransaction) return (q as Knex.Transaction).isCompleted() ? undefined : connection;
  return connection.inTransaction ? undefined : connection;
}

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
const BUSY_WAIT_MS = 10_000;
/**
 * Another worker's write (server/main.ts) holds the lock for well under a millisecond, less than
 * the shortest timer: for this long the lock is tried again every 50 µs, at a turn of the event
 * loop after a pause that blocks (Atomics.wait) rather than spins.
 */
const QUICK_RETRIES_MS = 2;
const QUICK_PAUSE_MS = 0.05;
const PAUSE_CELL = new Int32Array(new SharedArrayBuffer(4));

const SqliteClient = class extends BetterSqliteClient {
  private checkpointer: Checkpointer | undefined;

  override queryCompiler(...args: unknown[]): never {
    return new SqliteQueryCompiler(this, ...args) as never;
  }

  override transaction(...args: unknown[]): never {
    return new ImmediateTransaction(this, ...args) as never;
  }

  override async acquireRawConnection(): Promise<unknown> {
    const connection = await betterSqlite.acquireRawConnection.call(this);
    cachedPrepare(connection);
    // While connecting, SQLite may wait for another process (switching to WAL takes a lock).
    connection.pragma('busy_timeout = 10000');
    connection.pragma('foreign_keys = ON');
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = NORMAL');
    // 64 MB of page cache (the default is 2 MB): a 100,000-row import touches every index.
    connection.pragma('cache_size = -65536');
    if ((this.config as { backgroundCheckpoints?: boolean }).backgroundCheckpoints) {
      connection.pragma('wal_autocheckpoint = 0');
      this.checkpointer ??= startCheckpointer(connection.name);
    }
    // From then on no waiting inside SQLite: the driver is synchronous, so SQLite's own wait
    // for another process's write lock would stop this process's every request. `_query` waits.
    connection.pragma('busy_timeout = 0');
    connections.set(this.config, connection);
    return connection;
  }

  override async destroy(callback?: unknown): Promise<void> {
    connections.delete(this.config);
    await betterSqlite.destroy.call(this, callback);
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
  }

  /**
   * A statement that finds the file locked by another process (another instance, a backup)
   * is tried again after a pause, 1 ms at first and doubling up to 50 ms, for up to 10 s in all:
   * meanwhile the event loop runs (timers, sockets, signals), where SQLite's own busy wait would
   * hold the thread. Inside a transaction the lock is already held (IMMEDIATE), so only a
   * transaction's BEGIN and statements outside one ever wait.
   */
  async _query(connection: unknown, obj: unknown): Promise<unknown> {
    const started = performance.now();
    for (let pause = 1; ; ) {
      try {
        return await betterSqlite._query.call(this, connection, obj);
      } catch (err) {
        const busy = String((err as { code?: unknown })?.code ?? '').startsWith('SQLITE_BUSY');
        const waiting = busy && !(connection as BetterSqlite3.Database).inTransaction && performance.now() - started < BUSY_WAIT_MS;
        if (!waiting) throw genuineError(err);
      }
      if (performance.now() - started < QUICK_RETRIES_MS) {
        // A pause shorter than any timer, so that waiting does not spin: the other process
        // needs the CPU to finish its write.
        Atomics.wait(PAUSE_CELL, 0, 0, QUICK_PAUSE_MS);
        await new Promise(setImmediate);
      } else {
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 50);
      }
    }
  }
} as ClientClass;

export interface DatabaseOptions {
  /**
   * SQLite only: WAL checkpoints on a thread of their own (data/checkpointer.ts) instead of in
   * the commits of requests. For the long-running server; short-lived commands leave it off.
   */
  backgroundCheckpoints?: boolean;
}

export function createDatabase(config: Pick<Config, 'dataDir' | 'databaseUrl'>, options: DatabaseOptions = {}): Database {
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
    // One connection: SQLite serialises writers anyway, and this keeps transactions simple.
    pool: { min: 1, max: 1 },
    backgroundCheckpoints: options.backgroundCheckpoints === true,
  } as Knex.Config);
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
