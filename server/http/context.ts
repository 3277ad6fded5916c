import crypto from 'node:crypto';
import { Request, RequestHandler } from 'express';
import { AuditContext } from '../audit/repository';
import { Logger } from '../logger';
import { User } from '../users/repository';
import { Flash } from '../sessions/repository';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      requestId: string;
      /** The signed-in user, from a session cookie or a bearer token. */
      user?: User;
      authMethod?: 'session' | 'token';
      /** The id (a hash) of the session the request came with. */
      sessionId?: string;
      /** Leaves a message for the next page this session shows (after a redirect). */
      flash(message: Flash): Promise<void>;
    }
  }
}

/** Gives every request an id, echoed in X-Request-Id and recorded with its audit entries. */
export const requestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  req.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  res.locals.requestId = req.requestId;
  res.setHeader('X-Request-Id', req.requestId);
  next();
};

/**
 * One log line per request when it ends: request id, method, path (no query: it may hold search
 * terms), status, duration and who. Health checks are left out; they would drown the rest.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (req.path === '/healthz') return;
      logger.info('request', {
        requestId: req.requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        user: req.user?.username,
      });
    });
    next();
  };
}

export function auditContextOf(req: Request): AuditContext {
  return {
    actor: req.user ? { id: req.user.id, username: req.user.username, role: req.user.role } : null,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
    requestId: req.requestId,
  };
}

/**
 * "POST /rounds/3/population" for the audit log: the method and address of a request, without
 * the CSRF token an upload form carries in its address (a secret has no place in a log).
 */
export function requestLine(req: Request): string {
  const [path, query = ''] = req.originalUrl.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete('_csrf');
  const rest = params.toString();
  return `${req.method} ${path}${rest ? `?${rest}` : ''}`.slice(0, 200);
}
