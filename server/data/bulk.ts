import { Knex } from 'knex';
import { engineOf } from './database';

type Value = string | number | boolean | null;

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

/**
 * Inserts many rows inside a transaction, straight through the driver: a multi-row statement
 * prepared once and run per chunk. Building 100,000 rows through knex's query builder or its
 * raw-binding formatter costs more time than the database takes to store them. Parameters per
 * statement stay under SQLite's limit (32,766) and PostgreSQL's (65,535).
 */
export async function insertRows(trx: Knex.Transaction, table: string, columns: string[], rows: Value[][]): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.floor(30000 / columns.length);
  const connection: unknown = await trx.client.acquireConnection();
  const head = `insert into ${table} (${columns.join(',')}) values `;

  if (engineOf(trx) === 'postgres') {
    const pg = connection as PgConnection;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: Value[] = [];
      const tuples = chunk.map((row) => `(${row.map((v) => (values.push(v), `$${values.length}`)).join(',')})`);
      await pg.query(head + tuples.join(','), values);
    }
    return;
  }

  const sqlite = connection as SqliteConnection;
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const prepare = (count: number) =>
    new Promise<SqliteStatement>((resolve, reject) => {
      const statement = sqlite.prepare(head + Array.from({ length: count }, () => tuple).join(','), (err) => (err ? reject(err) : resolve(statement)));
    });
  const run = (statement: SqliteStatement, params: Value[]) => new Promise<void>((resolve, reject) => statement.run(params, (err) => (err ? reject(err) : resolve())));
  const finalize = (statement: SqliteStatement) => new Promise<void>((resolve) => statement.finalize(() => resolve()));

  let full: SqliteStatement | undefined;
  try {
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const params: Value[] = [];
      for (const row of chunk) for (const value of row) params.push(value);
      if (chunk.length === perStatement) {
        full ??= await prepare(perStatement);
        await run(full, params);
      } else {
        const last = await prepare(chunk.length);
        try {
          await run(last, params);
        } finally {
          await finalize(last);
        }
      }
    }
  } finally {
    if (full) await finalize(full);
  }
}
