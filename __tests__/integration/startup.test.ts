import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '../../server/data/database';

/** The real entry points, as an operator runs them: `npm start` and `npm run fuhe`. */

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const execFileAsync = promisify(execFile);

/** Runs a command with standard input closed at once, as in CI (the CLI reads a password from it). */
function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const pending = execFileAsync(file, args, options);
  pending.child.stdin?.end();
  return pending;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output()}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`server did not start: ${output()}`);
}

describe('npm start and the command line on an empty data directory', () => {
  let dataDir: string;
  let child: ChildProcess;
  let output = '';
  let base: string;
  const env = () => ({ ...process.env, NODE_ENV: 'test', FUHE_DATA_DIR: dataDir, PORT: '', DATABASE_URL: '' });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-start-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(TSX, ['server/main.ts'], { cwd: ROOT, env: { ...env(), PORT: String(port) } });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor(`${base}/healthz`, child, () => output);
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, serves /healthz and says how to create the first admin', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok', db: 'sqlite' });
    expect(fs.existsSync(path.join(dataDir, 'fuhe.sqlite3'))).toBe(true);
    expect(output).toContain('npm run fuhe -- user add');
  });

  it('/login is a Chinese page with a CSP and no inline script', async () => {
    const res = await fetch(`${base}/login`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('绩效自评抽查复核工作台');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // Structured logs: one JSON object per line, the request's line carrying its X-Request-Id.
    const id = res.headers.get('x-request-id');
    await new Promise((r) => setTimeout(r, 200));
    const line = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.message === 'request' && l.requestId === id);
    expect(line).toMatchObject({ level: 'info', app: 'fuhe', method: 'GET', path: '/login', status: 200 });
  });

  it("`fuhe user add` and `fuhe token create` work against the running server's data directory", async () => {
    const add = await run(TSX, ['scripts/fuhe.ts', 'user', 'add', 'zhang', '--role', 'lead', '--name', '张组长'], {
      cwd: ROOT,
      env: { ...env(), FUHE_PASSWORD: 'a long enough password' },
    });
    expect(add.stdout).toContain('created user zhang (lead)');
    const created = await run(TSX, ['scripts/fuhe.ts', 'token', 'create', 'zhang'], { cwd: ROOT, env: env() });
    const token = created.stdout.trim().split('\n').pop()!;
    expect(token).toMatch(/^fuhe_[\w-]{43}$/);

    expect((await fetch(`${base}/api/rounds`)).status).toBe(401);
    const ok = await fetch(`${base}/api/rounds`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ items: [] });

    await run(TSX, ['scripts/fuhe.ts', 'token', 'revoke', token], { cwd: ROOT, env: env() });
    expect((await fetch(`${base}/api/rounds`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('`fuhe user add` generates a password when none is given, and `user disable` locks the account', async () => {
    const add = await run(TSX, ['scripts/fuhe.ts', 'user', 'add', 'li', '--role', 'evaluator', '--org', '某评价机构'], {
      cwd: ROOT,
      env: env(),
    });
    const password = add.stdout.trim().split('\n').pop()!;
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    const disabled = await run(TSX, ['scripts/fuhe.ts', 'user', 'disable', 'li'], { cwd: ROOT, env: env() });
    expect(disabled.stdout).toContain('disabled user li');
  });

  it('bad command-line input is refused in Chinese with a non-zero exit', async () => {
    await expect(
      run(TSX, ['scripts/fuhe.ts', 'user', 'add', 'x1', '--role', 'boss'], { cwd: ROOT, env: env() }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role 须为'),
    });
    await expect(
      run(TSX, ['scripts/fuhe.ts', 'token', 'create', 'nobody'], { cwd: ROOT, env: env() }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('用户"nobody"不存在'),
    });
  });
});

it('npm start stops cleanly on SIGTERM', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-stop-'));
  const port = await freePort();
  let output = '';
  const child = spawn(TSX, ['server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', FUHE_DATA_DIR: dataDir, DATABASE_URL: '', PORT: String(port) },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`, child, () => output);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('a database newer than the code', () => {
  it('refuses to start', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-newer-'));
    try {
      await run(TSX, ['scripts/fuhe.ts', 'migrate'], { cwd: ROOT, env: { ...process.env, FUHE_DATA_DIR: dataDir } });
      const db = createDatabase({ dataDir, databaseUrl: undefined });
      try {
        await db('knex_migrations').insert({ name: '29990101000000_future', batch: 9, migration_time: 0 });
      } finally {
        await db.destroy();
      }
      await expect(
        run(TSX, ['server/main.ts'], { cwd: ROOT, env: { ...process.env, FUHE_DATA_DIR: dataDir, PORT: '0' } }),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('upgraded by a newer version'),
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a setting that is wrong', () => {
  it.each([
    ['FUHE_SESSION_IDLE_MINUTES', '0'],
    ['FUHE_TRUST_PROXY', 'not an address!'],
  ])('%s=%s stops start-up with a message naming it', async (name, value) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-setting-'));
    try {
      await expect(
        run(TSX, ['server/main.ts'], {
          cwd: ROOT,
          env: { ...process.env, FUHE_DATA_DIR: dataDir, PORT: '0', [name]: value },
        }),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining(`fuhe failed to start: Setting ${name}`),
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
