import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  if (process.env.FUHE_GOLDEN_DIR) fs.rmSync(process.env.FUHE_GOLDEN_DIR, { recursive: true, force: true });
}
