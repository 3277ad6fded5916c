import { engineOf, Queryable } from '../data/database';
import { countOf, insertedId } from '../data/values';

/**
 * Password guesses, counted per account and per address; kept in the database so that every
 * instance sees them. A guess is recorded before its password is checked and deleted again when
 * it was right, so a row is a failure or a check still in progress.
 */

/**
 * Serialises the guesses' count-and-record: on PostgreSQL a lock on the table that only one
 * transaction holds at a time; SQLite's transactions already begin with the write lock.
 */
export async function lockGuesses(trx: Queryable): Promise<void> {
  if (engineOf(trx) === 'postgres') await trx.raw('lock table login_failures in share row exclusive mode');
}

export async function recordGuess(db: Queryable, account: string | null, address: string, at: Date): Promise<number> {
  return insertedId(
    await db('login_failures')
      .insert({ account: account?.slice(0, 64) ?? null, address: address.slice(0, 64), at })
      .returning('id'),
  );
}

export async function forgetGuess(db: Queryable, id: number): Promise<void> {
  await db('login_failures').where({ id }).del();
}

export async function countGuessesForAccount(db: Queryable, account: string, since: Date): Promise<number> {
  return countOf(
    (await db('login_failures').count({ n: '*' }).where({ account }).where('at', '>=', since).first()) as {
      n: unknown;
    },
  );
}

export async function countGuessesForAddress(db: Queryable, address: string, since: Date): Promise<number> {
  return countOf(
    (await db('login_failures')
      .count({ n: '*' })
      .where({ address: address.slice(0, 64) })
      .where('at', '>=', since)
      .first()) as { n: unknown },
  );
}

export async function clearGuessesForAccount(db: Queryable, account: string): Promise<void> {
  await db('login_failures').where({ account }).del();
}

/** Guesses older than the window no longer count; dropping them keeps the table small. */
export async function pruneGuesses(db: Queryable, before: Date): Promise<void> {
  await db('login_failures').where('at', '<', before).del();
}
