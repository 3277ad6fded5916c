import { engineOf, Queryable } from './database';

/**
 * The few places where SQLite and PostgreSQL need different SQL, kept here (and in bulk.ts for
 * bulk inserts) so that repositories stay engine-neutral.
 */

/**
 * Takes the write lock for a row before a transaction reads anything. PostgreSQL: SELECT … FOR
 * UPDATE. SQLite has one writer, but a transaction that reads first and writes later cannot wait
 * for the lock (another process on the same file gets SQLITE_BUSY at once): a no-op write as the
 * first statement takes the lock up front, waiting for it under busy_timeout.
 */
export async function lockForWrite(trx: Queryable, table: string, id: number): Promise<void> {
  if (engineOf(trx) === 'postgres') await trx(table).where('id', id).forUpdate().first('id');
  else await trx(table).where('id', id).update({ id: trx.ref('id') });
}
