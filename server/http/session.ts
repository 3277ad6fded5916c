import crypto from 'node:crypto';
import { CookieOptions, Request, RequestHandler, Response } from 'express';
import { appendAudit } from '../audit/repository';
import { Config } from '../config';
import { Database } from '../data/database';
import {
  deleteExpiredSessions,
  deleteSession,
  findSessionWithUser,
  insertSession,
  setFlash,
  touchSession,
} from '../sessions/repository';
import { TokenService } from '../tokens/service';
import { User } from '../users/repository';
import { auditContextOf } from './context';
import { hmac, parseCookies, safeEqual, sign, unsign } from './cookies';
import { HttpError, unauthorized, wantsJson } from './errors';
import { RefusalRecorder } from '../audit/refusals';
import { TooMany } from '../errors';
import { isMultipart } from './upload';

/**
 * Sessions and authentication.
 *
 * The session cookie holds 256 random bits, signed with FUHE_SESSION_SECRET; the database keeps
 * only their SHA-256, with the user, the idle and the absolute expiry. A bearer token
 * (Authorization header) authenticates API calls instead and needs no CSRF token.
 *
 * CSRF tokens are derived, not stored: HMAC(secret, session id) for a signed-in user, and
 * HMAC(secret, pre-session id) before login, where the pre-session id is a random cookie.
 */

const PRE_COOKIE = 'fuhe.pre';
/**
 * A session's last activity is written when it is older than this: the idle time-out is then
 * exact to within these few seconds, for a write every few seconds of a busy session.
 */
const TOUCH_EVERY_MS = 5_000;

export interface SessionDeps {
  db: Database;
  config: Pick<Config, 'sessionSecret' | 'session'>;
  tokens: TokenService;
  refusals: RefusalRecorder;
  now: () => Date;
}

