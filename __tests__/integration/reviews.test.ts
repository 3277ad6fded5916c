import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import {
  asBearer,
  binaryParser,
  csrfOf,
  lastAudit,
  login,
  SETUP_CONTEXT,
  startTestApp,
  TestApp,
} from '../helpers/testApp';

let t: TestApp;
const tokens: Record<string, string> = {};
let roundId: number;

beforeAll(async () => {
  t = await startTestApp();
  for (const [name, role] of [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['rev2', 'reviewer'],
    ['eval1', 'evaluator'],
    ['off1', 'official'],
  ] as const) {
    await t.createUser(name, role);
    tokens[name] = (await t.services.tokens.createForUsername(SETUP_CONTEXT, name, 't')).token;
  }
});

// Every test has a round of its own: the population drawn, three items assigned.
beforeEach(async () => {
  const created = await api('lead1')
    .post('/api/rounds')
    .send({ title: '2023年度绩效自评结果抽查复核', fiscalYear: 2023, deadline: '2024-03-31' });
  roundId = created.body.id;
  await api('lead1')
    .post(`/api/rounds/${roundId}/population`)
    .attach('file', fs.readFileSync(path.resolve(__dirname, '../fixtures/round-2023.xlsx')), 'round-2023.xlsx');
  // Mandatory: P001 (with indicators) and D001 (without), so the tests know what is in the sample.
  const draw = await api('lead1')
    .post(`/api/rounds/${roundId}/draws`)
    .send({
      seed: 'review-tests',
      method: 'srs',
      quota: { project: 6, department: 2 },
      mandatory: { codes: ['2023-P001', '2023-P004', '2023-D001'] },
    });
  expect(draw.status).toBe(201);
  const assigned = await api('lead1')
    .post(`/api/rounds/${roundId}/assignments`)
    .send([
      { code: '2023-P001', username: 'rev1' },
      { code: '2023-P004', username: 'eval1' },
      { code: '2023-D001', username: 'rev1' },
    ]);
  expect(assigned.status).toBe(200);
});
afterAll(() => t.close());

const api = (user: string) => asBearer(t, tokens[user]);
const item = (code: string) => `/api/rounds/${roundId}/items/${code}`;
const DIMENSIONS = Object.fromEntries(
  ['绩效目标编制', '预算执行', '绩效指标设置', '运行成本控制', '目标完成', '可持续发展能力', '满意度'].map((d) => [
    d,
    { judgement: '基本符合', note: '' },
  ]),
);

/** The indicator review of P001 (20, 10, R5, R1, R6), as the scoring test saves it. */
async function scoreP001() {
  const record = (await api('rev1').get(item('2023-P001'))).body;
  const scored = record.indicators.filter((i: { isExecution: boolean }) => !i.isExecution);
  const saved = await api('rev1')
    .put(`${item('2023-P001')}/review`)
    .send({
      version: record.review?.version ?? 0,
      indicators: [
        { id: scored[0].id, reviewScore: 20 },
        { id: scored[1].id, reviewScore: 10, note: '合格率佐证只有抽样记录' },
        { id: scored[2].id, rule: 'R5', percent: 30, note: '指标值不规范（=100%），扣30%' },
        { id: scored[3].id, rule: 'R1', note: '无佐证材料' },
        { id: scored[4].id, rule: 'R6', reviewScore: 0, note: '满意度无调查问卷' },
      ],
      dimensions: DIMENSIONS,
      qualityScore: 80,
    });
  expect(saved.status).toBe(200);
  return { record, scored };
}

/** D001 scored as a whole, 85.5 (version 1). */
async function scoreD001() {
  const saved = await api('rev1')
    .put(`${item('2023-D001')}/review`)
    .send({ version: 0, reviewScore: 85.5, qualityScore: 72, comment: '部门整体支出绩效目标不够细化' });
  expect(saved.status).toBe(200);
  return saved.body;
}

/** D001 through save, save, save, submit, confirm, return and save again: seven versions. */
async function signOffD001() {
  await scoreD001();
  await api('rev1')
    .put(`${item('2023-D001')}/review`)
    .send({ version: 1, reviewScore: 80, comment: '第一位' });
  await api('rev1')
    .put(`${item('2023-D001')}/review`)
    .send({ version: 2, reviewScore: 80, comment: '整体打分：绩效目标不细化', dimensions: DIMENSIONS });
  await api('rev1').post(`${item('2023-D001')}/review/submit`);
  await api('lead1').post(`${item('2023-D001')}/review/confirm`);
  await api('lead1')
    .post(`${item('2023-D001')}/review/return`)
    .send({ reason: '请补充佐证材料' });
  const last = await api('rev1')
    .put(`${item('2023-D001')}/review`)
    .send({ version: 6, reviewScore: 78, comment: '补充后调整', dimensions: DIMENSIONS });
  expect(last.body.version).toBe(7);
}

describe('assignment and access', () => {
  it('assignments are refused whole when one entry is wrong', async () => {
    const res = await api('lead1')
      .post(`/api/rounds/${roundId}/assignments`)
      .send([
        { code: '2023-P001', username: 'rev2' },
        { code: 'NOPE', username: 'rev1' },
        { code: '2023-P001', username: 'off1' },
      ]);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { message: string }) => d.message)).toEqual([
      '编码"NOPE"不在本批次的样本中',
      '用户"off1"不是复核人员或第三方评价机构人员',
    ]);
    expect((await api('lead1').get(item('2023-P001'))).body.assignee).toBe('rev1');
  });

  it('each sees their own work; an evaluator reaching another item gets 403 and an audit entry', async () => {
    const mine = await api('eval1').get('/api/work');
    const here = mine.body.items.filter((i: { roundId: number }) => i.roundId === roundId);
    expect(here.map((i: { code: string }) => i.code)).toEqual(['2023-P004']);
    expect((await api('eval1').get(item('2023-P004'))).status).toBe(200);
    const other = await api('eval1').get(item('2023-P001'));
    expect(other.status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('项目 2023-P001 未分配给本人');
    const write = await api('eval1')
      .put(`${item('2023-P001')}/review`)
      .send({ version: 0, reviewScore: 50 });
    expect(write.status).toBe(403);
    expect((await api('rev2').get(item('2023-P004'))).status).toBe(403);
    expect((await api('off1').get(item('2023-P004'))).status).toBe(200);
    expect((await api('rev1').post(`/api/rounds/${roundId}/assignments`).send([])).status).toBe(403);
  });
});

