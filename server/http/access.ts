import { Request, RequestHandler } from 'express';
import { appendAudit } from '../audit/repository';
import { Database } from '../data/database';
import { can, Permission, ROLE_LABELS } from '../domain/roles';
import { auditContextOf } from './context';
import { forbidden, unauthorized, wantsJson } from './errors';

/**
 * Role checks on the server. A refusal is 403 and an audit entry; per-object checks (an
 * evaluator's assignments) are conditions in the queries and call `deny` the same way.
 */
export function accessControl({ db }: { db: Database }) {
  async function deny(req: Request, reason: string): Promise<never> {
    await appendAudit(db, auditContextOf(req), { action: 'access.denied', detail: `${req.method} ${req.originalUrl.slice(0, 200)}：${reason}` });
    throw forbidden();
  }

  /** Signed in, by session or token; a page sends the visitor to the login page instead. */
  const requireSignedIn: RequestHandler = async (req, res, next) => {
    if (req.user) return next();
    if (wantsJson(req)) {
      await appendAudit(db, auditContextOf(req), { action: 'access.unauthenticated', detail: `${req.method} ${req.originalUrl.slice(0, 200)}` });
      throw unauthorized(res.locals.sessionEnded ? `${res.locals.sessionEnded}，请重新登录` : '请先登录');
    }
    const params = new URLSearchParams({ next: req.originalUrl });
    if (res.locals.sessionEnded) params.set('reason', 'expired');
    res.redirect(303, `/login?${params.toString()}`);
  };

  function requirePermission(permission: Permission): RequestHandler {
    return async (req, res, next) => {
      if (!req.user) return requireSignedIn(req, res, next);
      if (can(req.user.role, permission)) return next();
      return deny(req, `角色"${ROLE_LABELS[req.user.role]}"无权限 ${permission}`);
    };
  }

  return { deny, requireSignedIn, requirePermission };
}

export type AccessControl = ReturnType<typeof accessControl>;
