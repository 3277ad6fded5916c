import { appendAudit, AuditContext } from '../audit/repository';
import { Config } from '../config';
import { Database } from '../data/database';
import { AccountDisabled, NotSignedIn } from '../errors';
import { hashPassword, needsRehash, verifyPassword } from '../users/passwordHash';
import { findUserByUsername, publicUser, setPassword, User } from '../users/repository';
import { GuessThrottle } from './throttle';

export interface AuthServiceDeps {
  db: Database;
  config: Pick<Config, 'scryptCost'>;
  now: () => Date;
  guesses: GuessThrottle;
}

/** A hash to verify against when the account does not exist, so that timing does not reveal it. */
let decoyHash: Promise<string> | undefined;

export const LOGIN_FAILED = '用户名或密码不正确';

export function authService({ db, config, now, guesses }: AuthServiceDeps) {
  return {
    /**
     * Checks a username and password. The attempt is counted (per account and per address)
     * before the password is checked; past either limit it is refused without being checked.
     */
    async login(context: AuditContext, usernameInput: string, password: string): Promise<User> {
      const username = usernameInput.normalize('NFC').trim().toLowerCase().slice(0, 64);
      const failContext: AuditContext = { ...context, attemptedUsername: username };
      const guess = await guesses.take(failContext, username, { auditAction: 'login.throttled', what: '登录失败' });

      const user = username ? await findUserByUsername(db, username) : undefined;
      decoyHash ??= hashPassword('decoy-password-for-timing', config.scryptCost);
      const ok = await verifyPassword(password, user ? user.passwordHash : await decoyHash);
      const at = now();
      const failed = (reason: string) =>
        appendAudit(
          db,
          failContext,
          { action: 'login.failed', objectType: user ? 'user' : undefined, objectId: user?.id, detail: reason },
          at,
        );
      if (!user || !ok) {
        await failed(user ? '密码错误' : '用户不存在');
        throw new NotSignedIn(LOGIN_FAILED);
      }
      if (user.disabledAt) {
        await failed('账号已停用');
        throw new AccountDisabled('该账号已停用，请联系系统管理员');
      }
      await guesses.succeeded(guess, username);
      if (needsRehash(user.passwordHash, config.scryptCost)) {
        await setPassword(db, user.id, await hashPassword(password, config.scryptCost), user.mustChangePassword, at);
      }
      return publicUser(user);
    },
  };
}