describe('scoring', () => {
  it('a record without indicators is scored as a whole: 85.5 is 良, quality 72 is 中', async () => {
    const res = await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: 0, reviewScore: 85.5, qualityScore: 72, comment: '部门整体支出绩效目标不够细化' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      reviewScore: 85.5,
      reviewGrade: '良',
      qualityScore: 72,
      qualityGrade: '中',
      selfScore: 96,
      deviation: 10.5,
      status: 'draft',
      version: 1,
    });
  });

  it('the indicator review adds up, with execution points recomputed from the amounts', async () => {
    const record = (await api('rev1').get(item('2023-P001'))).body;
    const scored = record.indicators.filter((i: { isExecution: boolean }) => !i.isExecution);
    // P001: 20, 15, 15, 30, 10 points plus execution 10 × 522.61/522.61.
    const body = {
      version: 0,
      indicators: [
        { id: scored[0].id, reviewScore: 20 },
        { id: scored[1].id, reviewScore: 10, note: '合格率佐证只有抽样记录' },
        { id: scored[2].id, rule: 'R5', percent: 30, note: '指标值不规范（=100%），扣30%' },
        { id: scored[3].id, rule: 'R1', note: '无佐证材料' },
        { id: scored[4].id, rule: 'R6', reviewScore: 0, note: '满意度无调查问卷' },
      ],
      dimensions: DIMENSIONS,
      qualityScore: 80,
    };
    const res = await api('rev1')
      .put(`${item('2023-P001')}/review`)
      .send(body);
    expect(res.status).toBe(200);
    // 20 + 10 + 10.5 + 0 + 0 + 10 = 50.5 (no note needed for a score above the unit's own)
    expect(res.body).toMatchObject({ reviewScore: 50.5, reviewGrade: '差', deviation: 44.5, qualityGrade: '良' });
    expect(res.body.indicators[2]).toMatchObject({ rule: 'R5', reviewScore: 10.5 });
  });

  it.each([
    [{ reviewScore: 100.5 }, '复核得分不能超过100"100.5"', '2023-D001'],
    [{ reviewScore: '85.555' }, '小数位数超过2位"85.555"', '2023-D001'],
    [{ indicators: [{ idIndex: 0, reviewScore: 10 }] }, '扣分须写明说明', '2023-P001'],
    [{ indicators: [{ idIndex: 2, rule: 'R5', percent: 60, note: 'x' }] }, '扣分比例是30%，不是60%', '2023-P001'],
    [{ indicators: [{ idIndex: 2, rule: 'R4', reviewScore: 10, note: 'x' }] }, '应得6分，不是10分', '2023-P001'],
    [{ indicators: [{ idIndex: 2, rule: 'R99', note: 'x' }] }, '扣分规则"R99"不存在', '2023-P001'],
    [{ dimensions: { 预算执行: { judgement: '很好' } } }, '"预算执行"的判断须为符合、基本符合或不符合', '2023-P001'],
  ])('%j is refused with 422 and changes nothing', async (input, message, code) => {
    if (code === '2023-D001') await scoreD001();
    else await scoreP001();
    const before = (await api('rev1').get(item(code))).body;
    const scored = before.indicators.filter((i: { isExecution: boolean }) => !i.isExecution);
    const body = { ...input, version: before.review.version } as Record<string, unknown>;
    if (Array.isArray(body.indicators))
      body.indicators = (body.indicators as Array<Record<string, unknown>>).map(({ idIndex, ...rest }) => ({
        id: scored[idIndex as number].id,
        ...rest,
      }));
    const res = await api('rev1')
      .put(`${item(code)}/review`)
      .send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { message: string }) => d.message).join('\n')).toContain(message);
    expect((await api('rev1').get(item(code))).body.review).toEqual(before.review);
  });
});

describe('no lost work', () => {
  it('two writers on one version: 200 and 409, and the first writer’s values stand', async () => {
    await scoreD001();
    const first = await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: 1, reviewScore: 80, comment: '第一位' });
    const second = await api('lead1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: 1, reviewScore: 60, comment: '第二位' });
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(second.body.error.details.current).toMatchObject({ reviewScore: 80, comment: '第一位', version: 2 });
    expect((await api('lead1').get(item('2023-D001'))).body.review).toMatchObject({
      reviewScore: 80,
      comment: '第一位',
      version: 2,
    });
  });

  it('a stale form save keeps what was typed and shows the stored version', async () => {
    await scoreD001();
    await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: 1, reviewScore: 80, comment: '第一位' });
    const agent = t.agent();
    await login(agent, 'rev1');
    const token = await csrfOf(agent, `/rounds/${roundId}/items/2023-D001`);
    const res = await agent
      .post(`/rounds/${roundId}/items/2023-D001`)
      .type('form')
      .send({ _csrf: token, action: 'save', version: '1', reviewScore: '77', comment: '我在离线时写的意见' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('我在离线时写的意见');
    expect(res.text).toContain('他人已保存的最新版本（第2版');
    expect(res.text).toContain('name="version" value="2"');
  });

  it('a refused form save (without JavaScript) shows each error beside its field, the first one focused', async () => {
    const indicators = (await api('rev1').get(item('2023-P001'))).body.indicators as Array<{
      id: number;
      isExecution: boolean;
      weight: number;
    }>;
    const [first, second] = indicators.filter((i) => !i.isExecution);
    const agent = t.agent();
    await login(agent, 'rev1');
    const token = await csrfOf(agent, `/rounds/${roundId}/items/2023-P001`);
    const res = await agent
      .post(`/rounds/${roundId}/items/2023-P001`)
      .type('form')
      .send({
        _csrf: token,
        action: 'save',
        version: '0',
        [`ind_${first.id}_score`]: '0',
        [`ind_${second.id}_score`]: '999',
        q_report: '120',
        comment: '没有写说明的扣分',
      });
    expect(res.status).toBe(422);
    const note = `ind_${first.id}_note`;
    expect(res.text).toMatch(
      new RegExp(`name="${note}" rows="2" cols="24" aria-invalid="true" aria-describedby="error-${note}" autofocus>`),
    );
    expect(res.text).toMatch(new RegExp(`<p class="field-error" id="error-${note}" data-for="${note}">[^<]*说明`));
    const score = `ind_${second.id}_score`;
    expect(res.text).toContain(`aria-invalid="true" aria-describedby="error-${score}">`);
    expect(res.text).toContain('aria-invalid="true" aria-describedby="error-q_report">');
    expect(res.text.match(/ autofocus/g)).toHaveLength(1);
    expect(res.text).toContain('没有写说明的扣分');
  });
});

