import { asText } from '../http/input';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { DomainError, Invalid, TooMany } from '../errors';
import { SessionManager } from '../http/session';
import { Services } from '../services';

/** Only a local path is a safe place to return to after login (no open redirect). */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  return value.slice(0, 500);
}

const str = asText;

export function authRoutes({
  services,
  sessions,
  access,
}: {
  services: Services;
  sessions: SessionManager;
  access: AccessControl;
}): Router {
  const router = Router();

  const renderLogin = (res: Response, data: Record<string, unknown> = {}) =>
    res.render('auth/login', { title: '登录', layout: 'bare', ...data });

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    const notice =
      req.query.reason === 'expired'
        ? '会话已超时，请重新登录'
        : req.query.reason === 'logout'
          ? '您已安全退出'
          : undefined;
    renderLogin(res, { next: safeNext(req.query.next), notice });
  });

  router.post('/login', async (req: Request, res: Response) => {
    const body = req.body as Record<string, unknown>;
    const username = str(body.username);
    const next = safeNext(body.next);
    try {
      const user = await services.auth.login(auditContextOf(req), username, str(body.password));
      await sessions.start(req, res, user);
      await services.audit.record(auditContextOf(req), { action: 'login', objectType: 'user', objectId: user.id });
      res.redirect(303, user.mustChangePassword ? '/account/password' : next);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res.status(statusOf(err));
      renderLogin(res, { error: err.message, username, next });
    }
  });

  router.post('/logout', async (req, res) => {
    if (req.user)
      await services.audit.record(auditContextOf(req), { action: 'logout', objectType: 'user', objectId: req.user.id });
    await sessions.end(req, res);
    res.redirect(303, '/login?reason=logout');
  });

  router.get('/account', access.requireSignedIn, async (req, res) => {
    res.render('auth/account', { title: '个人设置', tokens: await services.tokens.list(req.user!.id) });
  });

  router.get('/account/password', access.requireSignedIn, (req, res) => {
    res.render('auth/password', { title: '修改密码', forced: req.user!.mustChangePassword });
  });

  router.post('/account/password', access.requireSignedIn, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const next = str(body.next);
    try {
      if (next !== str(body.confirm)) {
        throw new Invalid('两次输入的新密码不一致', [{ field: 'confirm', message: '两次输入的新密码不一致' }]);
      }
      await services.users.changePassword(auditContextOf(req), req.user!.id, str(body.current), next, req.sessionId);
    } catch (err) {
      if (!(err instanceof Invalid || err instanceof TooMany)) throw err;
      res.status(statusOf(err));
      return res.render('auth/password', {
        title: '修改密码',
        forced: req.user!.mustChangePassword,
        error: err.message,
        errors: err.details,
      });
    }
    // A new session id after a credential change, as after login.
    const user = await services.users.get(req.user!.id);
    await sessions.start(req, res, user);
    res.render('auth/password', { title: '修改密码', done: true });
  });

  router.post('/account/tokens', access.requireSignedIn, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const created = await services.tokens.create(auditContextOf(req), req.user!, str(body.name));
    res.status(201).render('auth/account', {
      title: '个人设置',
      tokens: await services.tokens.list(req.user!.id),
      createdToken: created.token,
      createdName: created.record.name,
    });
  });

  router.post('/account/tokens/:id/revoke', access.requireSignedIn, async (req, res) => {
    await services.tokens.revoke(auditContextOf(req), req.user!, idParam(req));
    res.redirect(303, '/account?revoked=1');
  });

  return router;
}
