import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Every setting of the application, with its environment variable and default, in one place. */

type Env = Record<string, string | undefined>;

function get(env: Env, name: string, fallback: string, options: { requireInProduction?: boolean } = {}): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (options.requireInProduction && env.NODE_ENV === 'production') {
    throw new Error(`Missing required setting ${name} (NODE_ENV=production)`);
  }
  return fallback;
}

function getInt(env: Env, name: string, fallback: number): number {
  const raw = get(env, name, String(fallback));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Setting ${name} must be a whole number, got "${raw}"`);
  return value;
}

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  dataDir: string;
  /** postgres://… when PostgreSQL is used; undefined selects the SQLite file in dataDir. */
  databaseUrl?: string;
  sessionSecret: string;
  session: {
    cookieName: string;
    idleMinutes: number;
    absoluteHours: number;
  };
  loginThrottle: {
    windowMinutes: number;
    maxFailuresPerAccount: number;
    maxFailuresPerAddress: number;
  };
  /** Express `trust proxy`: set when running behind a reverse proxy that sets X-Forwarded-*. */
  trustProxy: string | false;
  /** scrypt cost parameter N (a power of two). */
  scryptCost: number;
  /** The address the public reaches the application at, for links printed in announcements. */
  publicUrl: string;
  /** Server processes on the one port (server/main.ts); 1 runs the server in this process alone. */
  workers: number;
}

export function sqliteFile(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'fuhe.sqlite3');
}

/**
 * The session secret: FUHE_SESSION_SECRET, required in production; otherwise generated once and
 * kept in the data directory so that restarts (and the command line) keep sessions valid.
 */
function sessionSecret(env: Env, dataDir: string): string {
  const fromEnv = get(env, 'FUHE_SESSION_SECRET', '', { requireInProduction: true });
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('FUHE_SESSION_SECRET must be at least 32 characters');
    return fromEnv;
  }
  const file = path.join(dataDir, 'session-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

export function loadConfig(env: Env = process.env): Config {
  // Only an explicit NODE_ENV=development shows stack traces; an operator who sets nothing gets
  // production behaviour (the session secret is still generated unless NODE_ENV=production).
  const nodeEnv = get(env, 'NODE_ENV', '');
  const dataDir = path.resolve(get(env, 'FUHE_DATA_DIR', './data'));
  const databaseUrl = get(env, 'DATABASE_URL', '') || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must start with postgres:// (leave it unset to use SQLite)');
  }
  const trustProxy = get(env, 'FUHE_TRUST_PROXY', '');
  return {
    env: nodeEnv === 'development' ? 'development' : nodeEnv === 'test' ? 'test' : 'production',
    port: getInt(env, 'PORT', 3000),
    dataDir,
    databaseUrl,
    sessionSecret: sessionSecret(env, dataDir),
    session: {
      cookieName: 'fuhe.sid',
      idleMinutes: getInt(env, 'FUHE_SESSION_IDLE_MINUTES', 30),
      absoluteHours: getInt(env, 'FUHE_SESSION_ABSOLUTE_HOURS', 12),
    },
    loginThrottle: {
      windowMinutes: getInt(env, 'FUHE_LOGIN_WINDOW_MINUTES', 15),
      maxFailuresPerAccount: getInt(env, 'FUHE_LOGIN_MAX_FAILURES_ACCOUNT', 5),
      maxFailuresPerAddress: getInt(env, 'FUHE_LOGIN_MAX_FAILURES_ADDRESS', 20),
    },
    trustProxy: trustProxy ? trustProxy : false,
    scryptCost: getInt(env, 'FUHE_SCRYPT_COST', 2 ** 15),
    publicUrl: get(env, 'FUHE_PUBLIC_URL', `http://localhost:${getInt(env, 'PORT', 3000)}`).replace(/\/+$/, ''),
    workers: Math.max(1, getInt(env, 'FUHE_WORKERS', 1)),
  };
}
