import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { createDatabase, Database, migrateToLatest } from '../../server/data/database';
import { listCategoryTitles } from '../../server/findings/repository';
import { TEST_ENGINE } from '../helpers/testApp';

/** What data/database.ts promises of SQLite: checkpoints off the request path, IMMEDIATE transactions, real errors. */
const onSqlite = TEST_ENGINE === 'sqlite' ? describe : describe.skip;

onSqlite('the SQLite engine', () => {
  let dir: string;
  const opened: Database[] = [];
  const open = async (backgroundCheckpoints: boolean) => {
    const db = createDatabase({ dataDir: dir, databaseUrl: undefined }, { backgroundCheckpoints });
    opened.push(db);
    await migrateToLatest(db);
    return db;
  };
  const file = () => path.join(dir, 'fuhe.sqlite3');
  const insertAudit = (db: Database, n: number) =>
    db.transaction(async (trx) => {
      for (let i = 0; i < n; i += 1) await trx('audit_log').insert({ at: new Date(), action: 'test.fill', object_type: 'test', detail: `填充${i}`.padEnd(1500, '字') });
    });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-engine-'));
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the server checkpoints the log on a thread of its own, never in a commit', async () => {
    const db = await open(true);
    expect(await db.raw('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
    const before = fs.statSync(file()).size;
    await insertAudit(db, 2000); // about 9 MB of text: SQLite alone would checkpoint in these commits
    let grown = 0;
    for (let i = 0; i < 40 && grown < 5_000_000; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      grown = fs.statSync(file()).size - before;
    }
    // The rows reached the database file itself, which only a checkpoint writes.
    expect(grown).toBeGreaterThan(5_000_000);
  });

  it('a short-lived command keeps SQLite\'s own checkpoints', async () => {
    const db = await open(false);
    expect(await db.raw('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 1000 }]);
  });

  it('a transaction holds the write lock from its first statement', async () => {
    const db = await open(false);
    const other = new Sqlite(file(), { timeout: 0 });
    try {
      await db.transaction(async (trx) => {
        await trx('users').count({ n: '*' });
        // Another process writing now is refused at once: this transaction began IMMEDIATE.
        expect(() => other.prepare("insert into audit_log (at, action, object_type) values ('2026-01-01', 'x', 'y')").run()).toThrow(/locked|busy/i);
      });
      expect(other.prepare("insert into audit_log (at, action, object_type) values ('2026-01-01', 'x', 'y')").run().changes).toBe(1);
    } finally {
      other.close();
    }
  });

  it('waiting for another process\'s write lock does not stop this process', async () => {
    const db = await open(false);
    const other = new Sqlite(file(), { timeout: 0 });
    try {
      other.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const timer = setInterval(() => (ticks += 1), 5);
      let stored = false;
      const write = insertAudit(db, 1).then(() => (stored = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      clearInterval(timer);
      expect(stored).toBe(false);
      expect(ticks).toBeGreaterThan(20); // timers, sockets and signals were served all along
      other.exec('COMMIT');
      await write;
      expect(stored).toBe(true);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a prepared read outside a transaction waits for another\'s open transaction and never sees its writes; inside it, it does', async () => {
    const db = await open(false);
    const before = (await listCategoryTitles(db)).map((c) => c.code);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside: string[] = [];
    const writer = db.transaction(async (trx) => {
      await trx('finding_categories').insert({ code: 'T99', title: '未提交的类别', recommendation: '—', builtin: false });
      inside = (await listCategoryTitles(trx)).map((c) => c.code);
      await held;
      throw new Error('rolled back');
    }).catch((err: Error) => err.message);
    await new Promise((r) => setTimeout(r, 20));
    let outsideDone = false;
    const outside = listCategoryTitles(db).then((list) => {
      outsideDone = true;
      return list.map((c) => c.code);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(outsideDone).toBe(false);
    expect(inside).toContain('T99');
    release();
    expect(await writer).toBe('rolled back');
    expect(await outside).toEqual(before);
  });

  it('database errors are real errors, with their code', async () => {
    const db = await open(false);
    await insertAudit(db, 1);
    const err = await db('audit_log').update({ action: 'tampered' }).catch((e: unknown) => e);
    expect(Object.prototype.toString.call(err)).toBe('[object Error]');
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_TRIGGER', message: expect.stringContaining('append-only') });
  });
});
