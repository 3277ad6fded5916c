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
