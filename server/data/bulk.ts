import { Knex } from 'knex';
import { engineOf } from './database';

export type Value = string | number | boolean | null;

/**
 * Rows per statement on SQLite: well under its 32,766 parameters at 17 columns; 200 rows a
 * statement imported 100,000 records faster than 1,000 (measured, the parameter binding of one
 * very long statement costs more than the statements saved).
 */
const SQLITE_ROWS_PER_STATEMENT = 200;
/** Rows per statement on PostgreSQL, each batch one JSON parameter. */
const POSTGRES_ROWS_PER_STATEMENT = 5000;

/**
 * Inserts many rows (a population of 100,000 records) inside a transaction, as multi-row
 * statements rather than one builder call per row, which costs more than the database itself.
 * SQLite takes `insert … values (…), (…), …`; PostgreSQL one JSON text per batch that the server
 * takes apart into rows of the table's own types (`json_populate_recordset`).
 */
export async function insertRows(trx: Knex.Transaction, table: string, columns: string[], rows: Value[][]): Promise<void> {
  if (engineOf(trx) === 'postgres') {
    const sql = `insert into ${table} (${columns.join(',')}) select ${columns.join(',')} from json_populate_recordset(null::${table}, ?)`;
    for (let start = 0; start < rows.length; start += POSTGRES_ROWS_PER_STATEMENT) {
      const batch = rows.slice(start, start + POSTGRES_ROWS_PER_STATEMENT).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
      await trx.raw(sql, [JSON.stringify(batch)]);
    }
    return;
  }
  const placeholders = `(${columns.map(() => '?').join(',')})`;
  for (let start = 0; start < rows.length; start += SQLITE_ROWS_PER_STATEMENT) {
    const batch = rows.slice(start, start + SQLITE_ROWS_PER_STATEMENT);
    await trx.raw(`insert into ${table} (${columns.join(',')}) values ${batch.map(() => placeholders).join(',')}`, batch.flat());
  }
}
