import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrateToLatest } from '../../server/data/database';

/**
 * Migrates once into a golden database file; each test file copies it (as Ghost's tests do).
 * The directory reaches the test workers through FUHE_GOLDEN_DIR.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-golden-'));
  process.env.FUHE_GOLDEN_DIR = dir;
  const db = createDatabase({ dataDir: dir });
  await migrateToLatest(db);
  // Fold the WAL into the main file so that one file copy is the whole database.
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.destroy();
}
