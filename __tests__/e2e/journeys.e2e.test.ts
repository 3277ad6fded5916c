/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { minimalPdf } from '../../db/seeds/demo';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';
import { asBearer, SETUP_CONTEXT, startTestApp, TestApp, TEST_PASSWORD } from '../helpers/testApp';

/**
 * Every role's journey through the real pages in Debian's Chromium, in the order a round goes:
 * the lead sets it up, an agency's evaluator and a reviewer review, the lead returns and confirms,
 * the official publishes, a visitor checks it, and nobody gets past a page that is not theirs.
 * The journeys share one round (each starts where the last one left it). Screenshots of the key
 * pages go to FUHE_E2E_SHOTS (default: __tests__/e2e/screenshots/, git-ignored).
 */

const describeIfBrowser = fs.existsSync(CHROMIUM_PATH) ? describe : describe.skip;
const FIXTURE = path.resolve(__dirname, '../fixtures/round-2023.xlsx');

describeIfBrowser('journeys in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let roundId: number;
  // Kept for people to look at (git-ignored), replaced on every run.
  const shots = process.env.FUHE_E2E_SHOTS ?? path.resolve(__dirname, 'screenshots');
  /** Problems seen by any page: console errors, failed requests, answers ≥ 400 that were not expected. */
  const problems: string[] = [];
  const expected = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp({ FUHE_SCRYPT_COST: '1024' });
    await t.createUser('lead1', 'lead');
    await t.createUser('rev1', 'reviewer');
    await t.createUser('eval1', 'evaluator', { organisation: '中原联合会计师事务所' });
    await t.createUser('off1', 'official');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    fs.rmSync(shots, { recursive: true, force: true });
    fs.mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    process.stdout.write(`[e2e] journey screenshots in ${shots}\n`);
  });

  async function as(
    username: string | null,
    viewport = { width: 1280, height: 900 },
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('console', (msg) => {
      // The browser also reports the answers we expect (a refused file, a stale version, a refusal) as console errors.
      if (msg.type() === 'error' && !/status of (403|409|422)/.test(msg.text()))
        problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    // Requests cut off because the test closed the page (the favicon, mostly) are not failures of the app.
    page.on('requestfailed', (req) => {
      if (req.failure()?.errorText !== 'net::ERR_ABORTED')
        problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`);
    });
    page.on('response', (res) => {
      const key = `${res.status()} ${new URL(res.url()).pathname}`;
      if (res.status() >= 400 && !expected.has(key)) problems.push(key);
    });
    page.on('dialog', (dialog) => dialog.accept());
    // Every page visited: each input, select and textarea has a label.
    page.on('load', () => {
      unlabelled(page).then(
        (names) => names.length && problems.push(`unlabelled on ${page.url()}: ${names.join(', ')}`),
        () => undefined,
      );
    });
    if (username) {
      await page.goto(`${t.baseUrl}/login`);
      await page.fill('#username', username);
      await page.fill('#password', TEST_PASSWORD);
      await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#main button[type=submit]')]);
    }
    return { page, context };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  /** Every visible form control has a label (for=, wrapping, or aria-label). */
  const unlabelled = (page: Page) =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
        .filter(
          (el) =>
            !(el as HTMLInputElement).labels?.length &&
            !el.getAttribute('aria-label') &&
            !el.getAttribute('aria-labelledby'),
        )
        .map((el) => (el as HTMLInputElement).name || el.id),
    );

  /** One step of the journey, named in any failure: the steps depend on each other, in this order. */
  async function step(name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof Error) err.message = `${name}\n${err.message}`;
      throw err;
    }
  }

  it('a round from set-up to the public announcement, role by role, through the pages', async () => {
    await step(
      'the lead creates a round, imports the fixture workbook, fixes a refused file, draws a sample and assigns it',
      async () => {
        const { page, context } = await as('lead1');
        await page.click('text=新建复核批次');
        await page.fill('#title', '2023年度绩效自评结果抽查复核');
        await page.fill('#fiscalYear', '2023');
        await page.fill('#bureau', '太康县财政局');
        await page.fill('#workPlanRef', '太财字〔2023〕30号');
        await page.fill('#objectionContact', '县财政局预算绩效管理股，电话0394-1234567');
        await page.fill('#deadline', '2024-03-31');
        await Promise.all([page.waitForURL(/\/rounds\/\d+\?created=1/), page.click('#main button[type=submit]')]);
        roundId = Number(/\/rounds\/(\d+)/.exec(page.url())![1]);

        // A refused file first: every problem listed by row and column, nothing imported.
        await page.goto(`${t.baseUrl}/rounds/${roundId}/population`);
        expected.add(`422 /rounds/${roundId}/population`);
        const bad = [
          '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分',
          '项目支出,X-1,县民政局,县民政局,临时救助,壹佰,92',
          '项目支出,X-2,县民政局,县民政局,养老,35,101',
        ].join('\n');
        await page.setInputFiles('#f-file', { name: '有错误.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
        await page.click('form[data-upload] button[type=submit]');
        await page.waitForSelector('#import-errors');
        const errors = await page.locator('#import-errors').textContent();
        expect(errors).toContain('预算数（万元）');
        expect(errors).toContain('自评得分');
        await shot(page, '1-import-errors');
        // The form the errors came back in still speaks Chinese.
        await expect(page.locator('[data-file-input]', { has: page.locator('#f-file') }).innerText()).resolves.toMatch(
          /^选择文件\s*未选择文件$/,
        );
        // Fixed: the bureau's workbook imports whole.
        await page.setInputFiles('#f-file', FIXTURE);
        await page.click('form[data-upload] button[type=submit]');
        await page.locator('main', { hasText: '77,642.61' }).waitFor();
        await expect(page.locator('#import-errors').count()).resolves.toBe(0);

        await page.goto(`${t.baseUrl}/rounds/${roundId}/draw`);
        expect(await unlabelled(page)).toEqual([]);
        // The seed and "由系统生成" never contradict: typing a seed unticks it, ticking it clears the seed.
        expect(await page.isChecked('#f-generate')).toBe(true);
        await page.fill('#f-seed', '福彩3D 2024年第60期 5 1 8');
        expect(await page.isChecked('#f-generate')).toBe(false);
        await page.check('#f-generate');
        expect(await page.inputValue('#f-seed')).toBe('');
        await page.fill('#f-seed', '福彩3D 2024年第60期 5 1 8');
        expect(await page.isChecked('#f-generate')).toBe(false);
        // The planner keeps what was typed, answers per stratum within its size, and fills the quotas.
        const asked: string[] = [];
        const record = (d: { message(): string }) => asked.push(d.message());
        page.on('dialog', record);
        await Promise.all([page.waitForNavigation(), page.click('button:text("计算")')]);
        expect(await page.inputValue('#f-seed')).toBe('福彩3D 2024年第60期 5 1 8');
        expect(await page.isChecked('#f-generate')).toBe(false);
        await expect(page.locator('[data-plan-kind="department"]').textContent()).resolves.toContain(
          '总体仅8个，建议全部复核',
        );
        await page.click('button:text("用作抽样数量")');
        expect(await page.inputValue('#f-qp')).toBe('32');
        expect(await page.inputValue('#f-qd')).toBe('8');
        // The preview neither asks nor draws, and keeps the seed.
        await Promise.all([page.waitForNavigation(), page.click('button:text("预览各类可抽数量")')]);
        await page.locator('caption', { hasText: '预览（不保存）' }).waitFor();
        expect(asked).toEqual([]);
        expect(page.url()).toBe(`${t.baseUrl}/rounds/${roundId}/draw`);
        expect(await page.inputValue('#f-seed')).toBe('福彩3D 2024年第60期 5 1 8');
        expect(await page.isEnabled('form[action$="/draws"] button:text("抽样")')).toBe(true);
        page.off('dialog', record);
        await page.fill('#f-qp', '2');
        await page.fill('#f-qd', '1');
        await page.fill('#f-mand', '2023-P001\n2023-P004\n2023-D001');
        await Promise.all([
          page.waitForURL(/\/sample\?drawn=1/),
          page.click('form[action$="/draws"] button:text("抽样")'),
        ]);
        await shot(page, '1-sample');
        for (const code of ['2023-P001', '2023-P004', '2023-D001'])
          await expect(page.locator('main').textContent()).resolves.toContain(code);

        await page.goto(`${t.baseUrl}/rounds/${roundId}/assignments`);
        expect(await unlabelled(page)).toEqual([]);
        // One row chosen by its own select; two ticked and given to one person together.
        await page.locator('tr', { hasText: '2023-P001' }).locator('select').selectOption('eval1');
        await page.check('[data-select-all]');
        await expect(page.locator('[data-selected-count]').textContent()).resolves.toBe('已勾选 3 个项目');
        await page.uncheck('[data-select-all]');
        await page.locator('tr', { hasText: '2023-P004' }).locator('input[name=selected]').check();
        await page.locator('tr', { hasText: '2023-D001' }).locator('input[name=selected]').check();
        await expect(page.locator('[data-selected-count]').textContent()).resolves.toBe('已勾选 2 个项目');
        await page.selectOption('#bulk-assignee', 'rev1');
        await Promise.all([page.waitForNavigation(), page.click('button:text("分配勾选的项目")')]);
        await expect(page.locator('.alert--ok').textContent()).resolves.toContain('3 个项目的复核人有变化');
        await expect(page.locator('tr', { hasText: '2023-P001' }).textContent()).resolves.toContain('eval1');
        await shot(page, '1-assignments');
        await context.close();
      },
    );

    await step(
      'the evaluator declares a conflict, reviews an item with indicator deductions and evidence, and submits',
      async () => {
        const { page, context } = await as('eval1');
        // An evaluator lands on their work.
        await expect(page.locator('h1').textContent()).resolves.toBe('我的复核任务');
        await expect(page.locator('main').textContent()).resolves.toContain('2023-P001');
        await page.goto(`${t.baseUrl}/rounds/${roundId}/conflicts`);
        await page.selectOption('#c-scope', 'unit');
        await page.fill('#c-name', '县中医医院');
        await page.fill('#c-reason', '本所2023年为该单位提供财务咨询服务');
        await Promise.all([page.waitForNavigation(), page.click('form[action$="/conflicts"] button[type=submit]')]);
        await expect(page.locator('main').textContent()).resolves.toMatch(/已申报。[\s\S]*县中医医院/);

        await page.goto(`${t.baseUrl}/work`);
        await Promise.all([page.waitForNavigation(), page.click('a:text("2023-P001")')]);
        // Evidence first, so that the deductions can cite it.
        await page.setInputFiles('#ev-file', {
          name: '满意度调查说明.pdf',
          mimeType: 'application/pdf',
          buffer: minimalPdf('Satisfaction survey: no questionnaire records'),
        });
        await page.fill('#ev-desc', '单位提供的满意度说明（无问卷）');
        await Promise.all([page.waitForNavigation(), page.click('#evidence button:text("上传")')]);
        await expect(page.locator('#evidence').textContent()).resolves.toContain('满意度调查说明.pdf');

        const rules = page.locator('select[data-rule-for]');
        const count = await rules.count();
        expect(count).toBeGreaterThan(1);
        for (let i = 0; i < count; i += 1) {
          const rule = rules.nth(i);
          await rule.selectOption(i === 0 ? 'R4' : 'R5');
          const id = (await rule.getAttribute('id'))!.slice(3);
          await page.fill(`#in-${id}`, i === 0 ? '指标表述模糊，按规则扣60%' : '指标不够规范，按规则扣30%');
          if (i === 0 && (await page.locator(`#ie-${id}`).count()))
            await page.locator(`#ie-${id}`).selectOption({ index: 0 });
        }
        // The rule fills the score: weight × (100 − percent) %.
        const firstScore = await page.inputValue('[data-indicator-score]');
        expect(firstScore).not.toBe('');
        for (let i = 0; i < 7; i += 1) await page.selectOption(`#dj-${i}`, i === 2 ? '基本符合' : '符合');
        await page.fill('#q-n', '85');
        await page.fill('#q-r', '70');
        await page.fill('#f-comment', '指标设置不够规范，满意度无调查依据。');
        expect(await unlabelled(page)).toEqual([]);
        await shot(page, '2-review-evaluator');
        await Promise.all([page.waitForNavigation(), page.click('button:text("保存并提交")')]);
        await expect(page.locator('main').textContent()).resolves.toContain('已提交');
        await context.close();
      },
    );

    await step(
      'a reviewer saving over a newer version gets a conflict, keeps what they typed, and saves it on the second try',
      async () => {
        const first = await as('rev1');
        const second = await first.context.newPage();
        second.on('dialog', (d) => d.accept());
        const url = `${t.baseUrl}/rounds/${roundId}/items/2023-D001`;
        await first.page.goto(url);
        await second.goto(url);
        expected.add(`409 /api/rounds/${roundId}/items/2023-D001/review`);

        await first.page.fill('#f-whole', '88');
        await first.page.fill('#f-comment', '第一个窗口的意见');
        await first.page.click('[data-save-draft]');
        await first.page.locator('.save-status', { hasText: '已保存草稿（第1版' }).waitFor();

        await second.fill('#f-whole', '86.5');
        await second.fill('#f-comment', '第二个窗口写的意见，不能丢');
        await second.click('[data-save-draft]');
        await second.locator('.save-status', { hasText: '最新为第1版' }).waitFor();
        expect(await second.inputValue('#f-comment')).toBe('第二个窗口写的意见，不能丢');
        await shot(second, '3-stale-version');
        await second.click('[data-save-draft]');
        await second.locator('.save-status', { hasText: '已保存草稿（第2版' }).waitFor();
        const stored = await t
          .db('reviews')
          .join('submissions', 'submissions.id', 'reviews.submission_id')
          .where('submissions.code', '2023-D001')
          .first('reviews.comment', 'reviews.version');
        expect(stored).toMatchObject({ comment: '第二个窗口写的意见，不能丢' });
        expect(Number(stored.version)).toBe(2);
        await first.context.close();
      },
    );

    await step(
      'typed work survives an evidence upload and a finding, saves itself after a pause, and leaving asks first',
      async () => {
        const { page, context } = await as('rev1');
        // A reviewer lands on their work.
        await expect(page.locator('h1').textContent()).resolves.toBe('我的复核任务');
        const dialogs: string[] = [];
        page.on('dialog', (d) => dialogs.push(d.type()));
        await page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-D001`);
        const typeInto = async (selector: string, text: string) => {
          await page.click(selector);
          await page.keyboard.press('Control+A');
          await page.keyboard.type(text);
        };

        // Typed, then evidence uploaded: the page saves the draft first (unless it already saved
        // itself), and the text comes back.
        await typeInto('#f-comment', '上传佐证前写下的意见');
        // The file input speaks Chinese, whatever the browser's own language, and names the file chosen.
        const picker = page.locator('[data-file-input]', { has: page.locator('#ev-file') });
        await expect(picker.innerText()).resolves.toMatch(/^选择文件\s*未选择文件$/);
        await page.setInputFiles('#ev-file', {
          name: '部门整体支出说明.pdf',
          mimeType: 'application/pdf',
          buffer: minimalPdf('Department spending statement'),
        });
        await expect(picker.innerText()).resolves.toMatch(/^选择文件\s*部门整体支出说明\.pdf$/);
        await Promise.all([page.waitForNavigation(), page.click('#evidence button:text("上传")')]);
        expect(await page.inputValue('#f-comment')).toBe('上传佐证前写下的意见');
        await expect(page.locator('[data-notice]').textContent()).resolves.toMatch(
          /^(已先保存复核草稿（第\d+版）。)?佐证材料已上传。$/,
        );
        await expect(page.locator('#evidence').textContent()).resolves.toContain('部门整体支出说明.pdf');
        await shot(page, '3-draft-saved-before-upload');

        // Typed, then a finding recorded.
        await typeInto('#f-whole', '83');
        await page.selectOption('#fd-cat', { index: 1 });
        await page.fill('#fd-desc', '部门整体绩效目标未细化到年度');
        await Promise.all([page.waitForNavigation(), page.click('button:text("记录问题")')]);
        expect(await page.inputValue('#f-whole')).toBe('83');
        await expect(page.locator('[data-notice]').textContent()).resolves.toMatch(/。问题已记录。$/);
        await expect(page.locator('main').textContent()).resolves.toContain('部门整体绩效目标未细化到年度');

        // The author edits the finding before submitting; the earlier text stays on the page.
        await page.click('details.finding-edit summary');
        await page.locator('details.finding-edit textarea').fill('部门整体绩效目标未细化分解到年度和季度');
        await Promise.all([page.waitForNavigation(), page.click('details.finding-edit button:text("保存修改")')]);
        await expect(page.locator('[data-notice]').textContent()).resolves.toContain(
          '问题已修改（第2版，此前的版本已保留）。',
        );
        expect(await page.inputValue('#f-whole')).toBe('83');
        await page.click('details.finding-earlier summary');
        await expect(page.locator('details.finding-earlier').textContent()).resolves.toContain('第1版：');
        await shot(page, '3-finding-edited');

        // Typing stops: the draft saves itself, and a reload shows it.
        await typeInto('#f-comment', '停下来之后自动保存的意见');
        await page.locator('.save-status', { hasText: '已自动保存草稿' }).waitFor({ timeout: 10_000 });
        await page.reload();
        expect(await page.inputValue('#f-comment')).toBe('停下来之后自动保存的意见');
        expect(dialogs).toEqual([]);

        // Typed and not yet saved: leaving asks first.
        await typeInto('#f-comment', '还没保存就要离开');
        await page.goto(`${t.baseUrl}/work`);
        expect(dialogs).toEqual(['beforeunload']);

        // An untouched review with indicators: 未评分, until every indicator is scored.
        await page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-P004`);
        const figure = (name: string) => page.locator(`[data-figure="${name}"]`);
        await expect(figure('pending').textContent()).resolves.toBe('未评分');
        await expect(figure('score').textContent()).resolves.toBe('');
        expect(await figure('change').isHidden()).toBe(true);
        const first = page.locator('[data-indicator-score]').first();
        await first.fill('1');
        await expect(figure('pending').textContent()).resolves.toBe('（尚未评完）');
        await first.fill('');
        await expect(figure('pending').textContent()).resolves.toBe('未评分');

        // A deduction without its note: the error under the note, the note marked and focused,
        // and the buttons as they were.
        expected.add(`422 /api/rounds/${roundId}/items/2023-P004/review`);
        const id = (await first.getAttribute('id'))!.slice(3);
        await first.fill('0.5');
        await page.click('[data-save-draft]');
        const note = page.locator(`#in-${id}`);
        await page.locator(`.field-error[data-for="ind_${id}_note"]`).waitFor();
        expect(await note.getAttribute('aria-invalid')).toBe('true');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe(`in-${id}`);
        await expect(page.locator(`.field-error[data-for="ind_${id}_note"]`).textContent()).resolves.toContain(
          '扣分须写明说明',
        );
        await shot(page, '3-error-beside-field');
        await first.fill('');

        // The indicator the unit scored above its weight: the full weight is no deduction, and saves without a note.
        const overWeight = await page.evaluate(() => {
          for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('[data-indicator-score]'))) {
            const cells = input.closest('tr')!.querySelectorAll('td.num');
            const weight = Number(cells[0].textContent);
            if (Number(cells[1].textContent) > weight) return { id: input.id, weight: cells[0].textContent!.trim() };
          }
          return null;
        });
        expect(overWeight).not.toBeNull();
        await page.fill(`#${overWeight!.id}`, overWeight!.weight);
        await page.click('[data-save-draft]');
        await page.locator('.save-status', { hasText: '已保存草稿' }).waitFor();
        expect(await page.locator('.field-error').count()).toBe(0);
        await context.close();
      },
    );

    await step(
      'the review form works from the keyboard alone, with visible focus; its weight and first paint are printed',
      async () => {
        const { page, context } = await as('rev1');
        await page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-D001`);
        await page
          .waitForFunction(() => performance.getEntriesByType('paint').length > 0, undefined, { timeout: 5000 })
          .catch(() => undefined);
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const paint =
            performance.getEntriesByName('first-contentful-paint')[0] ?? performance.getEntriesByType('paint')[0];
          const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
          return {
            firstPaint: paint?.startTime ?? null,
            domReady: nav.domContentLoadedEventEnd,
            html: nav.encodedBodySize,
            total: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
            requests: resources.length + 1,
          };
        });
        process.stdout.write(
          `[e2e] review page: first contentful paint ${timing.firstPaint?.toFixed(0)} ms, DOM ready ${timing.domReady.toFixed(0)} ms, ${timing.requests} requests, ${(timing.total / 1024).toFixed(1)} KB transferred (HTML ${(timing.html / 1024).toFixed(1)} KB)\n`,
        );
        expect(timing.firstPaint).not.toBeNull();

        // From the top of the page with Tab alone: skip to the content, then to the whole score.
        const focused = () =>
          page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('value') || '');
        const tabUntil = async (selector: string) => {
          for (let presses = 0; presses < 120; presses += 1) {
            if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
            await page.keyboard.press('Tab');
          }
          throw new Error(`Tab never reached ${selector}`);
        };
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('跳到正文');
        await page.keyboard.press('Enter');
        await tabUntil('#f-whole');
        const outline = await page.evaluate(() => {
          const style = getComputedStyle(document.activeElement!);
          return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
            ? style.outlineStyle
            : style.boxShadow;
        });
        expect(outline).not.toBe('none');
        await page.keyboard.press('Control+A');
        await page.keyboard.type('84');
        // Each dimension: its judgement chosen with the arrow keys, then Tab to its note and on to the next.
        await tabUntil('#dj-0');
        for (let i = 0; i < 7; i += 1) {
          expect(await focused()).toBe(`dj-${i}`);
          await page.keyboard.press('ArrowDown');
          await page.keyboard.press('ArrowDown');
          await page.keyboard.press('Tab');
          expect(await focused()).toBe(`dn-${i}`);
          await page.keyboard.press('Tab');
        }
        await tabUntil('#q-n');
        await page.keyboard.type('80');
        await page.keyboard.press('Tab');
        expect(await focused()).toBe('q-r');
        await page.keyboard.type('75');
        // Shift+Tab goes back the same way.
        await page.keyboard.press('Shift+Tab');
        expect(await focused()).toBe('q-n');
        await tabUntil('#f-comment');
        await page.keyboard.press('Control+A');
        await page.keyboard.type('部门整体支出绩效目标不够细化，按整体打分。');
        // Submit with the keyboard: Tab to the button and press Enter.
        await tabUntil('button[value="submit"]');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        await expect(page.locator('main').textContent()).resolves.toContain('已提交');
        await shot(page, '3-review-submitted');
        await context.close();
      },
    );

    await step('the lead returns a review with a reason, and confirms it once resubmitted', async () => {
      const { page, context } = await as('lead1');
      // The lead lands on the rounds' progress, with what awaits confirmation.
      await expect(page.locator('h1').textContent()).resolves.toBe('工作台');
      await expect(
        page
          .locator('tr', { has: page.locator(`a[href="/rounds/${roundId}"]`) })
          .first()
          .textContent(),
      ).resolves.toMatch(/已确认 0 \/ 3[\s\S]*2份待确认/);
      await page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-P001`);
      await page.fill('#f-reason', '请在意见中写明满意度扣分依据');
      await Promise.all([page.waitForNavigation(), page.click('button:text("退回修改")')]);
      await expect(page.locator('main').textContent()).resolves.toContain('已退回');

      const evaluator = await as('eval1');
      await evaluator.page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-P001`);
      await expect(evaluator.page.locator('main').textContent()).resolves.toContain('请在意见中写明满意度扣分依据');
      await evaluator.page.fill('#f-comment', '指标设置不够规范；满意度仅有单位说明，无问卷，依据佐证扣分。');
      await Promise.all([evaluator.page.waitForNavigation(), evaluator.page.click('button:text("保存并提交")')]);
      await evaluator.context.close();

      // Both submitted reviews confirmed at once from the round page's 待确认 list.
      await page.goto(`${t.baseUrl}/rounds/${roundId}`);
      const pending = page.locator('form[action$="/reviews/confirm"]');
      await expect(pending.locator('input[name=items]').count()).resolves.toBe(2);
      await Promise.all([page.waitForNavigation(), pending.locator('button:text("确认所选复核")').click()]);
      await expect(page.locator('.alert--ok').textContent()).resolves.toContain('2');
      await expect(page.locator('main').textContent()).resolves.toContain('没有待确认的复核。');
      await page.goto(`${t.baseUrl}/rounds/${roundId}/items/2023-D001`);
      await expect(page.locator('main').textContent()).resolves.toContain('已确认');
      await shot(page, '4-review-confirmed');
      await context.close();
    });

    await step('the lead compiles the announcement and the official publishes it', async () => {
      // Starting state: the third item reviewed and confirmed (set up directly; this journey is about the announcement).
      const rev = await t.services.users.findByUsername('rev1');
      const lead = await t.services.users.findByUsername('lead1');
      const ctx = (u: typeof rev) => ({ ...SETUP_CONTEXT, actor: { id: u!.id, username: u!.username, role: u!.role } });
      const dims = Object.fromEntries(
        ['绩效目标编制', '预算执行', '绩效指标设置', '运行成本控制', '目标完成', '可持续发展能力', '满意度'].map(
          (d) => [d, { judgement: '符合', note: null }],
        ),
      );
      const view = await t.services.reviews.item(
        { id: rev!.id, role: 'reviewer', displayName: rev!.displayName },
        roundId,
        '2023-P004',
      );
      const body = view.indicators.length
        ? {
            indicators: view.indicators
              .filter((i) => !i.isExecution)
              .map((i) => ({ id: i.id, reviewScore: Math.min(i.score, i.weight) / 100, note: '按台账核定' })),
            dimensions: dims,
            qualityScore: 90,
            comment: '符合要求',
          }
        : { reviewScore: 90, qualityScore: 90, comment: '符合要求', dimensions: dims };
      await t.services.reviews
        .save(
          ctx(rev),
          { id: rev!.id, role: 'reviewer', displayName: rev!.displayName },
          roundId,
          '2023-P004',
          body,
          view.review?.version ?? 0,
        )
        .catch((err) => {
          throw new Error(`setting up 2023-P004 failed: ${JSON.stringify(err.details)}`);
        });
      await t.services.reviews.submit(
        ctx(rev),
        { id: rev!.id, role: 'reviewer', displayName: rev!.displayName },
        roundId,
        '2023-P004',
      );
      await t.services.reviews.confirm(
        ctx(lead),
        { id: lead!.id, role: 'lead', displayName: lead!.displayName },
        roundId,
        '2023-P004',
      );

      const { page, context } = await as('lead1');
      await page.goto(`${t.baseUrl}/rounds/${roundId}`);
      await page.click('a:text("公示")');
      await Promise.all([page.waitForURL(/done=compiled/), page.click('text=生成公示稿')]);
      await expect(page.locator('.gongwen').textContent()).resolves.toContain(
        '此次共抽查复核2个项目支出和1个部门整体支出',
      );
      await page.click('text=编辑文字');
      expect(await unlabelled(page)).toEqual([]);
      // A default cause is marked 尚未核对 until the lead has read it: ticked 已核对, it is kept as it is.
      for (const box of await page.locator('input[name=reviewedCauses]').all()) await box.check();
      await shot(page, '5-announcement-editor');
      await Promise.all([page.waitForURL(/done=saved/), page.click('.editor__form button[type=submit]:text("保存")')]);
      await Promise.all([page.waitForURL(/done=submitted/), page.click('text=提交分管领导审批')]);
      await context.close();

      // The official lands on what awaits their approval.
      const official = await as('off1');
      await expect(official.page.locator('#awaiting-title').textContent()).resolves.toBe('1份公示稿待审批');
      await official.page.goto(`${t.baseUrl}/rounds/${roundId}/announcement`);
      await Promise.all([official.page.waitForURL(/done=published/), official.page.click('text=批准并发布')]);
      await expect(official.page.locator('h1').first().textContent()).resolves.toContain('已公示');
      await official.context.close();
    });

    await step('an anonymous visitor reads the public announcement and re-checks the draw', async () => {
      const slug = (await t.db('announcements').where({ round_id: roundId, status: 'published' }).first('slug'))
        .slug as string;
      const { page, context } = await as(null, { width: 390, height: 844 });
      await page.goto(`${t.baseUrl}/p/${slug}`);
      await expect(page.locator('.gongwen__title').textContent()).resolves.toBe(
        '太康县财政局关于2023年度绩效自评结果抽查复核情况的公示',
      );
      // Chinese is drawn with a CJK font: the title's glyphs are full width, not boxes or fallbacks.
      const glyph = await page.locator('.gongwen__title').evaluate((el) => {
        const c = document.createElement('canvas').getContext('2d')!;
        c.font = getComputedStyle(el).font;
        return c.measureText('财政局').width / c.measureText('a').width;
      });
      expect(glyph).toBeGreaterThan(4);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot(page, '6-public-announcement-phone');
      await Promise.all([page.waitForURL(/\/p\/draws\//), page.click('text=重新抽样核验')]);
      await expect(page.locator('main').textContent()).resolves.toContain('福彩3D 2024年第60期 5 1 8');
      // The check in the browser: the published files, hashed and drawn again in the page — the same sample.
      await page.click('button:text("在浏览器中核验")');
      await page.locator('[data-verdict="same"]').waitFor();
      await expect(page.locator('[data-result] .check-bad').count()).resolves.toBe(0);
      await shot(page, '6-public-draw');
      const drawUrl = page.url();
      await context.close();

      // The check can fail: one byte of the population file altered on its way, and the page says 不一致
      // on the fingerprint.
      const altered = await as(null);
      await altered.page.route('**/population.tsv', async (route) => {
        const response = await route.fetch();
        const body = Buffer.from(await response.body());
        const last = body.lastIndexOf(0x0a, body.length - 2) - 1; // the last digit of the second-to-last line
        body[last] = body[last] === 0x30 ? 0x31 : 0x30;
        await route.fulfill({ response, body });
      });
      await altered.page.goto(drawUrl);
      await altered.page.click('button:text("在浏览器中核验")');
      await altered.page.locator('[data-verdict="different"]').waitFor();
      await expect(altered.page.locator('tr.row--mismatch', { hasText: '总体指纹' }).textContent()).resolves.toContain(
        '不一致',
      );
      await shot(altered.page, '6-public-draw-altered');
      await altered.context.close();
    });

    await step(
      'a user without the right role is refused at every step, in Chinese, and each refusal is audited',
      async () => {
        const steps: Array<[string, string]> = [
          ['eval1', `/rounds/${roundId}/population`],
          ['eval1', `/rounds/${roundId}/draw`],
          ['eval1', `/rounds/${roundId}/items/2023-D001`],
          ['eval1', `/rounds/${roundId}/announcement`],
          ['rev1', `/rounds/${roundId}/assignments`],
          ['rev1', `/rounds/${roundId}/items/2023-P001`],
          ['off1', `/rounds/${roundId}/draw`],
          ['off1', `/rounds/${roundId}/announcement/edit`],
          ['lead1', '/admin/users'],
        ];
        const before = Number((await t.db('audit_log').where('action', 'access.denied').count('* as n'))[0].n);
        for (const [username, url] of steps) {
          const { page, context } = await as(username);
          expected.add(`403 ${url}`);
          const res = await page.goto(`${t.baseUrl}${url}`);
          expect(`${username} ${url} → ${res!.status()}`).toBe(`${username} ${url} → 403`);
          await expect(page.locator('main').textContent()).resolves.toContain('您没有权限');
          await context.close();
        }
        const after = Number((await t.db('audit_log').where('action', 'access.denied').count('* as n'))[0].n);
        expect(after - before).toBe(steps.length);
        // Not signed in: sent to the login page.
        const { page, context } = await as(null);
        await page.goto(`${t.baseUrl}/rounds/${roundId}`);
        expect(page.url()).toContain('/login?next=');
        await context.close();
      },
    );
    // No page broke: no console errors, no failed requests, no unexpected error answers.
    expect(problems).toEqual([]);
  }, 600_000);

  it('a cancelled draw takes its assignments out of the reviewer’s work', async () => {
    // Starting state, set up over the API: a round drawn with 2023-P025 in it, assigned to rev1.
    const lead = asBearer(t, (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 'e2e')).token);
    const created = await lead
      .post('/api/rounds')
      .send({ title: '2023年度绩效自评结果抽查复核（作废重抽）', fiscalYear: 2023, deadline: '2024-03-31' });
    const id = created.body.id as number;
    expect((await lead.post(`/api/rounds/${id}/population`).attach('file', FIXTURE)).status).toBe(201);
    const drawn = await lead.post(`/api/rounds/${id}/draws`).send({
      seed: '第一次抽样',
      method: 'srs',
      quota: { project: 3, department: 1 },
      mandatory: { codes: ['2023-P025'] },
    });
    expect(drawn.status).toBe(201);
    expect(
      (await lead.post(`/api/rounds/${id}/assignments`).send([{ code: '2023-P025', username: 'rev1' }])).status,
    ).toBe(200);

    const reviewer = await as('rev1');
    await reviewer.page.goto(`${t.baseUrl}/work?round=${id}`);
    await expect(reviewer.page.locator('main').textContent()).resolves.toContain('2023-P025');

    const { page, context } = await as('lead1');
    await page.goto(`${t.baseUrl}/rounds/${id}/sample`);
    await page.fill('#c-reason', '种子来源公告有误，重新公告后重抽');
    await Promise.all([page.waitForNavigation(), page.click('button:text("作废")')]);
    await expect(page.locator('.alert--ok').textContent()).resolves.toContain('本次抽样已作废');
    await context.close();

    await reviewer.page.reload();
    await expect(reviewer.page.locator('main').textContent()).resolves.not.toContain('2023-P025');
    await reviewer.context.close();
    expect(problems).toEqual([]);
  });
});
