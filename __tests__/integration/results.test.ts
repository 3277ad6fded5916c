import ExcelJS from 'exceljs';
import { Api, DIMENSIONS, ROUND_2023_XLSX, sampledRound, usersWithTokens } from '../helpers/rounds';
import { binaryParser, csrfFrom, lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

/**
 * 结果应用 (spec/units.md): results across years per unit with recurring problems marked, the
 * budget action per grade (editable until publication), and the 结果应用 sheet.
 */

let t: TestApp;
let api: (name: string) => Api;

const DISABLED = '县残疾人联合会';

beforeAll(async () => {
  t = await startTestApp();
  t.clock.current = new Date('2026-12-07T02:00:00Z');
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['off1', 'official'],
    ['unit1', 'unit', { units: [DISABLED] }],
  ]);
});
afterAll(() => t.close());

async function sample(roundId: number): Promise<string[]> {
  const rows = (await t
    .db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' })
    .orderBy('draw_picks.code')
    .select('draw_picks.code')) as Array<{ code: string }>;
  return rows.map((r) => r.code);
}

/** A round of a year: every sampled item reviewed at `score` (D001 at `d001`), with findings, confirmed. */
async function reviewedRound(year: number, findings: Record<string, string[]>, d001 = 85) {
  const roundId = await sampledRound(api('lead1'), { title: `${year}年度抽查复核` });
  await t.db('rounds').where({ id: roundId }).update({ fiscal_year: year });
  const codes = await sample(roundId);
  await api('lead1')
    .post(`/api/rounds/${roundId}/assignments`)
    .send(codes.map((code) => ({ code, username: 'rev1' })));
  for (const code of codes) {
    const url = `/api/rounds/${roundId}/items/${code}`;
    const saved = await api('rev1')
      .put(`${url}/review`)
      .send({
        version: 0,
        reviewScore: code === '2023-D001' ? d001 : 92,
        qualityScore: 75,
        comment: '复核意见',
        dimensions: DIMENSIONS,
      });
    expect(saved.status).toBe(200);
    for (const category of findings[code] ?? [])
      await api('rev1')
        .post(`${url}/findings`)
        .send({ category, description: `${code}：${category}` });
    expect((await api('rev1').post(`${url}/review/submit`)).status).toBe(200);
    expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);
  }
  return roundId;
}

it('puts a unit’s rounds side by side and marks a category found on it in an earlier round as recurring', async () => {
  const first = await reviewedRound(2022, { '2023-D001': ['P01'], '2023-P001': ['P16'] }, 72);
  const second = await reviewedRound(2023, { '2023-D001': ['P01', 'P09'] }, 88);
  const results = await api('lead1').get(`/api/results?unit=${encodeURIComponent(DISABLED)}`);
  expect(results.status).toBe(200);
  expect(results.body.units).toHaveLength(1);
  const [unit] = results.body.units;
  expect(unit).toMatchObject({ unit: DISABLED, department: DISABLED });
  const rounds = unit.rounds.filter((r: { roundId: number }) => r.roundId === first || r.roundId === second);
  expect(rounds.map((r: { fiscalYear: number }) => r.fiscalYear)).toEqual([2022, 2023]);
  // D001 (self 96) at 72 and 88, P001 and P004 at 92: self-scores from the fixture.
  expect(rounds[0]).toMatchObject({ sampled: 3, grades: { 优: 2, 良: 0, 中: 1, 差: 0 }, quality: { 中: 3 } });
  expect(rounds[1]).toMatchObject({ sampled: 3, grades: { 优: 2, 良: 1, 中: 0, 差: 0 } });
  expect(rounds[0].problems).toEqual([
    { category: 'P01', count: 1, recurring: false, title: expect.any(String) },
    { category: 'P16', count: 1, recurring: false, title: expect.any(String) },
  ]);
  expect(rounds[1].problems).toEqual([
    { category: 'P01', count: 1, recurring: true, title: expect.any(String) },
    { category: 'P09', count: 1, recurring: false, title: expect.any(String) },
  ]);
  const self = (await t
    .db('submissions')
    .where({ round_id: first })
    .whereIn('code', ['2023-D001', '2023-P001', '2023-P004'])
    .select('self_score')) as Array<{ self_score: number }>;
  const selfTotal = self.reduce((s, r) => s + Number(r.self_score), 0);
  expect(rounds[0].meanDeviation).toBe(Math.round((selfTotal - (7200 + 9200 + 9200)) / 3) / 100);
  expect(rounds[0].rectification).toEqual({ open: 0, submitted: 0, returned: 0, accepted: 0, overdue: 0 });

  // A unit reads its own results only, whatever it asks for; a reviewer none.
  const own = await api('unit1').get('/api/results?unit=县民政局');
  expect(own.status).toBe(200);
  expect(own.body.units).toEqual([]);
  expect((await api('unit1').get('/api/results')).body.units.map((u: { unit: string }) => u.unit)).toEqual([DISABLED]);
  expect((await api('rev1').get('/api/results')).status).toBe(403);

  // The page draws its charts from the same figures.
  const lead = t.agent();
  await login(lead, 'lead1');
  const page = await lead.get(`/results?unit=${encodeURIComponent(DISABLED)}`);
  expect(page.status).toBe(200);
  expect(page.text).toContain('data-chart="grades"');
  expect(page.text).toContain('（重复出现）');
  expect(page.text).toContain('/static/vendor/chart.umd.min.js');
});

