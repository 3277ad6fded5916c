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

function getInt(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = get(env, name, String(fallback));
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`Setting ${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * FUHE_TRUST_PROXY as Express takes it: `true` (every proxy), a hop count, or addresses and
 * names (`loopback`, `10.0.0.0/8`, comma-separated), checked here so that a typo stops start-up
 * with a clear message rather than the first request.
 */
function trustProxyOf(raw: string): boolean | number | string {
  const value = raw.trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('proxy-addr') as { compile(v: string[]): unknown }).compile(value.split(',').map((v) => v.trim()));
  } catch (err) {
    throw new Error(
      `Setting FUHE_TRUST_PROXY must be true, a number of proxies, or addresses such as loopback or 10.0.0.1: ${(err as Error).message}`,
    );
  }
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
  trustProxy: boolean | number | string;
  /** Refusals (rejected tokens, anonymous API calls, 403s) per source, audited once per window. */
  refusals: {
    windowSeconds: number;
    /** Anonymous refusals from one address in a window before its anonymous requests get 429. */
    limitPerAddress: number;
  };
  /** Reading uploaded spreadsheets (files/reader.ts): the reader thread's limits. */
  uploads: {
    /** The most a workbook may inflate to (all its parts), in MB. */
    maxInflatedMb: number;
    /** The reader thread's heap, in MB. */
    readerHeapMb: number;
    /** How long reading one file may take, in seconds. */
    readerTimeoutSeconds: number;
  };
  /** scrypt cost parameter N (a power of two). */
  scryptCost: number;
  /** The address the public reaches the application at, for links printed in announcements. */
  publicUrl: string;
  /**
   * Why the public cannot reach `publicUrl` (unset, localhost, a private address), or null. An
   * announcement printed with it cannot be checked by anyone outside, so it is not published,
   * unless FUHE_ALLOW_LOCAL_PUBLIC_URL says this is a demo or a test machine.
   */
  publicUrlProblem: string | null;
  allowLocalPublicUrl: boolean;
}

/** Why a public address is not one the public can reach, or null when it may be. */
export function publicUrlProblem(url: string | undefined): string | null {
  if (!url) return '没有设置对外网址（FUHE_PUBLIC_URL），公示中的核验网址将是 localhost，外部无法访问';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `对外网址（FUHE_PUBLIC_URL）"${url}"不是有效的网址`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return `对外网址（FUHE_PUBLIC_URL）"${url}"须以 https:// 或 http:// 开头`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host);
  const [a, b] = ipv4 ? [Number(ipv4[1]), Number(ipv4[2])] : [NaN, NaN];
  const isPrivate =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.local') ||
    host.endsWith('.internal') ||
    (!ipv4 && !host.includes(':') && !host.includes('.')) ||
    (ipv4 !== null &&
      (a === 10 ||
        a === 127 ||
        a === 0 ||
        (a === 169 && b === 254) ||
        (a === 172 && b >= 16 && b <= 31) ||
        (a === 192 && b === 168) ||
        (a === 100 && b >= 64 && b <= 127))) ||
    host === '::1' ||
    host === '::' ||
    /^f[cd][0-9a-f]{2}:/.test(host) ||
    /^fe[89ab][0-9a-f]:/.test(host);
  return isPrivate ? `对外网址（FUHE_PUBLIC_URL）"${url}"是本机或内网地址，外部无法访问公示中的核验网址` : null;
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

function scryptCostOf(n: number): number {
  if ((n & (n - 1)) !== 0) throw new Error(`Setting FUHE_SCRYPT_COST must be a power of two, got ${n}`);
  return n;
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
  return {
    env: nodeEnv === 'development' ? 'development' : nodeEnv === 'test' ? 'test' : 'production',
    port: getInt(env, 'PORT', 3000, { max: 65535 }),
    dataDir,
    databaseUrl,
    sessionSecret: sessionSecret(env, dataDir),
    session: {
      cookieName: 'fuhe.sid',
      idleMinutes: getInt(env, 'FUHE_SESSION_IDLE_MINUTES', 30, { min: 1, max: 24 * 60 }),
      absoluteHours: getInt(env, 'FUHE_SESSION_ABSOLUTE_HOURS', 12, { min: 1, max: 24 * 30 }),
    },
    loginThrottle: {
      windowMinutes: getInt(env, 'FUHE_LOGIN_WINDOW_MINUTES', 15, { min: 1, max: 24 * 60 }),
      maxFailuresPerAccount: getInt(env, 'FUHE_LOGIN_MAX_FAILURES_ACCOUNT', 5, { min: 1, max: 1000 }),
      maxFailuresPerAddress: getInt(env, 'FUHE_LOGIN_MAX_FAILURES_ADDRESS', 20, { min: 1, max: 100_000 }),
    },
    trustProxy: trustProxyOf(get(env, 'FUHE_TRUST_PROXY', '')),
    refusals: {
      windowSeconds: getInt(env, 'FUHE_REFUSAL_WINDOW_SECONDS', 60, { min: 1, max: 3600 }),
      limitPerAddress: getInt(env, 'FUHE_REFUSALS_PER_ADDRESS', 30, { min: 1, max: 100_000 }),
    },
    uploads: {
      maxInflatedMb: getInt(env, 'FUHE_UPLOAD_MAX_INFLATED_MB', 100, { min: 1, max: 4096 }),
      readerHeapMb: getInt(env, 'FUHE_READER_HEAP_MB', 1024, { min: 32, max: 16384 }),
      readerTimeoutSeconds: getInt(env, 'FUHE_READER_TIMEOUT_SECONDS', 120, { min: 1, max: 3600 }),
    },
    scryptCost: scryptCostOf(getInt(env, 'FUHE_SCRYPT_COST', 2 ** 15, { min: 2 ** 10, max: 2 ** 20 })),
    publicUrl: get(env, 'FUHE_PUBLIC_URL', `http://localhost:${getInt(env, 'PORT', 3000)}`).replace(/\/+$/, ''),
    publicUrlProblem: publicUrlProblem(get(env, 'FUHE_PUBLIC_URL', '') || undefined),
    allowLocalPublicUrl: get(env, 'FUHE_ALLOW_LOCAL_PUBLIC_URL', '') === '1',
  };
}
