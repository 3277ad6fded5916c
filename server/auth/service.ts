import { appendAudit, AuditContext } from '../audit/repository';
import { Config } from '../config';
import { Database } from '../data/database';
import { HttpError, tooMany, unauthorized } from '../http/errors';
import { hashPassword, needsRehash, verifyPassword } from '../users/passwordHash';
import { findUserByUsername, publicUser, setPassword, User } from '../users/repository';
import {
  clearFailuresForAccount,
  countFailuresForAccount,
  countFailuresForAddress,
  pruneLoginFailures,
  recordLoginFailure,
} from './throttleRepository';

export interface AuthServiceDeps {
  db: Database;
  config: Pick<Config, 'loginThrottle' | 'scryptCost'>;
  now: () => Date;
}

/** A hash to verify against when the account does not exist, so that timing does not reveal it. */
let decoyHash: Promise<string> | undefined;

export const LOGIN_FAILED = '用户名或密码不正确';

export function authService({ db, config, now }: AuthServiceDeps) {
  const { windowMinutes, maxFailuresPerAccount, maxFailuresPerAddress } = config.loginThrottle;

  return {
    /**
     * Checks a username and password. Failures are counted per account and per address within the
     * window; past either limit the attempt is refused before the password is even checked.
     */
    async login(context: AuditContext, usernameInput: string, password: string): Promise<User> {
      const username = usernameInput.normalize('NFC').trim().toLowerCase().slice(0, 64);
      const address = context.ip ?? 'unknown';
      const at = now();
      const since = new Date(at.getTime() - windowMinutes * 60_000);
      const failContext: AuditContext = { ...context, attemptedUsername: username };

      const [byAccount, byAddress] = [
        username ? await countFailuresForAccount(db, username, since) : 0,
        await countFailuresForAddress(db, address, since),
      ];
      if (byAccount >= maxFailuresPerAccount || byAddress >= maxFailuresPerAddress) {
        await appendAudit(db, failContext, {
          action: 'login.throttled',
          detail: byAccount >= maxFailuresPerAccount ? `账号${windowMinutes}分钟内失败${byAccount}次` : `地址${windowMinutes}分钟内失败${byAddress}次`,
        }, at);
        throw tooMany(`登录失败次数过多，请${windowMinutes}分钟后再试`);
      }

      const user = username ? await findUserByUsername(db, username) : undefined;
      decoyHash ??= hashPassword('decoy-password-for-timing', config.scryptCost);
      const ok = await verifyPassword(password, user ? user.passwordHash : await decoyHash);
      const refuse = async (reason: string, error: HttpError): Promise<never> => {
        await db.transaction(async (trx) => {
          await recordLoginFailure(trx, username || null, address, at);
          await appendAudit(trx, failContext, { action: 'login.failed', objectType: user ? 'user' : undefined, objectId: user?.id, detail: reason }, at);
        });
        throw error;
      };
      if (!user) return refuse('用户不存在', unauthorized(LOGIN_FAILED));
      if (!ok) return refuse('密码错误', unauthorized(LOGIN_FAILED));
      if (user.disabledAt) return refuse('账号已停用', new HttpError(403, 'account_disabled', '该账号已停用，请联系系统管理员'));

      await db.transaction(async (trx) => {
        if (needsRehash(user.passwordHash, config.scryptCost)) {
          await setPassword(trx, user.id, await hashPassword(password, config.scryptCost), user.mustChangePassword, at);
        }
        await clearFailuresForAccount(trx, username);
        await pruneLoginFailures(trx, new Date(at.getTime() - 24 * 60 * 60_000));
      });
      return publicUser(user);
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
