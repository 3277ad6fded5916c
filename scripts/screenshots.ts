/**
 * `npm run screenshots`: the demo in a temporary directory, photographed by Debian's Chromium
 * (playwright-core; no downloaded browser) into docs/screenshots/.
 */
import { execFileSync } from 'node:child_process';
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
  const config = loadConfig({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'screenshots-'.padEnd(48, 's'),
    // The address the announcements print, as a bureau's would be.
    FUHE_PUBLIC_URL: 'https://fuhe.czj.taikang.example.gov.cn',
  });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const services = createServices({ db, config, now: () => new Date() });
  await seedDemo(services);
  const server = http.createServer(createApp(services, { logger: createLogger({ silent: true }) }));
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
    await page.goto(`${base}/rounds/1/population`);
    await shot('population');
    await page.goto(`${base}/rounds/1/population/records/2023-P004`);
    await shot('population-record');
    // A refused file, uploaded through the form (with its progress bar) into a new round: every problem listed.
    await page.goto(`${base}/rounds/new`);
    await page.fill('input[name=title]', '2024年度绩效自评结果抽查复核');
    await page.fill('input[name=fiscalYear]', '2024');
    await Promise.all([page.waitForURL(/\/rounds\/\d+\?created=1/), page.click('#main button[type=submit]')]);
    await page.goto(page.url().replace(/\?created=1$/, '/population'));
    const bad = [
      '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,执行数（万元）,自评得分,自评等级,报送日期',
      '项目支出,2023-P101,县民政局,县民政局,临时救助,"1,2.5",10,92,优,2024-03-05',
      '项目支出,2023-P102,县民政局,县民政局,,35,-2,88,良,2024-03-06',
      '专项,2023-P103,县民政局,县民政局,养老服务,20,18,101,优,2024-02-30',
      '项目支出,2023-P101,县民政局,县民政局,重复编码,5,5,90,优,2024-03-05',
    ].join('\r\n');
    await page.setInputFiles('#f-file', {
      name: '自评汇总-有错误.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(bad),
    });
    await page.click('#import button[type=submit]');
    await page.waitForSelector('#import-errors');
    await shot('population-import-errors');
    // The demo round was drawn at seeding; the draw page shows the planner and the preview.
    await page.goto(`${base}/rounds/1/sample`);
    await shot('sample');
    const publicUrl = await page.getAttribute('a:text("公开核验页")', 'href');
    await page.goto(`${base}/rounds/1/draw`);
    await page.fill('#f-seed', '福彩3D 2024年第60期');
    await page.fill('#f-min', '5000');
    await page.fill('#p-acc', '1');
    await Promise.all([page.waitForNavigation(), page.click('button:text("计算")')]);
    await page.click('button:text("用作抽样数量")');
    await Promise.all([page.waitForNavigation(), page.click('button:text("预览各类可抽数量")')]);
    await shot('draw');
    await page.goto(`${base}${publicUrl}`);
    // The check in the browser, run: every published pick drawn again in the page.
    await page.click('button:text("在浏览器中核验")');
    await page.locator('[data-verdict]').waitFor();
    await shot('draw-public');
    await page.goto(`${base}/rounds/1/assignments`);
    await shot('assignments');
    // A submitted review with indicator deductions, as the lead sees it (confirm, return, history).
    await page.goto(`${base}/rounds/1/items/2023-P005`);
    await shot('review');
    await page.goto(`${base}/rounds/1/items/2023-P005/history`);
    await shot('review-history');
    await page.click('.site-header button.link-button');
    await signIn('reviewer');
    await page.goto(`${base}/work`);
    await shot('my-work');
    // The reviewer's own review page: the first item of theirs still open to edit.
    const open = page
      .locator('tr', { hasText: /未开始|草稿|已退回/ })
      .locator('a[href*="/items/"]')
      .first();
    await Promise.all([page.waitForNavigation(), open.click()]);
    await shot('review-reviewer');
    await page.click('.site-header button.link-button');
    await signIn('evaluator');
    await page.goto(`${base}/rounds/1/conflicts`);
    await shot('conflicts');
    await page.click('.site-header button.link-button');
    await signIn('unit');
    // A unit's contact: 我的单位, an item with its feedback and the team's response, one with an open request.
    await shot('unit-home');
    await page.goto(`${base}/rounds/1/items/2023-P020`);
    await shot('unit-item');
    await page.goto(`${base}/rounds/1/items/2023-P016`);
    await shot('unit-request');
    // Last year's rectification returned to the unit (2022-P015, 县中医医院 under 县卫生健康委员会).
    await page.goto(`${base}/`);
    await Promise.all([page.waitForNavigation(), page.click('text=整改被退回，请重新整改')]);
    await shot('unit-rectification');
    await page.click('.site-header button.link-button');
    await signIn('official');
    await shot('dashboard-official');
    // 整改情况 of last year's round, and 结果应用 with its charts.
    await page.goto(`${base}/rounds/2/rectifications`);
    await shot('rectifications');
    await page.goto(`${base}/results`);
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 2);
    await shot('results');
    await page.click('.site-header button.link-button');
    await signIn('lead');
    // The announcement: last year's, published (charts drawn by chart.js), and this year's draft in the editor.
    await page.goto(`${base}/rounds/2/announcement`);
    await page.waitForTimeout(600);
    await shot('announcement');
    await page.locator('.charts').screenshot({ path: path.join(OUT, 'announcement-charts.png') });
    process.stdout.write('docs/screenshots/announcement-charts.png\n');
    const publicHref = await page.getAttribute('a:text("公开页面")', 'href');
    await page.goto(`${base}/rounds/1/announcement`);
    await Promise.all([page.waitForURL(/done=compiled/), page.click('text=生成公示稿')]);
    await shot('announcement-draft');
    await page.goto(`${base}/rounds/1/announcement/edit`);
    await shot('announcement-editor');
    await page.goto(`${base}/rounds/new`);
    await page.click('#main button[type=submit]');
    await shot('round-new-errors');
    // The public page as a citizen reads it: desktop, phone, and printed on A4.
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const reader = await visitor.newPage();
    await reader.goto(`${base}${publicHref}`);
    await reader.waitForTimeout(600);
    await reader.screenshot({ path: path.join(OUT, 'announcement-public.png'), fullPage: true });
    // The closing (公示期, 异议) and the appendix (seed, fingerprint, every draw), as the public reads them.
    const closing = reader.locator('[data-section="publicity"], [data-section="appendix"]');
    const boxes = await closing.evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left, width: r.width };
      }),
    );
    if (boxes.length) {
      const top = Math.min(...boxes.map((b) => b.top)) - 16;
      const bottom = Math.max(...boxes.map((b) => b.bottom)) + 16;
      await reader.screenshot({
        path: path.join(OUT, 'announcement-appendix.png'),
        fullPage: true,
        clip: { x: boxes[0].left - 24, y: top, width: boxes[0].width + 48, height: bottom - top },
      });
    }
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    const phonePage = await phone.newPage();
    await phonePage.goto(`${base}${publicHref}`);
    await phonePage.waitForTimeout(600);
    await phonePage.screenshot({ path: path.join(OUT, 'announcement-public-phone.png'), fullPage: true });
    await phone.close();
    // Printed by Chromium on A4 with the print stylesheet (公文 margins), first page as PNG.
    const printed = path.join(os.tmpdir(), `fuhe-print-${process.pid}.pdf`);
    await reader.pdf({ path: printed, preferCSSPageSize: true, format: 'A4' });
    try {
      execFileSync(
        'pdftoppm',
        ['-r', '60', '-f', '1', '-l', '1', '-singlefile', '-png', printed, path.join(OUT, 'announcement-public-a4')],
        { stdio: 'pipe' },
      );
    } finally {
      fs.rmSync(printed, { force: true });
    }
    process.stdout.write('docs/screenshots/announcement-public{,-phone,-a4}.png\n');
    await wordPages(`${base}${publicHref}.docx`);
    await visitor.close();
    await page.goto(`${base}/rounds/2/rectifications/report`);
    await shot('rectification-report');
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

/** The Word export converted by LibreOffice, its first two pages as PNG (skipped without soffice). */
async function wordPages(url: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-docx-'));
  try {
    const docx = Buffer.from(await (await fetch(url)).arrayBuffer());
    fs.writeFileSync(path.join(dir, 'announcement.docx'), docx);
    execFileSync(
      'soffice',
      [
        `-env:UserInstallation=file://${dir}/profile`,
        '--headless',
        '--convert-to',
        'pdf',
        '--outdir',
        dir,
        path.join(dir, 'announcement.docx'),
      ],
      { stdio: 'pipe', timeout: 120_000 },
    );
    execFileSync(
      'pdftoppm',
      [
        '-r',
        '60',
        '-f',
        '1',
        '-l',
        '2',
        '-png',
        path.join(dir, 'announcement.pdf'),
        path.join(OUT, 'announcement-docx'),
      ],
      { stdio: 'pipe' },
    );
    process.stdout.write('docs/screenshots/announcement-docx-{1,2}.png\n');
  } catch (err) {
    process.stdout.write(
      `Word pages skipped (needs soffice and pdftoppm): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`screenshots failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