describe('confirming several at once', () => {
  it('the lead confirms the checked reviews one by one; one changed since the page was read is left, and said so', async () => {
    const submit = async (code: string, user: string) => {
      const saved = await api(user)
        .put(`${item(code)}/review`)
        .send({ version: 0, reviewScore: 85, qualityScore: 80, comment: '整体打分', dimensions: DIMENSIONS });
      expect(saved.status).toBe(200);
      expect((await api(user).post(`${item(code)}/review/submit`)).status).toBe(200);
    };
    // The sample's other department, unassigned: the lead reviews it.
    const { code: other } = await t
      .db('draw_picks')
      .join('draws', 'draws.id', 'draw_picks.draw_id')
      .where({ 'draws.round_id': roundId, 'draws.status': 'active', 'draw_picks.kind': 'department' })
      .whereNot('draw_picks.code', '2023-D001')
      .first('draw_picks.code');
    await submit('2023-D001', 'rev1');
    await submit(other, 'lead1');
    const lead = t.agent();
    await login(lead, 'lead1');
    const page = (await lead.get(`/rounds/${roundId}`)).text;
    expect(page).toContain('待确认（2）');
    const chosen = [...page.matchAll(/name="items" value="([^"]+)"/g)].map((m) => m[1]);
    expect(chosen).toHaveLength(2);
    // Meanwhile the reviewer takes D001 back and submits it again: the page's version is stale.
    expect((await api('rev1').post(`${item('2023-D001')}/review/withdraw`)).status).toBe(200);
    expect((await api('rev1').post(`${item('2023-D001')}/review/submit`)).status).toBe(200);
    const res = await lead
      .post(`/rounds/${roundId}/reviews/confirm`)
      .type('form')
      .send(
        [
          `_csrf=${encodeURIComponent(await csrfOf(lead, `/rounds/${roundId}`))}`,
          ...chosen.map((c) => `items=${encodeURIComponent(c)}`),
        ].join('&'),
      );
    expect(res.status).toBe(303);
    const after = (await lead.get(`/rounds/${roundId}`)).text;
    expect(after).toContain('已确认1份复核。');
    expect(after).toContain('2023-D001：项目 2023-D001 的复核在您打开页面后已被修改（现为第4版）');
    expect(after).toContain('待确认（1）');
    expect((await api('lead1').get(item(other))).body.review.status).toBe('confirmed');
    expect((await api('lead1').get(item('2023-D001'))).body.review.status).toBe('submitted');
    expect(
      await t
        .db('audit_log')
        .where({ action: 'review.confirm', object_id: `${roundId}:${other}` })
        .first(),
    ).toBeDefined();
  });
});

describe('assigning by ticking rows', () => {
  it('the ticked rows go to the person chosen, beside the rows chosen one by one; nothing ticked still saves the rows', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    const page = await lead.get(`/rounds/${roundId}/assignments`);
    expect(page.text).toContain('分配勾选的项目');
    const rows = new Map(
      [...page.text.matchAll(/name="selected" value="(\d+)" id="sel-\d+" aria-label="勾选 (2023-[PD]\d+)"/g)].map(
        (m) => [m[2], m[1]],
      ),
    );
    const unassigned = [...rows.keys()].filter((code) => !['2023-P001', '2023-P004', '2023-D001'].includes(code));
    expect(unassigned.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = unassigned;
    const token = await csrfOf(lead, `/rounds/${roundId}/assignments`);
    const sent = await lead
      .post(`/rounds/${roundId}/assignments`)
      .type('form')
      .send({
        _csrf: token,
        mode: 'selected',
        selected: [rows.get(a), rows.get(b), rows.get('2023-P001')],
        bulkAssignee: 'rev2',
        [`assign_${rows.get(c)}`]: 'eval1',
      });
    expect(sent.status).toBe(303);
    const after = await lead.get(`/rounds/${roundId}/assignments`);
    expect(after.text).toContain('已保存，4 个项目的复核人有变化。');
    const mine = async (user: string) =>
      ((await api(user).get('/api/work')).body.items as Array<{ code: string; roundId: number }>)
        .filter((i) => i.roundId === roundId)
        .map((i) => i.code)
        .sort();
    expect(await mine('rev2')).toEqual(['2023-P001', a, b].sort());
    expect(await mine('eval1')).toEqual(['2023-P004', c].sort());
    // Ticked nothing: the row chosen one by one is saved, and the banner says the rest was not done.
    const again = await lead
      .post(`/rounds/${roundId}/assignments`)
      .type('form')
      .send({ _csrf: token, mode: 'selected', bulkAssignee: 'rev1', [`assign_${rows.get(c)}`]: 'rev1' });
    expect(again.status).toBe(303);
    expect((await lead.get(`/rounds/${roundId}/assignments`)).text).toContain(
      '没有勾选项目，勾选分配未执行；逐项选择的 1 个变化已保存。',
    );
    expect(await mine('rev1')).toContain(c);
  });
});

describe('my work', () => {
  it('lists the chosen round (one with open work by default), filtered by status, with the reason on a returned item', async () => {
    await signOffD001();
    const agent = t.agent();
    await login(agent, 'rev1');
    const all = (await agent.get('/work')).text;
    expect(all).toContain('2023-D001');
    expect(all).toContain('2023-P001');
    expect(all).toContain('退回理由：请补充佐证材料');
    expect(all).toContain(`<option value="${roundId}" selected>`);
    expect(all).toContain('已退回（1）');
    // Its offline results form is for the round shown, once.
    expect(all.match(/下载复核结果表/g)).toHaveLength(1);
    const returned = (await agent.get(`/work?round=${roundId}&status=returned`)).text;
    expect(returned).toContain('2023-D001');
    expect(returned).not.toContain('2023-P001');
    const untouched = (await agent.get(`/work?round=${roundId}&status=none`)).text;
    expect(untouched).toContain('2023-P001');
    expect(untouched).not.toContain('2023-D001');
    expect((await agent.get(`/work?round=${roundId}&status=confirmed`)).text).toContain('没有这个状态的项目');
    // The landing page is the same list.
    expect((await agent.get('/')).text).toContain('退回理由：请补充佐证材料');
  });
});

