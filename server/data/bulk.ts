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
 * Each batch goes in as one JSON text that the database takes apart (SQLite: `json_each` on the
 * driver's own thread; PostgreSQL: `json_populate_recordset`), so binding 1.7 million values
 * one by one does not hold up the JavaScript thread.
 */
export async function openInserter(trx: Knex.Transaction, table: string, columns: string[]): Promise<Inserter> {
  const connection: unknown = await trx.client.acquireConnection();
  const pending: Array<Promise<unknown>> = [];

  if (engineOf(trx) === 'postgres') {
    const pg = connection as PgConnection;
    // A batch is one JSON parameter, turned into rows of the table's own types by the server.
    const sql = `insert into ${table} (${columns.join(',')}) select ${columns.join(',')} from json_populate_recordset(null::${table}, $1)`;
    // One query at a time on the connection, chained: the server works while the caller reads on.
    let chain: Promise<unknown> = Promise.resolve();
    return {
      add(rows) {
        if (rows.length === 0) return;
        const json = JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))));
        chain = chain.then(() => pg.query(sql, [json]));
        chain.catch(() => undefined);
      },
      async finish() {
        await chain;
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
