import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '../../server/data/database';
import { startTestApp, TestApp, TEST_ENGINE } from '../helpers/testApp';

/** `npm run fuhe -- backup` while the server runs, then `restore` after it stops: on either engine. */

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-backup-'));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(TSX, ['scripts/fuhe.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, FUHE_DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl ?? '' },
  });
const roundTitles = async (db = t.db) =>
  ((await db('rounds').orderBy('id').select('title')) as Array<{ title: string }>).map((r) => r.title);
const lead = { actor: { id: 1, username: 'lead1', role: 'lead' }, ip: null, userAgent: null, requestId: null };

it('a backup taken while the server runs restores to exactly that state, and the replaced database is kept', async () => {
  await t.createUser('lead1', 'lead');
  await t.services.rounds.create(lead, {
    title: '备份前的批次',
    fiscalYear: 2023,
    bureau: null,
    workPlanRef: null,
    deadline: null,
  });
  const file = path.join(dir, TEST_ENGINE === 'postgres' ? 'fuhe.dump' : 'fuhe-backup.sqlite3');
  // The server is serving requests meanwhile.
  const [backup, health] = await Promise.all([cli('backup', file), t.agent().get('/healthz')]);
  expect(health.status).toBe(200);
  expect(backup.stdout).toContain(TEST_ENGINE === 'postgres' ? 'PostgreSQL backup written to' : 'integrity ok');
  await expect(cli('backup', file)).rejects.toMatchObject({ stderr: expect.stringContaining('文件已存在，不覆盖') });

  await t.services.rounds.create(lead, {
    title: '备份后的批次',
    fiscalYear: 2024,
    bureau: null,
    workPlanRef: null,
    deadline: null,
  });
  expect(await roundTitles()).toEqual(['备份前的批次', '备份后的批次']);

  // Stop the server, restore, start again.
  t.server.closeAllConnections();
  await new Promise((resolve) => t.server.close(resolve));
  await t.db.destroy();
  const restored = await cli('restore', file);
  expect(restored.stdout).toContain('restored from');
  const db = createDatabase(t.config);
  try {
    expect(await roundTitles(db)).toEqual(['备份前的批次']);
    expect(await db('users').where({ username: 'lead1' }).first('username')).toEqual({ username: 'lead1' });
    if (TEST_ENGINE === 'sqlite') {
      expect(restored.stdout).toContain('the replaced database is kept as');
      expect(fs.readdirSync(t.dataDir).some((n) => n.startsWith('fuhe.sqlite3.before-restore-'))).toBe(true);
      const [{ integrity_check: integrity }] = await db.raw('PRAGMA integrity_check');
      expect(integrity).toBe('ok');
    }
    // The append-only audit log is still append-only after a restore.
    await expect(db('audit_log').delete()).rejects.toThrow();
  } finally {
    await db.destroy();
  }
}, 60_000);

it('restoring something that is not a backup is refused and changes nothing', async () => {
  const junk = path.join(dir, 'junk.sqlite3');
  fs.writeFileSync(junk, 'not a database');
  if (TEST_ENGINE === 'sqlite') {
    const before = createDatabase(t.config);
    const titles = await roundTitles(before).finally(() => before.destroy());
    await expect(cli('restore', junk)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('无法读取备份文件'),
    });
    const db = createDatabase(t.config);
    try {
      expect(await roundTitles(db)).toEqual(titles);
    } finally {
      await db.destroy();
    }
  } else {
    await expect(cli('restore', junk)).rejects.toMatchObject({ code: 1 });
  }
  await expect(cli('restore', path.join(dir, 'missing'))).rejects.toMatchObject({
    stderr: expect.stringContaining('备份文件不存在'),
  });
}, 60_000);