describe('a cancelled draw', () => {
  it('takes its assignments with it: its items leave my work, and a new draw starts unassigned', async () => {
    const mine = async (user: string) =>
      (await api(user).get('/api/work')).body.items.filter((i: { roundId: number }) => i.roundId === roundId);
    expect((await mine('rev1')).map((i: { code: string }) => i.code).sort()).toEqual(['2023-D001', '2023-P001']);
    const { items } = (await api('lead1').get(`/api/rounds/${roundId}/draws`)).body;
    const cancelled = await api('lead1')
      .post(`/api/draws/${items[0].id}/cancel`)
      .send({ reason: '抽样参数有误，重新抽样' });
    expect(cancelled.status).toBe(200);
    expect(await mine('rev1')).toEqual([]);
    expect(await mine('eval1')).toEqual([]);
    expect((await lastAudit(t.db, 'draw.cancel')).after).toContain('"endedAssignments":3');
    const again = await api('lead1')
      .post(`/api/rounds/${roundId}/draws`)
      .send({
        seed: 'review-tests',
        method: 'srs',
        quota: { project: 6, department: 2 },
        mandatory: { codes: ['2023-P001'] },
      });
    expect(again.status).toBe(201);
    expect(await mine('rev1')).toEqual([]);
    // The lead is not told that these items lost their reviewer to a conflict of interest.
    const agent = t.agent();
    await login(agent, 'lead1');
    expect((await agent.get(`/rounds/${roundId}/assignments`)).text).not.toContain(
      '因第三方评价机构申报利益冲突已结束分配',
    );
  });
});