export function sessionManager({ db, config, tokens, refusals, now }: SessionDeps) {
  const secret = config.sessionSecret;
  const { cookieName, idleMinutes, absoluteHours } = config.session;

  const cookieOptions = (req: Request): CookieOptions => ({
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
  });
  const sessionIdOf = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

  function csrfFor(req: Request, res: Response): string {
    if (req.sessionId) return hmac(secret, `csrf:${req.sessionId}`);
    let pre = unsign(secret, parseCookies(req.headers.cookie)[PRE_COOKIE]);
    if (!pre) {
      pre = crypto.randomBytes(16).toString('base64url');
      res.cookie(PRE_COOKIE, sign(secret, pre), cookieOptions(req));
    }
    return hmac(secret, `csrf-pre:${pre}`);
  }

  async function fromBearer(req: Request, header: string): Promise<void> {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const result = match ? await tokens.authenticate(match[1]) : { reason: '认证头格式不正确，应为 Bearer 令牌' };
    if ('reason' in result) {
      // An address that keeps sending rejected tokens gets 429 for a while (its valid tokens still work).
      const blocked = refusals.blocked(req.ip);
      refusals.hit(req.ip);
      await refusals.record(auditContextOf(req), {
        action: 'token.rejected',
        detail: `${req.method} ${req.path}：${result.reason}`,
      });
      if (blocked) throw new TooMany('被拒绝的 API 令牌过多，请稍后再试');
      throw unauthorized(`API 令牌无效：${result.reason}`);
    }
    req.user = result.user;
    req.authMethod = 'token';
  }

  async function fromCookie(req: Request, res: Response): Promise<void> {
    const token = unsign(secret, parseCookies(req.headers.cookie)[cookieName]);
    if (!token) return;
    const id = sessionIdOf(token);
    const found = await findSessionWithUser(db, id);
    if (!found) return clear(req, res);
    const { session, user } = found;
    const at = now();
    const idleLimit = new Date(at.getTime() - idleMinutes * 60_000);
    let ended: string | undefined;
    if (session.expiresAt <= at) ended = '会话已超过最长时限';
    else if (session.lastSeenAt <= idleLimit) ended = '会话因长时间未操作已超时';
    else if (user.disabledAt) ended = '账号已停用';
    if (ended) {
      await deleteSession(db, id);
      await appendAudit(
        db,
        { ...auditContextOf(req), actor: { id: user.id, username: user.username, role: user.role } },
        {
          action: 'session.expired',
          objectType: 'user',
          objectId: session.userId,
          detail: ended,
        },
      );
      res.locals.sessionEnded = ended;
      return clear(req, res);
    }
    if (at.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await touchSession(db, id, at);
    req.user = user;
    req.sessionId = id;
    req.authMethod = 'session';
    // The message left by the request that redirected here is shown once, by the next page.
    if (session.flash && req.method === 'GET' && !wantsJson(req)) {
      res.locals.error = session.flash.error;
      res.locals.notice = session.flash.notice;
      res.locals.flashDetails = session.flash.details;
      await setFlash(db, id, null);
    }
  }

  function clear(req: Request, res: Response): void {
    res.clearCookie(cookieName, cookieOptions(req));
  }

  /** Finds who is calling, and exposes the CSRF token to the views. */
  const authenticate: RequestHandler = async (req, res, next) => {
    req.flash = async (message) => {
      if (req.sessionId) await setFlash(db, req.sessionId, message);
    };
    const header = req.get('authorization');
    if (header) await fromBearer(req, header);
    else await fromCookie(req, res);
    res.locals.user = req.user;
    // Anonymous API calls get no pre-session cookie: they cannot write anything anyway.
    if (req.authMethod !== 'token' && (req.sessionId || !req.originalUrl.startsWith('/api/'))) {
      res.locals.csrfToken = csrfFor(req, res);
    }
    next();
  };

  /**
   * Every state-changing request made with a cookie carries the CSRF token, in the form field
   * `_csrf` or the `X-CSRF-Token` header. Bearer-token calls carry no cookie and need none.
   */
  const verifyCsrf: RequestHandler = async (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || req.authMethod === 'token') return next();
    // An API call with neither token nor session is answered 401 by the route, not 403 here.
    if (!req.sessionId && wantsJson(req) && req.originalUrl.startsWith('/api/')) return next();
    const body = req.body as Record<string, unknown> | undefined;
    // A multipart upload's body is read by its route, after this check, so a plain HTML upload
    // form carries its token in the action URL instead (the Referrer-Policy keeps it there).
    const fromQuery = isMultipart(req) && typeof req.query._csrf === 'string' ? req.query._csrf : '';
    const given = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : fromQuery);
    const expected = res.locals.csrfToken as string | undefined;
    if (!given || !expected || !safeEqual(given, expected)) {
      await refusals.record(auditContextOf(req), { action: 'csrf.rejected', detail: `${req.method} ${req.path}` });
      throw new HttpError(403, 'csrf', '页面已过期或请求来源无法验证，请刷新页面后重试');
    }
    next();
  };

  return {
    authenticate,
    verifyCsrf,

    /** Starts a new session (a fresh id: the old one, if any, is ended) and sets the cookie. */
    async start(req: Request, res: Response, user: User): Promise<void> {
      if (req.sessionId) await deleteSession(db, req.sessionId);
      const token = crypto.randomBytes(32).toString('base64url');
      const at = now();
      // Expired sessions are refused when presented; dropping them at each login keeps the table small.
      await deleteExpiredSessions(db, at, new Date(at.getTime() - idleMinutes * 60_000));
      const id = sessionIdOf(token);
      await insertSession(db, {
        id,
        userId: user.id,
        createdAt: at,
        lastSeenAt: at,
        expiresAt: new Date(at.getTime() + absoluteHours * 3_600_000),
        ip: req.ip ?? null,
        userAgent: req.get('user-agent') ?? null,
      });
      res.cookie(cookieName, sign(secret, token), cookieOptions(req));
      req.sessionId = id;
      req.user = user;
      req.authMethod = 'session';
      res.locals.user = user;
      res.locals.csrfToken = csrfFor(req, res);
    },

    async end(req: Request, res: Response): Promise<void> {
      if (req.sessionId) await deleteSession(db, req.sessionId);
      req.sessionId = undefined;
      clear(req, res);
    },
  };
}

export type SessionManager = ReturnType<typeof sessionManager>;

/** After an administrator's reset, a user changes the password before doing anything else. */
export const requirePasswordChanged: RequestHandler = (req, res, next) => {
  if (!req.user?.mustChangePassword || req.authMethod !== 'session') return next();
  if (wantsJson(req)) throw new HttpError(403, 'password_change_required', '请先修改初始密码');
  res.redirect(303, '/account/password');
};
