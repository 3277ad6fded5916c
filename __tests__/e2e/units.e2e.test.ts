/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { minimalPdf } from '../../db/seeds/demo';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';
import { Api, DIMENSIONS, sampledRound, usersWithTokens } from '../helpers/rounds';
import { startTestApp, TestApp, TEST_PASSWORD } from '../helpers/testApp';

/**
 * The units' side in Chromium: a reviewer asks for material, the unit uploads and answers, the
 * reviewer sees it; the review is submitted, the unit disagrees, the lead confirms with a
 * response, and the unit reads it. Screenshots go beside the journeys' (git-ignored).
 */

const describeIfBrowser = fs.existsSync(CHROMIUM_PATH) ? describe : describe.skip;

describeIfBrowser('the units’ side in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let roundId: number;
  let api: (name: string) => Api;
  const shots = process.env.FUHE_E2E_SHOTS ?? path.resolve(__dirname, 'screenshots');
  const problems: string[] = [];
  const expected = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp({ FUHE_SCRYPT_COST: '1024' });
    t.clock.current = new Date('2026-12-07T02:00:00Z');
    api = await usersWithTokens(t, [
      ['lead1', 'lead'],
      ['rev1', 'reviewer'],
      ['unit1', 'unit', { units: ['县残疾人联合会'] }],
      ['off1', 'official'],
    ]);
    roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    fs.mkdirSync(shots, { recursive: true });
    // The review itself is scored over the API here (the journeys test the review form).
    await api('rev1')
      .put(`/api/rounds/${roundId}/items/2023-D001/review`)
      .send({ version: 0, reviewScore: 76, qualityScore: 70, comment: '绩效目标不够细化', dimensions: DIMENSIONS });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  async function as(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (res) => {
      const key = `${res.status()} ${new URL(res.url()).pathname}`;
      if (res.status() >= 400 && !expected.has(key)) problems.push(key);
    });
    page.on('dialog', (dialog) => dialog.accept());
    await page.goto(`${t.baseUrl}/login`);
    await page.fill('#username', username);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#main button[type=submit]')]);
    return page;
  }
  const itemUrl = () => `${t.baseUrl}/rounds/${roundId}/items/2023-D001`;
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  it('a request answered with a file, then a disagreement the lead answers when confirming', async () => {
    // The reviewer asks the unit for a document, by a date.
    const rev = await as('rev1');
    await rev.goto(itemUrl());
    await rev.fill('#rq-text', '请上传2023年度部门整体支出绩效目标申报表');
    await rev.fill('#rq-due', '2026-12-10');
    await Promise.all([rev.waitForURL(/#requests$/), rev.click('#requests button:text("发给单位")')]);
    await expect(rev.locator('#requests').textContent()).resolves.toContain('待单位答复');

    // The unit lands on 我的单位, with the notice and the request to do.
    const unit = await as('unit1');
    const home = await unit.textContent('main');
    expect(home).toMatch(/您单位有\d+个项目被抽中复核：/);
    expect(home).toContain('补充材料：请上传2023年度部门整体支出绩效目标申报表');
    await shot(unit, 'unit-home');
    await Promise.all([
      unit.waitForURL(/2023-D001/),
      unit.click('text=补充材料：请上传2023年度部门整体支出绩效目标申报表'),
    ]);

    // Text typed into the answer and not sent is asked about before the upload reloads the page.
    const dialogs: string[] = [];
    unit.on('dialog', (dialog) => dialogs.push(dialog.type()));
    await unit.locator('article.request textarea[name=text]').first().fill('先写了一半的答复');
    await unit.fill('#materials input[name=description]', '盖章版申报表');
    await unit.setInputFiles('#ev-file', {
      name: '绩效目标申报表.pdf',
      mimeType: 'application/pdf',
      buffer: minimalPdf('Performance targets 2023'),
    });
    await Promise.all([unit.waitForURL(/#materials$/), unit.click('#materials button:text("上传")')]);
    await expect(unit.locator('#materials').textContent()).resolves.toContain('绩效目标申报表.pdf');
    expect(dialogs).toEqual(['beforeunload']);
    const answer = unit.locator('article.request').first();
    await answer.locator('textarea[name=text]').fill('已上传盖章版申报表，请查收。');
    await answer.locator('label:text("绩效目标申报表.pdf")').click();
    await Promise.all([unit.waitForURL(/#requests$/), answer.locator('button:text("发送答复")').click()]);
    await expect(unit.locator('#requests').textContent()).resolves.toContain('已答复');

    // The reviewer sees the answer and the unit's file.
    await rev.reload();
    const requests = await rev.locator('#requests').textContent();
    expect(requests).toContain('已上传盖章版申报表，请查收。');
    expect(requests).toContain('绩效目标申报表.pdf');
    await expect(rev.locator('#evidence').textContent()).resolves.toContain('单位提供');
    await shot(rev, 'unit-reviewer-requests');

    // Submitted: the unit reads the score and disagrees, with its reason.
    expect((await api('rev1').post(`/api/rounds/${roundId}/items/2023-D001/review/submit`)).status).toBe(200);
    await unit.reload();
    const result = await unit.locator('#result').textContent();
    expect(result).toContain('76');
    expect(result).toContain('中');
    await unit.check('#fb-no');
    expected.add(`422 /rounds/${roundId}/items/2023-D001/unit`);
    await Promise.all([unit.waitForLoadState('load'), unit.click('#feedback button:text("提交意见")')]);
    await expect(unit.locator('#feedback').textContent()).resolves.toContain('不同意复核结果时，请写明理由');
    expect(await unit.isChecked('#fb-no')).toBe(true);
    await unit.fill('#fb-text', '绩效目标已在申报表第3页细化，请核实。');
    await Promise.all([unit.waitForURL(/#feedback$/), unit.click('#feedback button:text("提交意见")')]);
    await expect(unit.locator('#feedback').textContent()).resolves.toContain('绩效目标已在申报表第3页细化');
    await shot(unit, 'unit-item-feedback');

    // The lead reads it beside the review and must answer it to confirm.
    const lead = await as('lead1');
    await lead.goto(itemUrl());
    await expect(lead.locator('#feedback').textContent()).resolves.toContain('绩效目标已在申报表第3页细化');
    expected.add(`422 /rounds/${roundId}/items/2023-D001`);
    await Promise.all([lead.waitForLoadState('load'), lead.click('button:text("确认复核")')]);
    await expect(lead.locator('main').textContent()).resolves.toContain('确认前须写明复核组对单位意见的答复');
    await lead.fill('#f-response', '申报表第3页的目标仍为定性表述，维持复核结果。');
    await Promise.all([lead.waitForURL(/2023-D001$/), lead.click('button:text("确认复核")')]);
    await expect(lead.locator('main').textContent()).resolves.toContain('复核已确认');
    await shot(lead, 'unit-lead-confirmed');

    // The unit reads the response; feedback is closed.
    await unit.reload();
    const feedback = await unit.locator('#feedback').textContent();
    expect(feedback).toContain('复核组答复');
    expect(feedback).toContain('维持复核结果');
    expect(await unit.locator('#fb-text').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('rectification: the unit submits, the lead returns it, the unit resubmits, the lead accepts; the official reads 整改情况 and 结果应用 with its charts', async () => {
    // A round of its own, reviewed and published over the API, with one finding on D001.
    const round = await sampledRound(api('lead1'), { title: '整改演示批次' });
    await api('lead1').patch(`/api/rounds/${round}`).send({ objectionContact: '县财政局绩效股', version: 1 });
    const codes = (
      (await t
        .db('draw_picks')
        .join('draws', 'draws.id', 'draw_picks.draw_id')
        .where({ 'draws.round_id': round, 'draws.status': 'active' })
        .select('draw_picks.code')) as Array<{ code: string }>
    ).map((r) => r.code);
    await api('lead1')
      .post(`/api/rounds/${round}/assignments`)
      .send(codes.map((code) => ({ code, username: 'rev1' })));
    for (const code of codes) {
      const url = `/api/rounds/${round}/items/${code}`;
      await api('rev1')
        .put(`${url}/review`)
        .send({ version: 0, reviewScore: 80, qualityScore: 80, comment: '意见', dimensions: DIMENSIONS });
      if (code === '2023-D001')
        await api('rev1').post(`${url}/findings`).send({ category: 'P01', description: '部门整体绩效目标未细化' });
      expect((await api('rev1').post(`${url}/review/submit`)).status).toBe(200);
      expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);
    }
    const draft = await api('lead1').post(`/api/rounds/${round}/announcement/compile`);
    await api('lead1')
      .put(`/api/rounds/${round}/announcement`)
      .send({ revision: draft.body.revision, deadline: '2027-03-31' });
    await api('lead1').post(`/api/rounds/${round}/announcement/submit`);
    expect((await api('off1').post(`/api/rounds/${round}/announcement/publish`)).status).toBe(200);

    const unit = await as('unit1');
    await Promise.all([unit.waitForURL(/\/rectifications\/\d+$/), unit.click('text=整改：')]);
    await unit.fill('#r-measures', '修订部门整体绩效目标编制办法');
    await unit.fill('#r-result', '2024年度目标已细化为12项量化指标');
    await Promise.all([unit.waitForLoadState('load'), unit.click('button:text("提交整改情况")')]);
    await expect(unit.locator('main').textContent()).resolves.toContain('整改情况已提交');
    const taskUrl = unit.url();

    const lead = await as('lead1');
    await lead.goto(`${t.baseUrl}/rounds/${round}/rectifications`);
    await Promise.all([lead.waitForURL(/\/rectifications\/\d+$/), lead.click('a:text("销号或退回")')]);
    await lead.fill('#r-reason', '请附修订后的目标表');
    await Promise.all([lead.waitForLoadState('load'), lead.click('button:text("退回重新整改")')]);
    await expect(lead.locator('main').textContent()).resolves.toContain('已退回');

    await unit.goto(taskUrl);
    await expect(unit.locator('main').textContent()).resolves.toContain('组长退回：请附修订后的目标表');
    await unit.fill('#r-result', '2024年度目标已细化为12项量化指标，修订后的目标表已报送');
    await Promise.all([unit.waitForLoadState('load'), unit.click('button:text("提交整改情况")')]);

    await lead.reload();
    await Promise.all([lead.waitForLoadState('load'), lead.click('button:text("销号")')]);
    await expect(lead.locator('main').textContent()).resolves.toContain('已销号');
    await shot(lead, 'rectification-task');

    const official = await as('off1');
    await official.goto(`${t.baseUrl}/rounds/${round}/rectifications`);
    const text = await official.locator('main').textContent();
    expect(text).toContain('整改事项1项');
    expect(text).toContain('修订后的目标表已报送');
    expect(await official.locator('button:text("销号")').count()).toBe(0);
    await shot(official, 'rectification-official');

    // 结果应用: the unit's rounds side by side, and the two charts drawn by chart.js.
    await official.click('nav >> text=结果应用');
    await official.waitForURL(/\/results$/);
    await expect(official.locator('main').textContent()).resolves.toContain('县残疾人联合会');
    const drawn = await official.evaluate(() =>
      Array.from(document.querySelectorAll('canvas[data-chart]')).map(
        (c) =>
          Boolean((window as unknown as { Chart: { getChart(c: Element): unknown } }).Chart.getChart(c)) &&
          (c as HTMLCanvasElement).width > 0,
      ),
    );
    expect(drawn).toEqual([true, true]);
    await shot(official, 'results-official');
    expect(problems).toEqual([]);
  });
});