describe('suggested findings', () => {
  it('one suggestion per category, naming every warning sign behind it; gone once accepted', async () => {
    const agent = t.agent();
    await login(agent, 'eval1');
    const page = (await agent.get(`/rounds/${roundId}/items/2023-P004`)).text;
    const suggested = (html: string) => [...html.matchAll(/name="source" value="warning:(\w+)"/g)].map((m) => m[1]);
    // 2023-P004: 执行率低 (P01), 得分率偏离 and 超过分值 (both P08): two suggestions, not three.
    expect(suggested(page)).toEqual(['lowExecution', 'scoreAboveExecution']);
    expect(page).toContain('指标得分率明显高于预算执行率，自评打分偏高。部分指标得分超过其分值，打分随意。');
    const accepted = await agent
      .post(`/rounds/${roundId}/items/2023-P004`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/rounds/${roundId}/items/2023-P004`),
        action: 'finding',
        category: 'P08',
        description: '指标得分率明显高于预算执行率，自评打分偏高。部分指标得分超过其分值，打分随意。',
        source: 'warning:scoreAboveExecution',
      });
    expect(accepted.status).toBe(303);
    expect(suggested((await agent.get(`/rounds/${roundId}/items/2023-P004`)).text)).toEqual(['lowExecution']);
  });
});

describe('sign-off', () => {
  it('submit needs a complete review; then only the lead confirms; a confirmed review is closed until returned', async () => {
    await scoreD001();
    await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: 1, reviewScore: 80, comment: '第一位' });
    const incomplete = await api('rev1').post(`${item('2023-D001')}/review/submit`);
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.error.details.map((d: { message: string }) => d.message)).toContain(
      '"绩效目标编制"还没有判断',
    );
    const current = (await api('rev1').get(item('2023-D001'))).body.review;
    await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: current.version, reviewScore: 80, comment: '整体打分：绩效目标不细化', dimensions: DIMENSIONS });
    expect((await api('lead1').post(`${item('2023-D001')}/review/confirm`)).status).toBe(409);
    const submitted = await api('rev1').post(`${item('2023-D001')}/review/submit`);
    expect(submitted.body.status).toBe('submitted');
    expect((await api('rev1').post(`${item('2023-D001')}/review/confirm`)).status).toBe(403);
    const saveAfterSubmit = await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: submitted.body.version, reviewScore: 70 });
    expect(saveAfterSubmit.status).toBe(409);
    const confirmed = await api('lead1').post(`${item('2023-D001')}/review/confirm`);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', reviewScore: 80 });
    expect(
      (
        await api('lead1')
          .post(`${item('2023-D001')}/review/return`)
          .send({ reason: '' })
      ).status,
    ).toBe(422);
    const returned = await api('lead1')
      .post(`${item('2023-D001')}/review/return`)
      .send({ reason: '请补充佐证材料' });
    expect(returned.body).toMatchObject({ status: 'returned', returnReason: '请补充佐证材料' });
    const again = await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: returned.body.version, reviewScore: 78, comment: '补充后调整', dimensions: DIMENSIONS });
    expect(again.body).toMatchObject({ status: 'returned', reviewScore: 78 });
    const history = (await api('lead1').get(item('2023-D001'))).body.history;
    expect(history.map((h: { action: string }) => h.action)).toEqual([
      'save',
      'return',
      'confirm',
      'submit',
      'save',
      'save',
      'save',
    ]);
    expect((await lastAudit(t.db, 'review.return')).after).toContain('请补充佐证材料');
    await expect(t.db('review_versions').update({ reason: 'x' })).rejects.toThrow(/append-only/);
  });

  it('a writer takes back a submission the lead has not confirmed; not once it is confirmed, nor someone else’s', async () => {
    await scoreD001();
    const current = (await api('rev1').get(item('2023-D001'))).body.review;
    await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: current.version, reviewScore: 80, comment: '整体打分：绩效目标不细化', dimensions: DIMENSIONS });
    expect((await api('rev1').post(`${item('2023-D001')}/review/withdraw`)).status).toBe(409);
    expect((await api('rev1').post(`${item('2023-D001')}/review/submit`)).status).toBe(200);
    // Not the writer's item, nor the lead's submission: refused (and audited as such).
    expect((await api('eval1').post(`${item('2023-D001')}/review/withdraw`)).status).toBe(403);
    expect((await api('lead1').post(`${item('2023-D001')}/review/withdraw`)).status).toBe(403);
    const withdrawn = await api('rev1').post(`${item('2023-D001')}/review/withdraw`);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ status: 'draft', reviewScore: 80 });
    expect((await api('lead1').post(`${item('2023-D001')}/review/confirm`)).status).toBe(409);
    const edited = await api('rev1')
      .put(`${item('2023-D001')}/review`)
      .send({ version: withdrawn.body.version, comment: '撤回后补充了意见' });
    expect(edited.status).toBe(200);
    expect((await api('rev1').post(`${item('2023-D001')}/review/submit`)).status).toBe(200);
    expect((await api('lead1').post(`${item('2023-D001')}/review/confirm`)).status).toBe(200);
    const late = await api('rev1').post(`${item('2023-D001')}/review/withdraw`);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('请组长退回');
    const history = (await api('lead1').get(item('2023-D001'))).body.history;
    expect(history.map((h: { action: string }) => h.action).slice(0, 5)).toEqual([
      'confirm',
      'submit',
      'save',
      'withdraw',
      'submit',
    ]);
    expect(await lastAudit(t.db, 'review.withdraw')).toBeDefined();
  });

  it('the history lists every version with what it changed; the review page lists the latest ten', async () => {
    await signOffD001();
    let version = (await api('rev1').get(item('2023-D001'))).body.review.version;
    for (let i = 0; i < 5; i += 1)
      version = (
        await api('rev1')
          .put(`${item('2023-D001')}/review`)
          .send({ version, reviewScore: 70 + i, comment: `第${i}次调整`, dimensions: DIMENSIONS })
      ).body.version;
    expect(version).toBe(12);
    const history = await api('lead1').get(`${item('2023-D001')}/history`);
    expect(history.status).toBe(200);
    expect(history.body.versions.map((v: { version: number }) => v.version)).toEqual([
      12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
    ]);
    expect(history.body.versions[0]).toMatchObject({
      action: 'save',
      by: 'rev1',
      reviewScore: 74,
      changes: [
        { field: '复核得分', from: '73', to: '74' },
        { field: '整体复核得分', from: '73', to: '74' },
        { field: '复核意见', from: '第3次调整', to: '第4次调整' },
      ],
    });
    // Returning changes the status only.
    expect(history.body.versions.find((v: { action: string }) => v.action === 'return').changes).toEqual([]);
    expect(history.body.versions[11].changes).toContainEqual({ field: '复核得分', from: '—', to: '85.5' });
    // An evaluator not assigned the item reaches neither the history nor its page.
    expect((await api('eval1').get(`${item('2023-D001')}/history`)).status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('项目 2023-D001 未分配给本人');

    const lead = t.agent();
    await login(lead, 'lead1');
    const page = await lead.get(`/rounds/${roundId}/items/2023-D001`);
    expect(page.text).toContain('共12个版本，下表为最近10个。');
    expect(page.text).toContain(`href="/rounds/${roundId}/items/2023-D001/history"`);
    expect(page.text.match(/<tr><td class="num">\d+<\/td>/g)).toHaveLength(10);
    const full = await lead.get(`/rounds/${roundId}/items/2023-D001/history`);
    expect(full.status).toBe(200);
    expect(full.text).toContain('第1版 · 保存');
    expect(full.text).toContain('<th scope="row">复核意见</th><td>第3次调整</td><td>第4次调整</td>');
    expect(full.text).toContain('内容未改动（仅状态变化）。');
  });

  it('the review page, my work and the assignment page render for their roles', async () => {
    await scoreP001();
    const reviewer = t.agent();
    await login(reviewer, 'rev1');
    const page = await reviewer.get(`/rounds/${roundId}/items/2023-P001`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('扣分规则');
    expect(page.text).toContain('无佐证材料（扣100%）');
    // The stored rules are selected, and the assigned reviewer's fields are open to edit…
    expect(page.text.match(/<option value="R\d" data-percent="\d+" selected>/g)).toEqual([
      '<option value="R5" data-percent="30" selected>',
      '<option value="R1" data-percent="100" selected>',
      '<option value="R6" data-percent="100" selected>',
    ]);
    expect(page.text).toMatch(/<textarea id="f-comment" name="comment" rows="4">/);
    // …while an official reads the same page with every field disabled.
    const official = t.agent();
    await login(official, 'off1');
    const read = await official.get(`/rounds/${roundId}/items/2023-P001`);
    expect(read.text).toMatch(/<textarea id="f-comment" name="comment" rows="4" disabled>/);
    expect(read.text.match(/<select id="ir-\d+" [^>]*>/g)!.every((tag) => tag.endsWith(' disabled>'))).toBe(true);
    expect((await reviewer.get('/work')).text).toContain('2023-P001');
    expect((await reviewer.get(`/rounds/${roundId}/assignments`)).status).toBe(403);
    const lead = t.agent();
    await login(lead, 'lead1');
    const assignments = await lead.get(`/rounds/${roundId}/assignments`);
    expect(assignments.text).toContain('工作量');
    const token = await csrfOf(lead, `/rounds/${roundId}/assignments`);
    const rr = await lead
      .post(`/rounds/${roundId}/assignments`)
      .type('form')
      .send({ _csrf: token, mode: 'round-robin', people: ['rev2', 'eval1'] });
    expect(rr.status).toBe(303);
    const items = (
      await api('lead1')
        .post(`/api/rounds/${roundId}/assignments`)
        .send([{ code: '2023-P001', username: 'rev1' }])
    ).body.items;
    expect(items.filter((i: { assignee: string | null }) => i.assignee === null)).toEqual([]);
  });
});

describe('findings', () => {
  it('an evaluator records a finding on their item, marked with their organisation; bad ones are refused', async () => {
    const created = await api('eval1')
      .post(`${item('2023-P004')}/findings`)
      .send({ category: 'P01', description: '预算执行率仅28.69%，资金大量结余', severity: 'major' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      category: 'P01',
      title: '预算执行率低（资金闲置沉淀）',
      severity: 'major',
      authorRole: 'evaluator',
      organisation: '某某会计师事务所',
    });
    const unknown = await api('eval1')
      .post(`${item('2023-P004')}/findings`)
      .send({ category: 'P99', description: '某个问题描述' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].message).toBe('问题类别"P99"不存在或已停用');
    expect(
      (
        await api('eval1')
          .post(`${item('2023-P004')}/findings`)
          .send({ category: 'P02', description: '短', severity: 'huge' })
      ).body.error.details.map((d: { field: string }) => d.field),
    ).toEqual(['description', 'severity']);
    expect(
      (
        await api('rev1')
          .post(`${item('2023-P004')}/findings`)
          .send({ category: 'P01', description: '越权记录的问题' })
      ).status,
    ).toBe(403);
    expect((await lastAudit(t.db, 'finding.create')).after).toContain('资金大量结余');
  });

  it('warning signs are offered as findings and accepted in one click; a finding is withdrawn with a reason, not deleted', async () => {
    await api('eval1')
      .post(`${item('2023-P004')}/findings`)
      .send({ category: 'P01', description: '预算执行率仅28.69%，资金大量结余', severity: 'major' });
    const agent = t.agent();
    await login(agent, 'eval1');
    const page = await agent.get(`/rounds/${roundId}/items/2023-P004`);
    expect(page.text).toContain('根据警示信号建议的问题');
    expect(page.text).toContain('value="warning:lowExecution"');
    const token = await csrfOf(agent, `/rounds/${roundId}/items/2023-P004`);
    const accepted = await agent.post(`/rounds/${roundId}/items/2023-P004`).type('form').send({
      _csrf: token,
      action: 'finding',
      category: 'P08',
      description: '部分指标得分超过其分值，打分随意。',
      source: 'warning:overWeight',
    });
    expect(accepted.status).toBe(303);
    const after = await agent.get(`/rounds/${roundId}/items/2023-P004`);
    expect(after.text).not.toContain('value="warning:overWeight"');
    const findings = (await api('eval1').get(item('2023-P004'))).body.findings;
    expect(findings.map((f: { source: string }) => f.source)).toEqual(['manual', 'warning:overWeight']);
    const withdrawn = await agent
      .post(`/rounds/${roundId}/items/2023-P004`)
      .type('form')
      .send({ _csrf: token, action: 'withdraw-finding', findingId: String(findings[1].id), reason: '与P01重复' });
    expect(withdrawn.status).toBe(303);
    const now = (await api('eval1').get(item('2023-P004'))).body.findings;
    expect(now).toHaveLength(2);
    expect(now[1].withdrawn).toBe(true);
  });
});

describe('evidence', () => {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

  it('uploads by content type, stores by SHA-256, downloads as an attachment only to those who may read the item', async () => {
    const up = await api('eval1')
      .post(`${item('2023-P004')}/evidence`)
      .field('description', '满意度调查问卷扫描件')
      .attach('file', pdf, '满意度调查.pdf');
    expect(up.status).toBe(201);
    const again = await api('eval1')
      .post(`${item('2023-P004')}/evidence`)
      .attach('file', pdf, '同一文件再传一次.pdf');
    expect(again.status).toBe(201);
    // The same bytes twice are stored once, by their SHA-256.
    const sha = (await api('eval1').get(item('2023-P004'))).body.evidence.map((e: { sha256: string }) => e.sha256);
    expect(new Set(sha).size).toBe(1);
    expect(Number((await t.db('stored_files').where('sha256', sha[0]).count({ n: '*' }).first())!.n)).toBe(1);
    const record = (await api('eval1').get(item('2023-P004'))).body;
    expect(record.evidence.map((e: { fileName: string; mediaType: string }) => `${e.fileName}|${e.mediaType}`)).toEqual(
      ['满意度调查.pdf|application/pdf', '同一文件再传一次.pdf|application/pdf'],
    );
    const download = await api('eval1').get(up.body.href).buffer(true);
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toContain('attachment');
    expect(download.headers['content-disposition']).toContain("filename*=UTF-8''%E6%BB%A1");
    expect(download.headers['content-security-policy']).toContain('sandbox');
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect((await api('rev2').get(up.body.href)).status).toBe(403);
    expect((await lastAudit(t.db, 'evidence.upload')).after).toContain('同一文件再传一次.pdf');

    const cited = await api('eval1')
      .post(`${item('2023-P004')}/findings`)
      .send({ category: 'P10', description: '满意度问卷样本量不足', evidence: [up.body.id] });
    expect(cited.status).toBe(201);
    expect(
      (
        await api('eval1')
          .post(`${item('2023-P004')}/findings`)
          .send({ category: 'P10', description: '引用了别的文件', evidence: [999] })
      ).status,
    ).toBe(422);
  });

  it.each([
    [png, '截图.pdf', '文件内容是PNG 图片，与文件名"截图.pdf"不符'],
    [Buffer.from('<html><script>alert(1)</script></html>'), '说明.html', '不支持的文件类型'],
    [Buffer.from('MZ\u0090\u0000binary'), 'tool.pdf', '不支持的文件类型'],
  ])('%#: a forbidden or mislabelled file is refused and nothing is stored', async (data, name, message) => {
    const before = (await api('eval1').get(item('2023-P004'))).body.evidence.length;
    const res = await api('eval1')
      .post(`${item('2023-P004')}/evidence`)
      .attach('file', data, name);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain(message);
    expect((await api('eval1').get(item('2023-P004'))).body.evidence.length).toBe(before);
  });
});

describe('conflict of interest', () => {
  it('an evaluator declares a department; no evaluator of that organisation is then assigned its items, and the lead is told why', async () => {
    // Another agency than eval1's, so that eval1 keeps its item for the tests below.
    await t.createUser('eval2', 'evaluator', { organisation: '甲评价咨询公司' });
    await t.createUser('eval3', 'evaluator', { organisation: '甲评价咨询公司' });
    tokens.eval3 = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'eval3', 't')).token;
    const declared = await api('eval3')
      .post(`/api/rounds/${roundId}/conflicts`)
      .send({ scope: 'department', name: '县残疾人联合会', reason: '2023年为其提供预算编制咨询服务' });
    expect(declared.status).toBe(201);
    expect(
      (
        await api('eval3')
          .post(`/api/rounds/${roundId}/conflicts`)
          .send({ scope: 'department', name: '不存在的局', reason: '某种关系说明' })
      ).status,
    ).toBe(422);
    expect(
      (
        await api('rev1')
          .post(`/api/rounds/${roundId}/conflicts`)
          .send({ scope: 'department', name: '县民政局', reason: '某种关系说明' })
      ).status,
    ).toBe(403);
    const refused = await api('lead1')
      .post(`/api/rounds/${roundId}/assignments`)
      .send([{ code: '2023-D001', username: 'eval2' }]);
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].message).toBe(
      '利益冲突：甲评价咨询公司已申报与主管部门"县残疾人联合会"的关系（2023年为其提供预算编制咨询服务），不能复核 2023-D001',
    );
    expect((await api('lead1').get(item('2023-D001'))).body.assignee).toBe('rev1');
    expect((await lastAudit(t.db, 'conflict.declare')).after).toContain('县残疾人联合会');
    const agent = t.agent();
    await login(agent, 'lead1');
    expect((await agent.get(`/rounds/${roundId}/conflicts`)).text).toContain('2023年为其提供预算编制咨询服务');
  });

  it('an evaluator states no conflict once; it is on record for the lead, and others may not state it', async () => {
    const agent = t.agent();
    await login(agent, 'eval1');
    expect((await agent.get(`/rounds/${roundId}/conflicts`)).text).toContain('声明无利益冲突</button>');
    expect((await api('rev1').post(`/api/rounds/${roundId}/conflicts/none`)).status).toBe(403);
    expect((await api('eval1').post(`/api/rounds/${roundId}/conflicts/none`)).status).toBe(201);
    expect((await api('eval1').post(`/api/rounds/${roundId}/conflicts/none`)).status).toBe(409);
    expect((await agent.get(`/rounds/${roundId}/conflicts`)).text).not.toContain('声明无利益冲突</button>');
    expect((await lastAudit(t.db, 'conflict.none')).after).toContain('某某会计师事务所');
    const lead = t.agent();
    await login(lead, 'lead1');
    expect((await lead.get(`/rounds/${roundId}/conflicts`)).text).toContain('eval1（某某会计师事务所）于');
  });

  it('a refused declaration comes back with what was typed and why, and nothing is declared', async () => {
    const agent = t.agent();
    await login(agent, 'eval1');
    const before = await t.db('conflict_declarations').count({ n: '*' });
    const res = await agent
      .post(`/rounds/${roundId}/conflicts`)
      .type('form')
      .send({
        _csrf: await csrfOf(agent, `/rounds/${roundId}/conflicts`),
        scope: 'unit',
        name: '不存在的单位',
        reason: '2022年为其做过财务审计，写了很长的说明',
      });
    expect(res.status).toBe(422);
    expect(res.text).toContain('本批次中没有预算单位&quot;不存在的单位&quot;');
    expect(res.text).toContain('value="不存在的单位"');
    expect(res.text).toContain('2022年为其做过财务审计，写了很长的说明</textarea>');
    expect(res.text).toContain('<option value="unit" selected>');
    expect(await t.db('conflict_declarations').count({ n: '*' })).toEqual(before);
  });
});

describe('quality rating and round settings', () => {
  it('及时性 comes from the dates, overriding it needs a reason; 100/60/70 at 20/40/40 is 72, 中', async () => {
    await scoreP001();
    const current = (await api('lead1').get(item('2023-P001'))).body.review;
    const noReason = await api('rev1')
      .put(`${item('2023-P001')}/review`)
      .send({ version: current.version, quality: { timeliness: 80, normative: 60, report: 70 } });
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.details[0].message).toBe('及时性按报送日期应为100分，改为其他分值须说明理由');
    const ok = await api('rev1')
      .put(`${item('2023-P001')}/review`)
      .send({ version: current.version, quality: { normative: 60, report: 70 }, indicators: [], dimensions: {} });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ qualityScore: 72, qualityGrade: '中' });
  });

  it('weights and blind review are set before reviews start; then 409', async () => {
    await scoreD001();
    const round = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
    const late = await api('lead1')
      .put(`/api/rounds/${roundId}/review-settings`)
      .send({
        qualityWeights: { timeliness: 30, normative: 30, report: 40 },
        blindReview: true,
        version: round.version,
      });
    expect(late.status).toBe(409);
    const created = await api('lead1')
      .post('/api/rounds')
      .send({ title: '盲评批次', fiscalYear: 2023, deadline: '2024-03-31' });
    const blindRound = created.body.id;
    await api('lead1')
      .post(`/api/rounds/${blindRound}/population`)
      .attach('file', fs.readFileSync(path.resolve(__dirname, '../fixtures/round-2023.xlsx')), 'round-2023.xlsx');
    await api('lead1')
      .post(`/api/rounds/${blindRound}/draws`)
      .send({
        seed: 'blind',
        method: 'srs',
        quota: { project: 2, department: 1 },
        mandatory: { codes: ['2023-P002'] },
      });
    const bad = await api('lead1')
      .put(`/api/rounds/${blindRound}/review-settings`)
      .send({ qualityWeights: { timeliness: 30, normative: 30, report: 30 }, blindReview: true, version: 1 });
    expect(bad.status).toBe(422);
    const version = (await api('lead1').get(`/api/rounds/${blindRound}`)).body.version;
    const set = await api('lead1')
      .put(`/api/rounds/${blindRound}/review-settings`)
      .send({ qualityWeights: { timeliness: 30, normative: 30, report: 40 }, blindReview: true, version });
    expect(set.body).toMatchObject({
      qualityWeights: { timeliness: 30, normative: 30, report: 40 },
      blindReview: true,
    });
    await api('lead1')
      .post(`/api/rounds/${blindRound}/assignments`)
      .send([{ code: '2023-P002', username: 'rev2' }]);
    const before = (await api('rev2').get(`/api/rounds/${blindRound}/items/2023-P002`)).body;
    expect(before).toMatchObject({ blind: true, selfScore: null, selfGrade: null });
    expect(before.indicators.every((i: { score: number | null }) => i.score === null)).toBe(true);
    const scored = before.indicators
      .filter((i: { isExecution: boolean }) => !i.isExecution)
      .map((i: { id: number; weight: number }) => ({ id: i.id, reviewScore: i.weight, note: '' }));
    await api('rev2').put(`/api/rounds/${blindRound}/items/2023-P002/review`).send({ version: 0, indicators: scored });
    const after = (await api('rev2').get(`/api/rounds/${blindRound}/items/2023-P002`)).body;
    expect(after).toMatchObject({ blind: false, selfScore: 85.5 });
    expect((await api('lead1').get(`/api/rounds/${blindRound}/items/2023-P002`)).body.blind).toBe(false);
  });
});

describe('offline results for agencies', () => {
  async function download(user: string): Promise<ExcelJS.Workbook> {
    const res = await api(user).get(`/rounds/${roundId}/results.xlsx`).buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    return workbook;
  }
  const upload = async (user: string, workbook: ExcelJS.Workbook) =>
    api(user)
      .post(`/api/rounds/${roundId}/reviews/import`)
      .attach('file', Buffer.from(await workbook.xlsx.writeBuffer()), '复核结果.xlsx');

  it('the agency downloads its items, fills the sheet and uploads it; the results are stored with findings', async () => {
    const workbook = await download('eval1');
    const sheet = workbook.getWorksheet('复核结果')!;
    const codes = sheet.getColumn(1).values.slice(2);
    expect(codes).toContain('2023-P004');
    expect(codes).not.toContain('2023-P001');
    const row = sheet.getRow(2 + codes.indexOf('2023-P004'));
    row.getCell(2).value = 70.5;
    row.getCell(3).value = 65;
    row.getCell(4).value = '执行率低，指标得分明显偏高';
    row.getCell(5).value = 'P01；P08';
    row.getCell(6).value = '执行率28.69%，得分99分';
    const res = await upload('eval1', workbook);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ imported: 1 });
    const record = (await api('eval1').get(item('2023-P004'))).body;
    expect(record.review).toMatchObject({
      reviewScore: 70.5,
      reviewGrade: '中',
      qualityScore: 65,
      comment: '执行率低，指标得分明显偏高',
      version: 1,
    });
    expect(
      record.findings
        .filter((f: { source: string }) => f.source === 'offline')
        .map((f: { category: string }) => f.category),
    ).toEqual(['P01', 'P08']);
    expect(record.history[0]).toMatchObject({ action: 'import', reason: '复核结果.xlsx' });
  });

  it('a sheet with someone else’s item, a stale version or a bad score is refused whole (403, audited), listing each row', async () => {
    // P004 already stored from a first sheet (version 1).
    const first = await download('eval1');
    const firstSheet = first.getWorksheet('复核结果')!;
    firstSheet.getRow(2 + firstSheet.getColumn(1).values.slice(2).indexOf('2023-P004')).getCell(2).value = 70.5;
    expect((await upload('eval1', first)).status).toBe(200);
    const workbook = await download('eval1');
    const sheet = workbook.getWorksheet('复核结果')!;
    const codes = sheet.getColumn(1).values.slice(2);
    const p004 = 2 + codes.indexOf('2023-P004');
    sheet.getRow(p004).getCell(2).value = 71;
    sheet.getRow(p004).getCell(7).value = 0; // as if downloaded before the upload above: stale
    const last = sheet.rowCount;
    sheet.addRow(['2023-P001', 50]);
    sheet.addRow(['2023-NOPE', 'abc']);
    const res = await upload('eval1', workbook);
    expect(res.status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('离线复核结果中有未分配给本人的项目：2023-P001');
    expect(
      res.body.error.details.map(
        (d: { row: number; column: string; message: string }) => `${d.row}|${d.column}|${d.message}`,
      ),
    ).toEqual([
      `${p004}|版本（勿改）|"2023-P004"的复核在系统中已是第1版（表中为第0版），请重新下载后再填`,
      `${last + 1}|编码|编码"2023-P001"不在本批次样本中，或未分配给您`,
      `${last + 2}|复核得分|不是数字"abc"`,
    ]);
    expect((await api('eval1').get(item('2023-P004'))).body.review).toMatchObject({ reviewScore: 70.5, version: 1 });
  });
});

describe('the bureau’s own categories, and deductions citing evidence', () => {
  it('a lead adds P19 and retires it; a retired category cannot be used', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    const token = await csrfOf(lead, '/categories');
    expect(
      (
        await lead
          .post('/categories')
          .type('form')
          .send({ _csrf: token, title: '项目资金使用不合规', recommendation: '严格按照资金管理办法使用项目资金。' })
      ).status,
    ).toBe(303);
    expect((await lead.get('/categories')).text).toContain('P19');
    const used = await api('eval1')
      .post(`${item('2023-P004')}/findings`)
      .send({ category: 'P19', description: '购置了与项目无关的设备' });
    expect(used.body).toMatchObject({ category: 'P19', title: '项目资金使用不合规' });
    await lead.post('/categories/P19/retire').type('form').send({ _csrf: token });
    expect(
      (
        await api('eval1')
          .post(`${item('2023-P004')}/findings`)
          .send({ category: 'P19', description: '购置了与项目无关的设备' })
      ).status,
    ).toBe(422);
    expect((await lastAudit(t.db, 'category.retire')).object_id).toBe('P19');
    const reviewer = t.agent();
    await login(reviewer, 'rev1');
    expect((await reviewer.get('/categories')).status).toBe(403);
  });

  it('an indicator deduction cites evidence of its own item only', async () => {
    const { scored } = await scoreP001();
    const up = await api('rev1')
      .post(`${item('2023-P001')}/evidence`)
      .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), '台账.pdf');
    const foreign = (
      await api('eval1')
        .post(`${item('2023-P004')}/evidence`)
        .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), '问卷.pdf')
    ).body.id;
    const bad = await api('rev1')
      .put(`${item('2023-P001')}/review`)
      .send({
        version: 1,
        indicators: [{ id: scored[0].id, rule: 'R1', note: '无台账', evidence: [foreign] }],
      });
    expect(bad.status).toBe(422);
    const ok = await api('rev1')
      .put(`${item('2023-P001')}/review`)
      .send({
        version: 1,
        indicators: [{ id: scored[0].id, rule: 'R1', note: '无台账', evidence: [up.body.id] }],
      });
    expect(ok.status).toBe(200);
    expect(ok.body.indicators[0]).toMatchObject({ rule: 'R1', reviewScore: 0, evidence: [up.body.id] });
  });
});
