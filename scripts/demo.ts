/**
 * `npm run demo`: the application on its own SQLite file (FUHE_DATA_DIR, default ./data-demo),
 * rebuilt from scratch on every start, with one account per role and the demo round.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { ROLE_LABELS } from '../server/domain/roles';
import { createLogger } from '../server/logger';
import { createServices } from '../server/services';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedDemo } from '../db/seeds/demo';

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.FUHE_DATA_DIR || './data-demo');
  if (process.env.DATABASE_URL) throw new Error('The demo runs on its own SQLite file; unset DATABASE_URL.');
  // The demo database is thrown away and rebuilt: it must never be a real one.
  if (fs.existsSync(dataDir) && !fs.existsSync(path.join(dataDir, '.fuhe-demo'))) {
    const entries = fs.readdirSync(dataDir);
    if (entries.length > 0)
      throw new Error(`${dataDir} is not a demo directory (no .fuhe-demo marker); refusing to wipe it.`);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, '.fuhe-demo'), 'This directory is rebuilt by `npm run demo`.\n');

  // The session secret is generated into the demo directory, like any install without one.
  // A demo on this machine publishes its announcements with a local address (unless one is set).
  const config = loadConfig({ FUHE_ALLOW_LOCAL_PUBLIC_URL: '1', ...process.env, FUHE_DATA_DIR: dataDir });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const logger = createLogger();
  const services = createServices({ db, config, now: () => new Date(), logger });
  await seedDemo(services);

  const server = http.createServer(createApp(services, { logger }));
  server.listen(config.port, () => {
    const lines = [
      '',
      `fuhe demo: http://localhost:${config.port}/   (data in ${dataDir}, rebuilt at every start)`,
      '',
      `  ${'用户名'.padEnd(10)} 角色`,
      ...DEMO_ACCOUNTS.map((a) => `  ${a.username.padEnd(12)} ${ROLE_LABELS[a.role]}（${a.displayName}）`),
      '',
      `  password for every demo account / 演示账号密码: ${DEMO_PASSWORD}`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
  const stop = () => server.close(() => db.destroy().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
