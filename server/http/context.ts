import crypto from 'node:crypto';
import { Request, RequestHandler } from 'express';
import { AuditContext } from '../audit/repository';
import { User } from '../users/repository';

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

export function auditContextOf(req: Request): AuditContext {
  return {
    actor: req.user ? { id: req.user.id, username: req.user.username, role: req.user.role } : null,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
    requestId: req.requestId,
  };
}
