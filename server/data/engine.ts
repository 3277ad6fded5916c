import { Knex } from 'knex';
import { engineOf, Queryable } from './database';

/**
 * The few places where SQLite and PostgreSQL need different SQL, kept here (and in bulk.ts for
 * bulk inserts) so that repositories stay engine-neutral.
 */

/**
 * Takes the write lock for a row before a transaction reads anything. PostgreSQL: SELECT … FOR
 * UPDATE. SQLite has one writer, and its transactions begin IMMEDIATE (data/database.ts), which
 * has taken the lock for the whole file already.
 */
export async function lockForWrite(trx: Queryable, table: string, id: number): Promise<void> {
  if (engineOf(trx) === 'postgres') await trx(table).where('id', id).forUpdate().first('id');
}

/**
 * A state (`'active'`) written into the SQL rather than bound, for the columns a partial index
 * is defined by (draws.status): SQLite plans a statement again at every run when a bound value
 * meets such a column, since the value decides whether the index applies. Looking up a round's
 * active draw took 12.6 µs bound and 4.6 µs written in. Only plain lower-case words qualify.
 */
export function whereState<Q extends Knex.QueryBuilder>(query: Q, column: string, state: string): Q {
  if (!/^[a-z]+$/.test(state)) throw new Error(`not a state: ${state}`);
  return query.whereRaw(`?? = '${state}'`, [column]) as Q;
}

/**
 * A number inside a JSON text column, read in the SQL (`as` the given name) so that a list
 * need not fetch and parse the whole document. Keys are plain names.
 */
export function jsonNumber(q: Queryable, column: string, key: string, as: string): Knex.Raw {
  if (!/^[A-Za-z]\w*$/.test(key) || !/^[a-z_]+$/.test(as)) throw new Error(`not a plain key: ${key}`);
  return engineOf(q) === 'postgres'
    ? q.raw(`(??::json ->> '${key}')::integer as ${as}`, [column])
    : q.raw(`json_extract(??, '$.${key}') as ${as}`, [column]);
}
