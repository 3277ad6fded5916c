import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import knex from 'knex';
import { Config, sqliteFile } from '../config';
import { createDatabase, migrationStatus } from './database';

/**
 * Backups and restores. SQLite: `VACUUM INTO`, a consistent copy taken while the server runs
 * (evidence files are in the database, so the copy is the whole installation). PostgreSQL:
 * `pg_dump` in its custom format, restored with `pg_restore`. A restore checks the backup first
 * and, on SQLite, keeps the database it replaces beside it.
 */

const run = promisify(execFile);

export class BackupError extends Error {}

export async function backup(config: Config, file: string): Promise<string> {
  const target = path.resolve(file);
  if (fs.existsSync(target)) throw new BackupError(`文件已存在，不覆盖：${target}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (config.databaseUrl) {
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${target}`, config.databaseUrl], { maxBuffer: 16 * 1024 * 1024 });
    return `PostgreSQL backup written to ${target} (${fs.statSync(target).size} bytes)`;
  }
  const db = createDatabase(config);
  try {
    await db.raw('VACUUM INTO ?', [target]);
  } finally {
    await db.destroy();
  }
  const check = await checkSqlite(target);
  return `SQLite backup written to ${target} (${fs.statSync(target).size} bytes, ${check.migrations} migrations, integrity ok)`;
}

/** Opens a SQLite file (a copy, or the backup itself: only read) and checks it is a sound fuhe database. */
async function checkSqlite(file: string): Promise<{ migrations: number }> {
  // Read-only, through SQLite's URI form (knex opens files read-write unless the URI says otherwise).
  const db = knex({ client: 'sqlite3', connection: { filename: `${pathToFileURL(file).href}?mode=ro`, flags: ['OPEN_URI'] }, useNullAsDefault: true });
  try {
    const [{ integrity_check: integrity }] = (await db.raw('PRAGMA integrity_check')) as Array<{ integrity_check: string }>;
    if (integrity !== 'ok') throw new BackupError(`备份文件已损坏（integrity_check：${integrity}）`);
    if (!(await db.schema.hasTable('knex_migrations'))) throw new BackupError('这不是 fuhe 的数据库备份（没有迁移记录）');
    const status = await migrationStatus(db);
    if (status.unknown.length) throw new BackupError(`备份来自更新版本的 fuhe（${status.unknown.join(', ')}），请用该版本恢复`);
    return { migrations: status.applied.length };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`无法读取备份文件：${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await db.destroy();
  }
}

/** Replaces the database with a backup. The server must be stopped (the README says so). */
export async function restore(config: Config, file: string, at = new Date()): Promise<string> {
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new BackupError(`备份文件不存在：${source}`);
  if (config.databaseUrl) {
    await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', `--dbname=${config.databaseUrl}`, source], { maxBuffer: 16 * 1024 * 1024 });
    return `PostgreSQL database restored from ${source}`;
  }
  await checkSqlite(source);
  const live = sqliteFile(config);
  fs.mkdirSync(path.dirname(live), { recursive: true });
  let kept = '';
  if (fs.existsSync(live)) {
    // Fold the live WAL into its file, then keep that file beside the restored one.
    const db = createDatabase(config);
    try {
      await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    } finally {
      await db.destroy();
    }
    kept = `${live}.before-restore-${at.toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(live, kept);
  }
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${live}${suffix}`, { force: true });
  const temporary = `${live}.restoring`;
  fs.copyFileSync(source, temporary);
  fs.renameSync(temporary, live);
  return `SQLite database restored from ${source}${kept ? `; the replaced database is kept as ${kept}` : ''}`;
}
