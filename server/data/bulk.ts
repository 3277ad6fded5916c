import { Knex } from 'knex';
import { engineOf } from './database';

export type Value = string | number | boolean | null;

interface SqliteStatement {
  run(params: Value[], callback: (err: Error | null) => void): void;
  finalize(callback: (err: Error | null) => void): void;
}
interface SqliteConnection {
  prepare(sql: string, callback: (err: Error | null) => void): SqliteStatement;
}
interface PgConnection {
  query(sql: string, values: Value[]): Promise<unknown>;
}

export interface Inserter {
  /**
   * Hands rows to the database and returns at once: the database stores them while the caller
   * goes on (reading the next rows of a file, say). Errors surface in `finish`.
   */
  add(rows: Value[][]): void;
  /** Waits until every row added is stored; throws the first error. */
  finish(): Promise<void>;
}

/**
 * Inserts many rows inside a transaction, straight through the driver rather than knex's query
 * builder, which costs more than the database for 100,000 rows.
 *
 * SQLite: each batch goes in as one JSON text and SQLite takes it apart (`json_each`) on its own
 * thread, so binding 1.7 million values does not hold up the JavaScript thread. PostgreSQL:
 * multi-row statements with numbered parameters (under its 65,535 limit), sent without waiting.
 */
export async function openInserter(trx: Knex.Transaction, table: string, columns: string[]): Promise<Inserter> {
  const connection: unknown = await trx.client.acquireConnection();
  const pending: Array<Promise<unknown>> = [];

  if (engineOf(trx) === 'postgres') {
    const pg = connection as PgConnection;
    const perStatement = Math.floor(30000 / columns.length);
    return {
      add(rows) {
        for (let start = 0; start < rows.length; start += perStatement) {
          const values: Value[] = [];
          const tuples = rows.slice(start, start + perStatement).map((row) => `(${row.map((v) => (values.push(v), `$${values.length}`)).join(',')})`);
          const query = pg.query(`insert into ${table} (${columns.join(',')}) values ${tuples.join(',')}`, values);
          query.catch(() => undefined);
          pending.push(query);
        }
      },
      async finish() {
        await Promise.all(pending);
      },
    };
  }

  const sqlite = connection as SqliteConnection;
  const sql = `insert into ${table} (${columns.join(',')}) select ${columns.map((_, i) => `value->>${i}`).join(',')} from json_each(?)`;
  const statement = await new Promise<SqliteStatement>((resolve, reject) => {
    const prepared = sqlite.prepare(sql, (err) => (err ? reject(err) : resolve(prepared)));
  });
  return {
    add(rows) {
      if (rows.length === 0) return;
      const json = JSON.stringify(rows);
      // node-sqlite3 queues runs of a busy statement, so batches are stored in order.
      pending.push(new Promise<void>((resolve, reject) => statement.run([json], (err) => (err ? reject(err) : resolve()))));
      pending[pending.length - 1].catch(() => undefined);
    },
    async finish() {
      try {
        await Promise.all(pending);
      } finally {
        await new Promise<void>((resolve) => statement.finalize(() => resolve()));
      }
    },
  };
}

/** All the rows at once. */
export async function insertRows(trx: Knex.Transaction, table: string, columns: string[], rows: Value[][]): Promise<void> {
  if (rows.length === 0) return;
  const inserter = await openInserter(trx, table, columns);
  for (let start = 0; start < rows.length; start += 5000) inserter.add(rows.slice(start, start + 5000));
  await inserter.finish();
}
