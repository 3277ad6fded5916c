import pino from 'pino';

/**
 * Structured logs: pino, one JSON object per line on standard output, with the request id on
 * every line that belongs to a request. The interface stays small so that the code logs the
 * same way everywhere: a message and its fields.
 */

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The same logger with these fields on every line (e.g. the request id). */
  child(fields: Record<string, unknown>): Logger;
}

function wrap(p: pino.Logger): Logger {
  return {
    info: (message, fields = {}) => p.info(fields, message),
    warn: (message, fields = {}) => p.warn(fields, message),
    error: (message, fields = {}) => p.error(fields, message),
    child: (fields) => wrap(p.child(fields)),
  };
}

export function createLogger(options: { silent?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const p = pino(
    {
      level: options.silent ? 'silent' : process.env.FUHE_LOG_LEVEL || 'info',
      base: { app: 'fuhe', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'message',
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    options.destination,
  );
  return wrap(p);
}
