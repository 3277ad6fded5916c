/// <reference lib="dom" />
import fs from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';
import { DEMO_PASSWORD, seedDemo } from '../../db/seeds/demo';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';
import { startTestApp, TestApp } from '../helpers/testApp';

/**
 * The announcement in a real browser, on the demo data: the lead starts a correction of last
 * year's published announcement, the official publishes it, and a visitor reads both versions on
 * a phone, with the charts drawn.
 */

const describeIfBrowser = fs.existsSync(CHROMIUM_PATH) ? describe : describe.skip;

describeIfBrowser('the announcement in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ FUHE_SCRYPT_COST: '1024' });
    await seedDemo(t.services);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });
  // Each test's pages are checked on their own (a refused page's console error belongs to its test).
  beforeEach(() => {
    problems.length = 0;
  });

  async function open(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await (await browser.newContext({ viewport, locale: 'zh-CN' })).newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('response', (res) => {
      if (res.status() >= 500) problems.push(`${res.status()} ${res.url()}`);
    });
    return page;
  }

  async function signIn(page: Page, username: string) {
    await page.goto(`${t.baseUrl}/login`);
    await page.fill('#username', username);
    await page.fill('#password', DEMO_PASSWORD);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#main button[type=submit]')]);
  }

  /** Whether a chart canvas has anything drawn on it. */
  const drawn = (page: Page, name: string) =>
    page.locator(`canvas[data-chart="${name}"]`).evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    });

  it('a correction: the lead compiles and explains it, the official publishes, a visitor reads both versions on a phone', async () => {
    const lead = await open();
    await signIn(lead, 'lead');
    await lead.goto(`${t.baseUrl}/rounds/2/announcement`);
    await expect(lead.locator('h1').textContent()).resolves.toContain('已公示');
    for (const chart of ['grades', 'scatter', 'deviation', 'problems'])
      await expect(drawn(lead, chart)).resolves.toBe(true);

    await Promise.all([lead.waitForURL(/done=compiled/), lead.click('text=按最新复核结果重新生成')]);
    await expect(lead.locator('h1').textContent()).resolves.toContain('草稿');
    await lead.click('text=编辑文字');
    // Every input has a label; the correction note is required before submission.
    const unlabelled = await lead
      .locator('form.editor__form textarea, form.editor__form input:not([type=hidden])')
      .evaluateAll((els) =>
        els
          .filter((el) => !(el.id && document.querySelector(`label[for="${el.id}"]`)))
          .map((el) => (el as HTMLInputElement).name),
      );
    expect(unlabelled).toEqual([]);
    await lead.fill('#correctionNote', '补充了整改期限的说明');
    await lead.fill(
      '[name="section:rectification"]',
      '请被抽查的部门（单位）于{整改期限}前整改完毕，书面报送{财政局}。',
    );
    await Promise.all([lead.waitForURL(/done=saved/), lead.click('.editor__form button[type=submit]:text("保存")')]);
    await expect(lead.locator('.gongwen').textContent()).resolves.toContain(
      '请被抽查的部门（单位）于2023年8月31日前整改完毕，书面报送太康县财政局。',
    );
    await Promise.all([lead.waitForURL(/done=submitted/), lead.click('text=提交分管领导审批')]);

    const official = await open();
    await signIn(official, 'official');
    await official.goto(`${t.baseUrl}/rounds/2/announcement`);
    official.on('dialog', (dialog) => dialog.accept());
    await Promise.all([official.waitForURL(/done=published/), official.click('text=批准并发布')]);
    const publicHref = (await official.getAttribute('a:text("公开页面")', 'href'))!;
    expect(publicHref).toMatch(/^\/p\/2022-[0-9a-f]{12}\/v\/2$/);

    const visitor = await open({ width: 390, height: 844 });
    await visitor.goto(`${t.baseUrl}${publicHref.replace(/\/v\/2$/, '')}`);
    await expect(visitor.locator('.gongwen__title').textContent()).resolves.toBe(
      '太康县财政局关于2022年度绩效自评结果抽查复核情况的公示',
    );
    await expect(visitor.locator('.gongwen__note').textContent()).resolves.toContain('补充了整改期限的说明');
    // Readable on a phone: nothing wider than the screen.
    expect(await visitor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const chart of ['grades', 'scatter', 'deviation', 'problems'])
      await expect(drawn(visitor, chart)).resolves.toBe(true);
    await visitor.click('text=第1版');
    await expect(visitor.locator('.alert--warn').textContent()).resolves.toContain('已有更正后的版本');
    // The page says whether objections are still taken, and until when.
    await expect(visitor.locator('[data-publicity]').textContent()).resolves.toMatch(/公示期为.+至.+/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('an evaluator cannot reach the announcement pages', async () => {
    const evaluator = await open();
    await signIn(evaluator, 'evaluator');
    const response = await evaluator.goto(`${t.baseUrl}/rounds/2/announcement`);
    expect(response!.status()).toBe(403);
  });
});
