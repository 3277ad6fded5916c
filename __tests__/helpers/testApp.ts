import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDatabaseFrom, dropDatabase, pgUrlFor } from './postgres';
import request from 'supertest';
import { createApp } from '../../server/app';
import { AuditContext } from '../../server/audit/repository';
import { Config, loadConfig } from '../../server/config';
import { createDatabase, Database } from '../../server/data/database';
import { Role } from '../../server/domain/roles';
import { createLogger } from '../../server/logger';
import { createServices, Services } from '../../server/services';
import { User } from '../../server/users/repository';

/** The engine this test file runs on: the jest project sets it (see jest.config.js). */
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.FUHE_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
/** For tests of SQLite-only behaviour (the database file, PRAGMAs). */
export const sqliteOnly = TEST_ENGINE === 'sqlite' ? it : it.skip;

export const TEST_PASSWORD = 'correct horse battery staple';
export const SETUP_CONTEXT: AuditContext = { actor: null, ip: 'test-setup', userAgent: 'jest', requestId: null };

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public current = new Date('2026-11-25T02:00:00Z')) {}
  now = (): Date => new Date(this.current.getTime());
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

export interface TestApp {
  db: Database;
  config: Config;
  services: Services;
  clock: TestClock;
  server: http.Server;
  baseUrl: string;
  dataDir: string;
  agent(): ReturnType<typeof request.agent>;
  createUser(
    username: string,
    role: Role,
    options?: { organisation?: string; password?: string; units?: string[]; departments?: string[] },
  ): Promise<User>;
  close(): Promise<void>;
}

/**
 * The real application on a copy of the golden database in a temporary directory, listening on
 * a free port. Nothing is shared between test files.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const golden = process.env.FUHE_GOLDEN_DIR;
  if (!golden) throw new Error('globalSetup did not run');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-test-'));
  let pgDatabase: string | undefined;
  if (TEST_ENGINE === 'postgres') {
    pgDatabase = await createDatabaseFrom(process.env.FUHE_GOLDEN_PG!);
    env = { DATABASE_URL: pgUrlFor(pgDatabase), ...env };
  } else fs.copyFileSync(path.join(golden, 'fuhe.sqlite3'), path.join(dataDir, 'fuhe.sqlite3'));
  const config = loadConfig({
    NODE_ENV: 'test',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'test-secret-'.padEnd(48, 'x'),
    // Announcements print where the public re-draws the sample; a test may unset it.
    FUHE_PUBLIC_URL: 'https://fuhe.example.gov.cn',
    ...env,
  });
  const db = createDatabase(config);
  const clock = new TestClock();
  const logger = createLogger({ silent: true });
  const services = createServices({ db, config, now: clock.now, logger });
  const app = createApp(services, { logger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    db,
    config,
    services,
    clock,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    agent: () => request.agent(server),
    async createUser(username, role, options = {}) {
      const { user } = await services.users.create(SETUP_CONTEXT, {
        username,
        displayName: username,
        role,
        organisation: options.organisation ?? (role === 'evaluator' ? '某某会计师事务所' : null),
        password: options.password ?? TEST_PASSWORD,
        coverage: role === 'unit' ? { units: options.units ?? [], departments: options.departments ?? [] } : null,
      });
      return user;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.refusals.close();
      if (TEST_ENGINE === 'sqlite') await expectInstantsAsText(db).catch(skipIfDestroyed);
      await db.destroy();
      if (pgDatabase) await dropDatabase(pgDatabase);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every instant the test file stored is ISO-8601 text, as data/database.ts binds them: a Date
 * that reached SQLite some other way would be a number that neither compares nor sorts with them.
 */
/** A test that stopped the database itself (to restore a backup, say) has nothing left to check. */
function skipIfDestroyed(err: Error): void {
  if (!/Unable to acquire a connection/.test(err.message)) throw err;
}

async function expectInstantsAsText(db: Database): Promise<void> {
  const tables = (await db.raw(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'knex_%'",
  )) as Array<{ name: string }>;
  for (const { name } of tables) {
    const columns = ((await db.raw(`PRAGMA table_info("${name}")`)) as Array<{ name: string; type: string }>).filter(
      (c) => c.type === 'datetime',
    );
    for (const column of columns) {
      const [row] = (await db.raw(
        `select count(*) as n from "${name}" where "${column.name}" is not null and typeof("${column.name}") <> 'text'`,
      )) as Array<{ n: number }>;
      if (row.n > 0) throw new Error(`${row.n} rows of ${name}.${column.name} hold an instant that is not ISO text`);
    }
  }
}

/**
 * A second instance of the application on the same database (and session secret): its own
 * process state, connection pool and port, as a second server behind a load balancer would be.
 */
export async function startSecondInstance(
  t: TestApp,
  /** Settings in which this instance differs from the first (its public address, say). */
  overrides: Partial<TestApp['config']> = {},
): Promise<{
  server: http.Server;
  baseUrl: string;
  db: Database;
  agent(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}> {
  const db = createDatabase(t.config);
  const logger = createLogger({ silent: true });
  const services = createServices({ db, config: { ...t.config, ...overrides }, now: t.clock.now, logger });
  const app = createApp(services, { logger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    db,
    baseUrl: `http://127.0.0.1:${port}`,
    agent: () => request.agent(server),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.refusals.close();
      await db.destroy();
    },
  };
}

/** An API client that sends a bearer token with every request. */
export function asBearer(t: Pick<TestApp, 'agent'>, token: string) {
  const agent = t.agent();
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (url: string) => agent.get(url).set(auth),
    post: (url: string) => agent.post(url).set(auth),
    put: (url: string) => agent.put(url).set(auth),
    patch: (url: string) => agent.patch(url).set(auth),
  };
}

/** The CSRF token of the first form in a page, as a browser would submit it. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

type Agent = ReturnType<typeof request.agent>;

/** Logs in through the real form (CSRF on), returning the response to the form's POST. */
export async function login(agent: Agent, username: string, password = TEST_PASSWORD) {
  const page = await agent.get('/login');
  return agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), username, password, next: '/' });
}

/** A page's CSRF token for the signed-in agent (from the dashboard's logout form). */
export async function csrfOf(agent: Agent, pagePath = '/'): Promise<string> {
  const page = await agent.get(pagePath);
  return csrfFrom(page.text);
}

export async function auditActions(db: Database): Promise<string[]> {
  const rows = (await db('audit_log').select('action').orderBy('id')) as Array<{ action: string }>;
  return rows.map((r) => r.action);
}

export async function lastAudit(db: Database, action: string) {
  return db('audit_log').where({ action }).orderBy('id', 'desc').first();
}

/** A supertest parser that keeps a binary answer (an .xlsx download) as a Buffer in `res.body`. */
export function binaryParser(res: request.Response, callback: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}
