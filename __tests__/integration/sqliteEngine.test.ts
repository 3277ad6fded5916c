import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { createDatabase, Database, migrateToLatest, writeTransaction } from '../../server/data/database';
import { TEST_ENGINE } from '../helpers/testApp';

/** What data/database.ts promises of SQLite: its pragmas, IMMEDIATE write transactions, instants as text, real errors. */
const onSqlite = TEST_ENGINE === 'sqlite' ? describe : describe.skip;

/** A second connection to the file, as another process (an instance, the command line) has. */
function otherConnection(file: string) {
  const connection = new sqlite3.Database(file);
  const run = (sql: string) =>
    new Promise<number>((resolve, reject) =>
      connection.run(sql, function (this: { changes: number }, err) {
        if (err) reject(err);
        else resolve(this.changes);
      }),
    );
  return { run, close: () => new Promise<void>((resolve) => connection.close(() => resolve())) };
}

onSqlite('the SQLite engine', () => {
  let dir: string;
  let db: Database;
  const file = () => path.join(dir, 'fuhe.sqlite3');
  const insertAudit = (q: Database) =>
    writeTransaction(q, async (trx) => {
      await trx('audit_log').insert({ at: new Date(), action: 'test.fill', object_type: 'test', detail: '填充' });
    });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-engine-'));
    db = createDatabase({ dataDir: dir, databaseUrl: undefined });
    await migrateToLatest(db);
  });
  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the connection has foreign keys on, the log in WAL mode and a busy timeout', async () => {
    expect(await db.raw('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    expect(await db.raw('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await db.raw('PRAGMA busy_timeout')).toEqual([{ timeout: 10000 }]);
  });

  it('a write transaction holds the write lock from its first statement', async () => {
    const other = otherConnection(file());
    try {
      await writeTransaction(db, async (trx) => {
        await trx('users').count({ n: '*' });
        // Another process writing now is refused: this transaction began IMMEDIATE.
        await expect(
          other.run("insert into audit_log (at, action, object_type) values ('2026-01-01T00:00:00.000Z', 'x', 'y')"),
        ).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      });
      expect(
        await other.run(
          "insert into audit_log (at, action, object_type) values ('2026-01-01T00:00:00.000Z', 'x', 'y')",
        ),
      ).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("waiting for another process's write lock does not stop this process", async () => {
    const other = otherConnection(file());
    try {
      await other.run('BEGIN IMMEDIATE');
      let ticks = 0;
      const timer = setInterval(() => (ticks += 1), 5);
      let stored = false;
      const write = insertAudit(db).then(() => (stored = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      clearInterval(timer);
      expect(stored).toBe(false);
      expect(ticks).toBeGreaterThan(20); // timers, sockets and signals were served all along
      await other.run('COMMIT');
      await write;
      expect(stored).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('instants are stored as ISO-8601 text, and compare as instants', async () => {
    await insertAudit(db);
    const [row] = await db.raw("select typeof(at) as type, at from audit_log where action = 'test.fill'");
    expect(row.type).toBe('text');
    expect(row.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(
      await db('audit_log')
        .where('at', '>', new Date(Date.now() - 60_000))
        .count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
  });

  it('database errors are real errors, with their code', async () => {
    await insertAudit(db);
    const err = await db('audit_log')
      .update({ action: 'tampered' })
      .catch((e: unknown) => e);
    // An Error (by its tag: jest runs tests in a realm of their own).
    expect(Object.prototype.toString.call(err)).toBe('[object Error]');
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT', message: expect.stringContaining('append-only') });
  });
});
