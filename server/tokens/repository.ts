import { Queryable } from '../data/database';
import { insertedId, toDate, toDateOrNull } from '../data/values';
import { JOINED_USER_COLUMNS, joinedUser, User } from '../users/repository';

export interface ApiToken {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  created_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: toDate(row.created_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
  };
}

const COLUMNS = ['id', 'user_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'];

export async function insertToken(
  db: Queryable,
  token: { userId: number; name: string; tokenHash: string; prefix: string },
  now: Date,
): Promise<number> {
  return insertedId(
    await db('api_tokens')
      .insert({
        user_id: token.userId,
        name: token.name,
        token_hash: token.tokenHash,
        prefix: token.prefix,
        created_at: now,
      })
      .returning('id'),
  );
}

export async function findTokenByHash(db: Queryable, tokenHash: string): Promise<ApiToken | undefined> {
  const row = (await db('api_tokens').select(COLUMNS).where({ token_hash: tokenHash }).first()) as TokenRow | undefined;
  return row && toToken(row);
}

/** A token by its hash with the user it belongs to, in one query. */
export async function findTokenWithUser(
  db: Queryable,
  tokenHash: string,
): Promise<{ token: ApiToken; user: User } | undefined> {
  const row = (await db('api_tokens')
    .join('users', 'users.id', 'api_tokens.user_id')
    .where({ token_hash: tokenHash })
    .first(...COLUMNS.map((c) => `api_tokens.${c}`), ...JOINED_USER_COLUMNS)) as
    (TokenRow & Record<string, unknown>) | undefined;
  return row && { token: toToken(row), user: joinedUser(row) };
}

export async function findTokenById(db: Queryable, id: number): Promise<ApiToken | undefined> {
  const row = (await db('api_tokens').select(COLUMNS).where({ id }).first()) as TokenRow | undefined;
  return row && toToken(row);
}

export async function listTokensOfUser(db: Queryable, userId: number): Promise<ApiToken[]> {
  const rows = (await db('api_tokens').select(COLUMNS).where({ user_id: userId }).orderBy('id', 'desc')) as TokenRow[];
  return rows.map(toToken);
}

export async function markTokenUsed(db: Queryable, id: number, now: Date): Promise<void> {
  await db('api_tokens').where({ id }).update({ last_used_at: now });
}

export async function revokeToken(db: Queryable, id: number, by: number | null, now: Date): Promise<void> {
  await db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now, revoked_by: by });
}
