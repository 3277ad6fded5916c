import { Queryable } from '../data/database';
import { toDate } from '../data/values';
import { JOINED_USER_COLUMNS, joinedUser, User } from '../users/repository';

/** Sessions live in the database so that several instances share them. */

export interface SessionRecord {
  id: string;
  userId: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The message waiting for the next page, if any. */
  flash?: Flash | null;
}

/** A message for the next page: a notice, or an error with the problems it lists. */
export interface Flash {
  notice?: string;
  error?: string;
  details?: Array<{ row?: number | null; column?: string | null; field?: string; message: string }>;
}

interface SessionRow {
  id: string;
  user_id: number;
  created_at: unknown;
  last_seen_at: unknown;
  expires_at: unknown;
  ip: string | null;
  user_agent: string | null;
  flash: string | null;
}

export async function insertSession(db: Queryable, session: SessionRecord): Promise<void> {
  await db('sessions').insert({
    id: session.id,
    user_id: session.userId,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    ip: session.ip?.slice(0, 64) ?? null,
    user_agent: session.userAgent?.slice(0, 300) ?? null,
  });
}

/** A session with its user, in one query (every signed-in request reads both). */
export async function findSessionWithUser(
  db: Queryable,
  id: string,
): Promise<{ session: SessionRecord; user: User } | undefined> {
  const row = (await db('sessions')
    .join('users', 'users.id', 'sessions.user_id')
    .where('sessions.id', id)
    .first('sessions.*', ...JOINED_USER_COLUMNS)) as (SessionRow & Record<string, unknown>) | undefined;
  return row && { session: toSession(row), user: joinedUser(row) };
}

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
    flash: row.flash ? (JSON.parse(row.flash) as Flash) : null,
  };
}

export async function setFlash(db: Queryable, id: string, flash: Flash | null): Promise<void> {
  await db('sessions')
    .where({ id })
    .update({ flash: flash ? JSON.stringify(flash) : null });
}

export async function touchSession(db: Queryable, id: string, now: Date): Promise<void> {
  await db('sessions').where({ id }).update({ last_seen_at: now });
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db('sessions').where({ id }).del();
}

/** Ends every session of a user, or every one but `keep`. Returns how many ended. */
export async function deleteSessionsOfUser(db: Queryable, userId: number, keep?: string): Promise<number> {
  const query = db('sessions').where({ user_id: userId });
  if (keep) query.whereNot({ id: keep });
  return query.del();
}

export async function deleteExpiredSessions(db: Queryable, now: Date, idleSince: Date): Promise<number> {
  return db('sessions').where('expires_at', '<', now).orWhere('last_seen_at', '<', idleSince).del();
}
