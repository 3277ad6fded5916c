import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { Invalid, NotFound, Refused } from '../errors';
import { findUserByUsername, publicUser, User } from '../users/repository';
import {
  ApiToken,
  findTokenByHash,
  findTokenById,
  findTokenWithUser,
  insertToken,
  listTokensOfUser,
  markTokenUsed,
  revokeToken,
} from './repository';

/**
 * API tokens: `fuhe_` and 43 base64url characters (256 random bits), shown once and stored only
 * as SHA-256 (a random token of that length needs no slow hash).
 */

export const TOKEN_PREFIX = 'fuhe_';

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenService({ db, now }: { db: Database; now: () => Date }) {
  async function revoke(context: AuditContext, token: ApiToken, by: number | null): Promise<void> {
    if (token.revokedAt) return;
    const at = now();
    await writeTransaction(db, async (trx) => {
      await revokeToken(trx, token.id, by, at);
      await appendAudit(
        trx,
        context,
        {
          action: 'token.revoke',
          objectType: 'api_token',
          objectId: token.id,
          before: token,
          after: (await findTokenById(trx, token.id))!,
        },
        at,
      );
    });
  }

  return {
    async create(context: AuditContext, owner: User, nameInput: string): Promise<{ token: string; record: ApiToken }> {
      const name = nameInput.normalize('NFC').trim() || 'API 令牌';
      if ([...name].length > 100)
        throw new Invalid('令牌名称不能超过100个字符', [{ field: 'name', message: '令牌名称不能超过100个字符' }]);
      const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
      const at = now();
      const record = await writeTransaction(db, async (trx) => {
        const id = await insertToken(
          trx,
          { userId: owner.id, name, tokenHash: hashToken(token), prefix: token.slice(0, 12) },
          at,
        );
        const created = (await findTokenById(trx, id))!;
        await appendAudit(
          trx,
          context,
          {
            action: 'token.create',
            objectType: 'api_token',
            objectId: id,
            after: { ...created, owner: owner.username },
          },
          at,
        );
        return created;
      });
      return { token, record };
    },

    async createForUsername(context: AuditContext, username: string, name: string) {
      const owner = await findUserByUsername(db, username.trim().toLowerCase());
      if (!owner) throw new NotFound(`用户"${username}"不存在`);
      if (owner.disabledAt) throw new Invalid(`用户"${username}"已停用`);
      return this.create(context, publicUser(owner), name);
    },

    list: (userId: number) => listTokensOfUser(db, userId),

    /** A user revokes their own tokens; an admin may revoke anyone's. */
    async revoke(context: AuditContext, actor: User, tokenId: number): Promise<void> {
      const token = await findTokenById(db, tokenId);
      if (!token) throw new NotFound('令牌不存在');
      if (token.userId !== actor.id && actor.role !== 'admin')
        throw new Refused(`吊销他人的令牌 ${tokenId}`, '只能吊销自己的令牌');
      await revoke(context, token, actor.id);
    },

    /** The operator's command line: by id or by the token itself. */
    async revokeByOperator(context: AuditContext, idOrToken: string): Promise<ApiToken> {
      const token = /^\d+$/.test(idOrToken)
        ? await findTokenById(db, Number(idOrToken))
        : await findTokenByHash(db, hashToken(idOrToken));
      if (!token) throw new NotFound('令牌不存在');
      await revoke(context, token, null);
      return (await findTokenById(db, token.id))!;
    },

    /** The user a bearer token stands for, or why it does not. */
    async authenticate(token: string): Promise<{ user: User } | { reason: string }> {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return { reason: '令牌格式不正确' };
      const found = await findTokenWithUser(db, hashToken(token));
      if (!found) return { reason: '令牌无效' };
      const { token: record, user } = found;
      if (record.revokedAt) return { reason: '令牌已吊销' };
      if (user.disabledAt) return { reason: '令牌所属账号已停用' };
      // After a reset, the account's tokens wait until its owner has chosen a new password.
      if (user.mustChangePassword) return { reason: '令牌所属账号的密码已被重置，须先登录修改密码' };
      const at = now();
      // Recording every use would make every API read a write; once a minute is enough to see activity.
      if (!record.lastUsedAt || at.getTime() - record.lastUsedAt.getTime() > 60_000)
        await markTokenUsed(db, record.id, at);
      return { user };
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;