it('the budget actions per grade are the round’s, editable by the lead until publication; the sheet carries them', async () => {
  const roundId = await reviewedRound(2024, { '2023-D001': ['P01'] }, 65);
  const round = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
  const actions = { 优: '优先保障', 良: '正常安排', 中: '压减15%', 差: '不再安排' };
  expect(
    (await api('rev1').put(`/api/rounds/${roundId}/budget-actions`).send({ actions, version: round.version })).status,
  ).toBe(403);
  const blank = await api('lead1')
    .put(`/api/rounds/${roundId}/budget-actions`)
    .send({ actions: { ...actions, 差: '' }, version: round.version });
  expect(blank.status).toBe(422);
  expect(blank.body.error.details).toEqual([{ field: '差', message: '请填写“差”的预算安排建议' }]);
  const stale = await api('lead1')
    .put(`/api/rounds/${roundId}/budget-actions`)
    .send({ actions, version: round.version + 5 });
  expect(stale.status).toBe(409);
  const saved = await api('lead1')
    .put(`/api/rounds/${roundId}/budget-actions`)
    .send({ actions, version: round.version });
  expect(saved.status).toBe(200);
  expect(saved.body.budgetActions).toEqual(actions);
  expect(await lastAudit(t.db, 'round.budget-actions')).toMatchObject({ actor_username: 'lead1' });

  // The sheet: one row per sampled item, checked cell by cell for D001.
  const sheet = await api('off1').get(`/api/rounds/${roundId}/results.xlsx`).buffer(true).parse(binaryParser);
  expect(sheet.status).toBe(200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(sheet.body as unknown as ArrayBuffer);
  const rows = book.getWorksheet('结果应用')!;
  const header = (rows.getRow(1).values as unknown[]).slice(1);
  expect(header).toEqual([
    '编码',
    '类型',
    '主管部门',
    '预算单位',
    '项目名称',
    '预算数（万元）',
    '自评得分',
    '自评等级',
    '复核得分',
    '复核等级',
    '偏差（自评−复核）',
    '预算安排建议',
    '整改情况',
    '逾期未销号',
  ]);
  expect(rows.rowCount - 1).toBe((await sample(roundId)).length);
  let d001: ExcelJS.Row | undefined;
  rows.eachRow((row) => {
    if (row.getCell(1).value === '2023-D001') d001 = row;
  });
  const record = await t.db('submissions').where({ round_id: roundId, code: '2023-D001' }).first();
  expect((d001!.values as unknown[]).slice(1)).toEqual([
    '2023-D001',
    '部门整体支出',
    DISABLED,
    DISABLED,
    `${DISABLED}部门整体支出`,
    Number(record.budget_fen) / 1_000_000,
    Number(record.self_score) / 100,
    record.self_grade,
    65,
    '中',
    (Number(record.self_score) - 6500) / 100,
    '压减15%',
    '无整改事项',
    0,
  ]);
  expect(d001!.getCell(6).numFmt).toBe('#,##0.00');
  const settings = book.getWorksheet('设置')!;
  const values = settings.getSheetValues().map((r) => (Array.isArray(r) ? r.slice(1) : r));
  expect(values).toEqual(
    expect.arrayContaining([
      ['中', '压减15%'],
      ['差', '不再安排'],
    ]),
  );

  // Published: the table is fixed, and the sheet shows the tasks made at publication.
  await api('lead1')
    .patch(`/api/rounds/${roundId}`)
    .send({ objectionContact: '县财政局绩效股', version: round.version + 1 });
  const draft = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
  await api('lead1')
    .put(`/api/rounds/${roundId}/announcement`)
    .send({ revision: draft.body.revision, deadline: '2027-03-31' });
  expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
  expect((await api('off1').post(`/api/rounds/${roundId}/announcement/publish`)).status).toBe(200);
  const after = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
  const late = await api('lead1')
    .put(`/api/rounds/${roundId}/budget-actions`)
    .send({ actions, version: after.version });
  expect(late.status).toBe(409);
  const book2 = new ExcelJS.Workbook();
  await book2.xlsx.load(
    (await api('lead1').get(`/api/rounds/${roundId}/results.xlsx`).buffer(true).parse(binaryParser))
      .body as unknown as ArrayBuffer,
  );
  let summary: unknown;
  book2.getWorksheet('结果应用')!.eachRow((row) => {
    if (row.getCell(1).value === '2023-D001') summary = row.getCell(13).value;
  });
  expect(summary).toBe('待整改1项');

  // The round page's form, for the lead, says it is fixed now.
  const lead = t.agent();
  await login(lead, 'lead1');
  const page = await lead.get(`/rounds/${roundId}`);
  expect(page.text).toContain('公示已发布，建议不再修改');
  const refused = await lead
    .post(`/rounds/${roundId}/budget-actions`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), version: String(after.version), ...actions });
  expect(refused.status).toBe(303);
  expect((await lead.get(`/rounds/${roundId}`)).text).toContain('公示已发布，预算安排建议不能再修改');
});

it('a unit with the same problem in two earlier years is marked 问题重复 when the next year is imported', async () => {
  await reviewedRound(2018, { '2023-D001': ['P02'] });
  await reviewedRound(2019, { '2023-D001': ['P02'] });
  const next = await api('lead1').post('/api/rounds').send({ title: '2020年度抽查复核', fiscalYear: 2020 });
  const imported = await api('lead1')
    .post(`/api/rounds/${next.body.id}/population`)
    .attach('file', ROUND_2023_XLSX, 'round-2023.xlsx');
  expect(imported.status).toBe(201);
  const marked = await api('lead1').get(`/api/rounds/${next.body.id}/population?warning=recurring&pageSize=100`);
  const units = new Set((marked.body.items as Array<{ unit: string }>).map((i) => i.unit));
  expect([...units]).toEqual([DISABLED]);
  const record = await api('lead1').get(`/api/rounds/${next.body.id}/population/records/2023-D001`);
  expect(record.body.warnings).toContain('recurring');
  // A problem found in one earlier year only is not yet a recurrence.
  const once = await api('lead1').get(`/api/rounds/${next.body.id}/population/records/2023-P027`);
  expect(once.body.warnings).not.toContain('recurring');
});
