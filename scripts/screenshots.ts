/**
 * `npm run screenshots`: the demo in a temporary directory, photographed by Debian's Chromium
 * (playwright-core; no downloaded browser) into docs/screenshots/.
 */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createLogger } from '../server/logger';
import { createServices } from '../server/services';
import { DEMO_PASSWORD, seedDemo } from '../db/seeds/demo';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';

const OUT = path.resolve(__dirname, '../docs/screenshots');

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-shots-'));
  const config = loadConfig({ NODE_ENV: 'production', FUHE_DATA_DIR: dataDir, FUHE_SESSION_SECRET: 'screenshots-'.padEnd(48, 's') });
  const db = createDatabase(config);
  await migrateToLatest(db);
  await seedDemo(createServices({ db, config, now: () => new Date() }));
  const server = http.createServer(createApp({ db, config, logger: createLogger({ silent: true }) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    fs.mkdirSync(OUT, { recursive: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const shot = async (name: string) => {
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      process.stdout.write(`docs/screenshots/${name}.png\n`);
    };
    const signIn = async (username: string) => {
      await page.goto(`${base}/login`);
      await page.fill('#username', username);
      await page.fill('#password', DEMO_PASSWORD);
      await Promise.all([page.waitForURL(`${base}/`), page.click('#main button[type=submit]')]);
    };

    await page.goto(`${base}/login`);
    await shot('login');
    await signIn('lead');
    await shot('dashboard');
    await page.click('text=2023年度绩效自评结果抽查复核');
    await shot('round');
    await page.goto(`${base}/rounds/new`);
    await page.click('#main button[type=submit]');
    await shot('round-new-errors');
    await page.goto(`${base}/account`);
    await page.fill('#token-name', '预算一体化系统对接');
    await page.click('#main form[action="/account/tokens"] button[type=submit]');
    await shot('account-tokens');
    await page.click('.site-header button.link-button');
    await signIn('admin');
    await page.goto(`${base}/admin/users`);
    await shot('admin-users');
    await page.goto(`${base}/admin/audit`);
    await shot('admin-audit');
  } finally {
    await browser.close();
    server.close();
    await db.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`screenshots failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
