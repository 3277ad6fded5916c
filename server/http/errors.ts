import { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { RefusalRecorder } from '../audit/refusals';
import { AccountDisabled, Conflict, DomainError, Invalid, NotFound, NotSignedIn, Refused, TooMany } from '../errors';
import { Logger } from '../logger';
import { auditContextOf, requestLine } from './context';

/**
 * An error of the protocol itself (a malformed body, no credentials, a CSRF failure, too
 * large): a status, a stable code, a Chinese message and optional details. Services throw the
 * domain errors of `server/errors.ts` instead.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, 'bad_request', message, details);
export const unauthorized = (message = '请先登录') => new HttpError(401, 'unauthorized', message);

/** Requests answered with JSON errors: the API, and anything that asked for JSON. */
export function wantsJson(req: Request): boolean {
  // originalUrl, not path: inside a router mounted at /api, req.path has lost the prefix.
  const path = req.originalUrl.split('?')[0];
  return (
    path.startsWith('/api/') ||
    path === '/api' ||
    path.endsWith('.json') ||
    (!req.accepts('html') && !!req.accepts('json'))
  );
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFound('未找到该页面或对象'));

const GENERIC: Record<number, string> = {
  400: '请求格式不正确',
  401: '请先登录',
  403: '您没有权限执行此操作',
  404: '未找到该页面或对象',
  409: '与当前状态冲突',
  413: '上传的内容过大',
  415: '不支持的内容类型',
  422: '输入的内容不正确',
  429: '请求过于频繁，请稍后再试',
  500: '服务器内部错误，请稍后再试；如问题持续，请联系系统管理员',
};

const DOMAIN: Array<[new (...args: never[]) => DomainError, number, string]> = [
  [NotFound, 404, 'not_found'],
  [Conflict, 409, 'conflict'],
  [Invalid, 422, 'invalid'],
  [Refused, 403, 'forbidden'],
  [TooMany, 429, 'too_many_requests'],
  [NotSignedIn, 401, 'unauthorized'],
  [AccountDisabled, 403, 'account_disabled'],
];

/** The HTTP status a domain error is answered with. */
export function statusOf(err: DomainError | HttpError): number {
  if (err instanceof HttpError) return err.status;
  return DOMAIN.find(([type]) => err instanceof type)?.[1] ?? 500;
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

function asHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) {
    const [, status, code] = DOMAIN.find(([type]) => err instanceof type) ?? [null, 500, 'internal'];
    return new HttpError(status, err.code ?? code, err.message, err.details);
  }
  const parserError = err as BodyParserError;
  const status = parserError?.status ?? parserError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (parserError.type === 'entity.parse.failed') return badRequest('JSON 格式不正确');
    if (status === 413) return new HttpError(413, 'too_large', GENERIC[413]);
    return new HttpError(status, 'bad_request', GENERIC[status] ?? GENERIC[400]);
  }
  return new HttpError(500, 'internal', GENERIC[500]);
}

// Duck-typed: errors thrown by native drivers come from another realm under test runners.
const stackOf = (err: unknown): string | undefined =>
  typeof (err as { stack?: unknown } | null)?.stack === 'string' ? (err as { stack: string }).stack : undefined;

/**
 * The one error handler: Chinese messages, JSON for the API, a stack only in development, and
 * the audit entry of every refusal (`Refused`), so that no route can forget one.
 */
export function errorHandler(options: {
  showStack: boolean;
  logger: Logger;
  refusals: RefusalRecorder;
}): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const error = asHttpError(err);
    if (error.status >= 500) {
      options.logger.error('request failed', { requestId: res.locals.requestId, path: req.path, err });
    }
    if (err instanceof Refused) {
      try {
        await options.refusals.record(auditContextOf(req), {
          action: 'access.denied',
          detail: `${requestLine(req)}：${err.reason}`,
        });
      } catch (auditErr) {
        options.logger.error('refusal not audited', { requestId: res.locals.requestId, err: auditErr });
      }
    }
    if (res.headersSent) return;
    res.status(error.status);
    if (wantsJson(req)) {
      res.json({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details !== undefined && { details: error.details }),
        },
      });
      return;
    }
    // The heading names the kind of problem; the message says why, once.
    const heading =
      error.status === 403
        ? '无权访问'
        : error.message === GENERIC[error.status]
          ? `出错了（${error.status}）`
          : `${GENERIC[error.status] ?? '出错了'}（${error.status}）`;
    res.render('errors/error', {
      title: heading,
      status: error.status,
      message: error.message,
      back: sameOriginReferer(req),
      details: Array.isArray(error.details) ? error.details : undefined,
      stack: options.showStack && error.status >= 500 ? stackOf(err) : undefined,
      loginLink: error.status === 401,
    });
  };
}

/** The page the user came from, when it is one of ours: the way back from an error. */
function sameOriginReferer(req: Request): string | undefined {
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    return url.host === req.get('host') && url.pathname !== req.path ? `${url.pathname}${url.search}` : undefined;
  } catch {
    return undefined;
  }
}
