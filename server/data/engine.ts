import { Knex } from 'knex';
import { engineOf, Queryable } from './database';

/**
 * The few places where SQLite and PostgreSQL need different SQL, kept here (and in bulk.ts for
 * bulk inserts) so that repositories stay engine-neutral.
 */

/** The class of fuhe's advisory locks on rounds (the letters "fuhe"), beside the round's id. */
const ROUND_LOCK_CLASS = 0x66756865;

/**
 * A round's lock until the transaction ends, shared among writes on its items or held alone by a
 * step on the whole round (see the note in rounds/repository.ts). PostgreSQL's advisory locks
 * queue fairly: a shared request waits behind one asked alone before it. SQLite: nothing, its
 * write transactions hold the whole file.
 */
export async function roundLock(trx: Queryable, roundId: number, mode: 'shared' | 'alone'): Promise<void> {
  if (engineOf(trx) !== 'postgres') return;
  const lock = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await trx.raw(`select ${lock}(?::integer, ?::integer)`, [ROUND_LOCK_CLASS, roundId]);
}

/** A number inside a JSON text column, read in the SQL (`as` the given name). Keys are plain names. */
export function jsonNumber(q: Queryable, column: string, key: string, as: string): Knex.Raw {
  if (!/^[A-Za-z]\w*$/.test(key) || !/^[a-z_]+$/.test(as)) throw new Error(`not a plain key: ${key}`);
  return engineOf(q) === 'postgres'
    ? q.raw(`(??::json ->> '${key}')::integer as ${as}`, [column])
    : q.raw(`json_extract(??, '$.${key}') as ${as}`, [column]);
}

/**
 * Rows where any of `columns` contains `needle`, ignoring case (as Kutt's compatibleILIKE):
 * PostgreSQL's `ilike`; SQLite's `like`, which ignores case for ASCII letters (Chinese has none),
 * so that it can be answered from an index that holds the columns. `%`, `_` and `\` in the
 * needle are matched as themselves.
 */
export function whereContains<Q extends Knex.QueryBuilder>(query: Q, q: Queryable, columns: string[], needle: string): Q {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const test = engineOf(q) === 'postgres' ? "?? ilike ? escape '\\'" : "?? like ? escape '\\'";
  return query.where((inner) => {
    for (const column of columns) inner.orWhereRaw(test, [column, pattern]);
  }) as Q;
}
