import { RequestHandler } from 'express';
import { RefusalRecorder } from '../audit/refusals';
import { can, Permission, ROLE_LABELS } from '../domain/roles';
import { Refused, TooMany } from '../errors';
import { auditContextOf, requestLine } from './context';
import { unauthorized, wantsJson } from './errors';

/**
 * Role checks on the server. A refusal is a `Refused` error, which the error handler answers
 * with 403 and audits; per-object checks (an evaluator's assignments) are conditions in the
 * services' queries and throw the same error.
 */
export function accessControl({ refusals }: { refusals: RefusalRecorder }) {
  /** Signed in, by session or token; a page sends the visitor to the login page instead. */
  const requireSignedIn: RequestHandler = async (req, res, next) => {
    if (req.user) return next();
    if (wantsJson(req)) {
      const blocked = refusals.blocked(req.ip);
      refusals.hit(req.ip);
      await refusals.record(auditContextOf(req), {
        action: 'access.unauthenticated',
        detail: requestLine(req),
      });
      if (blocked) throw new TooMany('未登录的请求过于频繁，请稍后再试');
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
      throw new Refused(`角色"${ROLE_LABELS[req.user.role]}"无权限 ${permission}`);
    };
  }

  return { requireSignedIn, requirePermission };
}

export type AccessControl = ReturnType<typeof accessControl>;
