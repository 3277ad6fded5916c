/** Structured logs: one JSON object per line on standard output. */

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function serialise(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value;
  }
  return out;
}

export function createLogger(options: { silent?: boolean } = {}): Logger {
  const write = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    if (options.silent) return;
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...serialise(fields) }) + '\n');
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
