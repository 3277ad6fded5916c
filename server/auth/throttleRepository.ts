import { Queryable } from '../data/database';
import { countOf } from '../data/values';

/** Failed logins, counted per account and per address; kept in the database so that every instance sees them. */

export async function recordLoginFailure(db: Queryable, account: string | null, address: string, at: Date): Promise<void> {
  await db('login_failures').insert({ account: account?.slice(0, 64) ?? null, address: address.slice(0, 64), at });
}

export async function countFailuresForAccount(db: Queryable, account: string, since: Date): Promise<number> {
  return countOf((await db('login_failures').count({ n: '*' }).where({ account }).where('at', '>=', since).first()) as { n: unknown });
}

export async function countFailuresForAddress(db: Queryable, address: string, since: Date): Promise<number> {
  return countOf((await db('login_failures').count({ n: '*' }).where({ address }).where('at', '>=', since).first()) as { n: unknown });
}

export async function clearFailuresForAccount(db: Queryable, account: string): Promise<void> {
  await db('login_failures').where({ account }).del();
}

/** Failures older than the window no longer count; dropping them keeps the table small. */
export async function pruneLoginFailures(db: Queryable, before: Date): Promise<void> {
  await db('login_failures').where('at', '<', before).del();
}
