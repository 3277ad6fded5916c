import { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { Logger } from '../logger';

/** An error a user may see: a status, a stable code, a Chinese message and optional details. */
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
export const forbidden = (message = '您没有权限执行此操作') => new HttpError(403, 'forbidden', message);
export const notFound = (message = '未找到该页面或对象') => new HttpError(404, 'not_found', message);
export const conflict = (message: string, details?: unknown) => new HttpError(409, 'conflict', message, details);
export const invalid = (message: string, details?: unknown) => new HttpError(422, 'invalid', message, details);
export const tooMany = (message: string) => new HttpError(429, 'too_many_requests', message);

/** Requests answered with JSON errors: the API, and anything that asked for JSON. */
export function wantsJson(req: Request): boolean {
  // originalUrl, not path: inside a router mounted at /api, req.path has lost the prefix.
  const path = req.originalUrl.split('?')[0];
  return path.startsWith('/api/') || path === '/api' || path.endsWith('.json') || (!req.accepts('html') && !!req.accepts('json'));
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

const GENERIC: Record<number, string> = {
  400: '请求格式不正确',
  401: '请先登录',
  403: '您没有权限执行此操作',
  404: '未找到该页面或对象',
  413: '上传的内容过大',
  415: '不支持的内容类型',
  500: '服务器内部错误，请稍后再试；如问题持续，请联系系统管理员',
};

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

function asHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
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

/** The one error handler: Chinese messages, JSON for the API, and a stack only in development. */
export function errorHandler(options: { showStack: boolean; logger: Logger }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = asHttpError(err);
    if (error.status >= 500) {
      options.logger.error('request failed', { requestId: res.locals.requestId, path: req.path, err });
    }
    if (res.headersSent) return;
    res.status(error.status);
    if (wantsJson(req)) {
      res.json({
        error: { code: error.code, message: error.message, ...(error.details !== undefined && { details: error.details }) },
      });
      return;
    }
    res.render('errors/error', {
      title: `${error.status} ${GENERIC[error.status] ?? '出错了'}`,
      status: error.status,
      message: error.message,
      details: Array.isArray(error.details) ? error.details : undefined,
      stack: options.showStack && error.status >= 500 ? stackOf(err) : undefined,
      loginLink: error.status === 401,
    });
  };
}
