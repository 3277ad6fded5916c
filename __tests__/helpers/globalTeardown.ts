import fs from 'node:fs';
import { dropDatabase } from './postgres';

export default async function globalTeardown(): Promise<void> {
  if (process.env.FUHE_GOLDEN_DIR) fs.rmSync(process.env.FUHE_GOLDEN_DIR, { recursive: true, force: true });
  delete process.env.FUHE_GOLDEN_DIR;
  if (process.env.FUHE_GOLDEN_PG) await dropDatabase(process.env.FUHE_GOLDEN_PG);
  delete process.env.FUHE_GOLDEN_PG;
}
