import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { passwordProblem } from '../domain/passwords';
import { Conflict, Invalid, NotFound } from '../errors';
import { deleteSessionsOfUser } from '../sessions/repository';
import { generatePassword, hashPassword, verifyPassword } from './passwordHash';
import {
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers,
  publicUser,
  setDisabled,
  setPassword,
  User,
} from './repository';
import { findCoverages, insertCoverage, replaceCoverage } from '../units/repository';
import { Coverage } from '../domain/units';
import { UserInput } from './validation';
import { GuessThrottle } from '../auth/throttle';

export interface UserServiceDeps {
  db: Database;
  scryptCost: number;
  now: () => Date;
  /** The current password of the password-change form is a guess like a sign-in's. */
  guesses: GuessThrottle;
}

export function userService({ db, scryptCost, now, guesses }: UserServiceDeps) {
  async function requireUser(id: number): Promise<User> {
    const user = await findUserById(db, id);
    if (!user) throw new NotFound('用户不存在');
    return publicUser(user);
  }

  return {
    list: () => listUsers(db),
    get: requireUser,
    findByUsername: async (username: string) => {
      const user = await findUserByUsername(db, username.trim().toLowerCase());
      return user && publicUser(user);
    },

    /** Creates a user; without a password one is generated, returned once and must be changed at first login. */
    async create(context: AuditContext, input: UserInput): Promise<{ user: User; generatedPassword: string | null }> {
      const generatedPassword = input.password === null ? generatePassword() : null;
      const password = input.password ?? (generatedPassword as string);
      const problem = passwordProblem(password);
      if (problem) throw new Invalid(problem, [{ field: 'password', message: problem }]);
      const passwordHash = await hashPassword(password, scryptCost);
      const at = now();
      const user = await writeTransaction(db, async (trx) => {
        if (await findUserByUsername(trx, input.username)) {
          throw new Conflict(`用户名"${input.username}"已存在`, [{ field: 'username', message: '用户名已存在' }]);
        }
        const id = await insertUser(
          trx,
          { ...input, passwordHash, mustChangePassword: generatedPassword !== null },
          at,
        );
        if (input.coverage) await insertCoverage(trx, id, input.coverage, at);
        const created = publicUser((await findUserById(trx, id))!);
        await appendAudit(
          trx,
          context,
          {
            action: 'user.create',
            objectType: 'user',
            objectId: id,
            after: input.coverage ? { ...created, coverage: input.coverage } : created,
          },
          at,
        );
        return created;
      });
      return { user, generatedPassword };
    },

    async changePassword(
      context: AuditContext,
      userId: number,
      current: string,
      next: string,
      keepSession?: string,
    ): Promise<void> {
      const user = await findUserById(db, userId);
      if (!user) throw new NotFound('用户不存在');
      const guess = await guesses.take(context, user.username, {
        auditAction: 'user.password.throttled',
        what: '当前密码输入错误',
      });
      if (!(await verifyPassword(current, user.passwordHash))) {
        await appendAudit(db, context, {
          action: 'user.password.change.failed',
          objectType: 'user',
          objectId: userId,
          detail: '当前密码不正确',
        });
        throw new Invalid('当前密码不正确', [{ field: 'current', message: '当前密码不正确' }]);
      }
      await guesses.succeeded(guess, user.username);
      const problem = passwordProblem(next);
      if (problem) throw new Invalid(problem, [{ field: 'next', message: problem }]);
      if (current === next)
        throw new Invalid('新密码不能与当前密码相同', [{ field: 'next', message: '新密码不能与当前密码相同' }]);
      const passwordHash = await hashPassword(next, scryptCost);
      const at = now();
      await writeTransaction(db, async (trx) => {
        await setPassword(trx, userId, passwordHash, false, at);
        const ended = await deleteSessionsOfUser(trx, userId, keepSession);
        await appendAudit(
          trx,
          context,
          {
            action: 'user.password.change',
            objectType: 'user',
            objectId: userId,
            detail: `其他会话已结束：${ended}个`,
          },
          at,
        );
      });
    },

    /** Sets a new generated password, ends the user's sessions; the user must change it at next login. */
    async resetPassword(context: AuditContext, userId: number): Promise<string> {
      await requireUser(userId);
      const password = generatePassword();
      const passwordHash = await hashPassword(password, scryptCost);
      const at = now();
      await writeTransaction(db, async (trx) => {
        await setPassword(trx, userId, passwordHash, true, at);
        const ended = await deleteSessionsOfUser(trx, userId);
        await appendAudit(
          trx,
          context,
          { action: 'user.password.reset', objectType: 'user', objectId: userId, detail: `会话已结束：${ended}个` },
          at,
        );
      });
      return password;
    },

    /** A unit contact's units and departments, replaced; the audit entry keeps both. */
    async setCoverage(context: AuditContext, userId: number, coverage: Coverage): Promise<User> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const user = await findUserById(trx, userId);
        if (!user) throw new NotFound('用户不存在');
        if (user.role !== 'unit') throw new Conflict('只有预算单位联系人有所联系的单位');
        const before = (await findCoverages(trx, [userId])).get(userId) ?? { units: [], departments: [] };
        await replaceCoverage(trx, userId, coverage, at);
        await appendAudit(
          trx,
          context,
          { action: 'user.coverage', objectType: 'user', objectId: userId, before, after: coverage },
          at,
        );
        return publicUser(user);
      });
    },

    /** Disabling ends every session at once; tokens stop working because their owner is disabled. */
    async setDisabled(context: AuditContext, userId: number, disabled: boolean): Promise<User> {
      if (context.actor?.id === userId && disabled) throw new Conflict('不能停用自己的账号');
      const at = now();
      return writeTransaction(db, async (trx) => {
        const before = await findUserById(trx, userId);
        if (!before) throw new NotFound('用户不存在');
        if (disabled === (before.disabledAt !== null)) return publicUser(before);
        await setDisabled(trx, userId, disabled ? at : null, at);
        const ended = disabled ? await deleteSessionsOfUser(trx, userId) : 0;
        const after = publicUser((await findUserById(trx, userId))!);
        await appendAudit(
          trx,
          context,
          {
            action: disabled ? 'user.disable' : 'user.enable',
            objectType: 'user',
            objectId: userId,
            before: publicUser(before),
            after,
            ...(disabled && { detail: `会话已结束：${ended}个` }),
          },
          at,
        );
        return after;
      });
    },
  };
}
