import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrateToLatest } from '../../server/data/database';
import { createDatabaseFrom, pgUrlFor } from './postgres';

/**
 * Migrates once into a golden database; each test file copies it (as Ghost's tests do): a
 * SQLite file always, and a PostgreSQL database when FUHE_TEST_PG_URL is set. Their names reach
 * the test workers through FUHE_GOLDEN_DIR and FUHE_GOLDEN_PG.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.FUHE_GOLDEN_DIR) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-golden-'));
    process.env.FUHE_GOLDEN_DIR = dir;
    const db = createDatabase({ dataDir: dir });
    await migrateToLatest(db);
    // Fold the WAL into the main file so that one file copy is the whole database.
    await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    await db.destroy();
  }
  if (process.env.FUHE_TEST_PG_URL && !process.env.FUHE_GOLDEN_PG) {
    const name = await createDatabaseFrom(null);
    const db = createDatabase({ dataDir: os.tmpdir(), databaseUrl: pgUrlFor(name) });
    await migrateToLatest(db);
    await db.destroy();
    process.env.FUHE_GOLDEN_PG = name;
  }
}
