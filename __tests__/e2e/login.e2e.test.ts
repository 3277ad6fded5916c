/// <reference lib="dom" />
import fs from 'node:fs';
import { Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';
import { startTestApp, TestApp, TEST_PASSWORD } from '../helpers/testApp';

/** A real browser (Debian's Chromium) signing in, with the CSP in force. */

const CHROMIUM = CHROMIUM_PATH;
const available = fs.existsSync(CHROMIUM);
if (!available) {
  // Said once, loudly: the browser tests need `apt-get install -y chromium fonts-noto-cjk`.
  process.stderr.write(
    `\n[e2e] ${CHROMIUM} not found: browser tests skipped. Install with: apt-get install -y chromium fonts-noto-cjk\n\n`,
  );
}
const describeIfBrowser = available ? describe : describe.skip;

describeIfBrowser('signing in with a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    await t.createUser('lead1', 'lead');
    await t.services.rounds.create(
      { actor: { id: 1, username: 'lead1', role: 'lead' }, ip: null, userAgent: null, requestId: null },
      {
        title: '2023年度绩效自评结果抽查复核',
        fiscalYear: 2023,
        bureau: '太康县财政局',
        workPlanRef: '太财字〔2023〕30号',
        deadline: '2024-03-31',
      },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('the lead signs in with the keyboard, sees the dashboard, and the page breaks no CSP rule', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('requestfailed', (req) => problems.push(`failed: ${req.url()}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
    });

    await page.goto(`${t.baseUrl}/login`);
    // The browser applies autofocus when it next renders the page, a moment after it loads.
    await page.waitForFunction(() => document.activeElement?.id === 'username', null, { timeout: 5000 });
    await page.keyboard.type('lead1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.keyboard.press('Enter')]);

    await expect(page.locator('h1').textContent()).resolves.toBe('工作台');
    await expect(page.locator('table').textContent()).resolves.toContain('太财字〔2023〕30号');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'fuhe.sid');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // The stylesheet applied: the header is the brand colour, so CSS was not blocked.
    const headerColour = await page.locator('.site-header').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(headerColour).toBe('rgb(18, 53, 91)');
    // Chinese text has a real font: the rendered width of 工作台 is that of three full-width glyphs.
    const width = await page.locator('h1').evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
