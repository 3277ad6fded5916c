import { Api, DIMENSIONS, ROUND_2023_XLSX, sampledRound, usersWithTokens } from '../helpers/rounds';
import ExcelJS from 'exceljs';
import { binaryParser, csrfFrom, lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

/**
 * Rectification (整改, spec/units.md): publication makes one task per standing finding for the
 * item's unit; the unit writes and submits, the lead accepts or returns; a correction adds only
 * the new findings' tasks; overdue follows the date.
 */

let t: TestApp;
let api: (name: string) => Api;
let roundId: number;

const DISABLED = '县残疾人联合会';
const item = (code: string, rest = '') => `/api/rounds/${roundId}/items/${code}${rest}`;
const announcement = (rest = '') => `/api/rounds/${roundId}/announcement${rest}`;

beforeAll(async () => {
  t = await startTestApp();
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['off1', 'official'],
    ['unit1', 'unit', { units: [DISABLED] }],
    ['unit2', 'unit', { units: ['县民政局'] }],
  ]);
});
afterAll(() => t.close());

/** A unit contact's tasks in this test's round (the contact sees its units' tasks in every round). */
async function unitTasks(name: string) {
  const listed = await api(name).get('/api/unit/rectifications');
  expect(listed.status).toBe(200);
  return (listed.body.items as Array<{ id: number; roundId: number; code: string }>).filter(
    (i) => i.roundId === roundId,
  );
}

/** The codes of the round's sample. */
async function sample(): Promise<string[]> {
  const rows = (await t
    .db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' })
    .select('draw_picks.code')) as Array<{ code: string }>;
  return rows.map((r) => r.code);
}

/** Reviewed, with findings where given (and one withdrawn on each of `withdrawnOn`), and confirmed. */
async function reviewAll(findings: Record<string, string[]>, withdrawnOn: string[] = []) {
  for (const code of await sample()) {
    expect(
      (
        await api('rev1')
          .put(item(code, '/review'))
          .send({ version: 0, reviewScore: 80, qualityScore: 80, comment: '复核意见', dimensions: DIMENSIONS })
      ).status,
    ).toBe(200);
    for (const category of findings[code] ?? [])
      expect(
        (
          await api('rev1')
            .post(item(code, '/findings'))
            .send({ category, description: `${code}：${category}的问题` })
        ).status,
      ).toBe(201);
    if (withdrawnOn.includes(code)) {
      const added = await api('rev1')
        .post(item(code, '/findings'))
        .send({ category: 'P09', description: '后来撤回的问题' });
      const rev1 = (await t.services.users.findByUsername('rev1'))!;
      await t.services.findings.withdrawFinding(
        { actor: { id: rev1.id, username: 'rev1', role: 'reviewer' }, ip: null, userAgent: null, requestId: null },
        { id: rev1.id, role: 'reviewer', displayName: 'rev1' },
        roundId,
        code,
        added.body.id,
        '核实后不成立',
      );
    }
    expect((await api('rev1').post(item(code, '/review/submit'))).status).toBe(200);
    expect((await api('lead1').post(item(code, '/review/confirm'))).status).toBe(200);
  }
}

/** Compiled with this 整改 deadline (and a correction's note), submitted and published by the official. */
async function publish(deadline: string, correctionNote?: string) {
  const draft = await api('lead1').post(announcement('/compile'));
  expect(draft.status).toBe(201);
  expect(
    (await api('lead1').put(announcement()).send({ revision: draft.body.revision, deadline, correctionNote })).status,
  ).toBe(200);
  expect((await api('lead1').post(announcement('/submit'))).status).toBe(200);
  const published = await api('off1').post(announcement('/publish'));
  expect(published.status).toBe(200);
}

beforeEach(async () => {
  t.clock.current = new Date('2026-12-07T02:00:00Z');
  const created = await sampledRound(api('lead1'));
  roundId = created;
  await api('lead1')
    .patch(`/api/rounds/${roundId}`)
    .send({ objectionContact: '县财政局绩效股，电话0394-1234567', version: 1 });
  const codes = await sample();
  const assigned = await api('lead1')
    .post(`/api/rounds/${roundId}/assignments`)
    .send(codes.map((code) => ({ code, username: 'rev1' })));
  expect(assigned.status).toBe(200);
});

it('publication makes exactly one task per standing finding, for the item’s unit, due on the 整改 deadline', async () => {
  // A withdrawn finding (on P004) gets no task.
  await reviewAll({ '2023-D001': ['P01', 'P09'], '2023-P001': ['P16'], '2023-P011': ['P01'] }, ['2023-P004']);
  expect(await t.db('rectifications').where({ round_id: roundId })).toEqual([]);
  await publish('2027-03-31');

  const listed = await api('lead1').get(`/api/rounds/${roundId}/rectifications`);
  expect(listed.status).toBe(200);
  expect(listed.body.byStatus).toEqual({ open: 4, submitted: 0, returned: 0, accepted: 0 });
  expect(
    listed.body.items.map((i: { code: string; category: string; unit: string }) => [i.code, i.category, i.unit]),
  ).toEqual(
    expect.arrayContaining([
      ['2023-D001', 'P01', DISABLED],
      ['2023-D001', 'P09', DISABLED],
      ['2023-P001', 'P16', DISABLED],
      ['2023-P011', 'P01', '县民政局'],
    ]),
  );
  expect(listed.body.items).toHaveLength(4);
  for (const i of listed.body.items) expect(i).toMatchObject({ dueDate: '2027-03-31', status: 'open', overdue: false });
  expect(await lastAudit(t.db, 'rectification.create')).toMatchObject({ actor_username: 'off1' });
  expect((await api('off1').get(`/api/rounds/${roundId}/rectifications`)).status).toBe(200);
  for (const who of ['rev1', 'unit1'])
    expect((await api(who).get(`/api/rounds/${roundId}/rectifications`)).status).toBe(403);

  // Each unit sees its own tasks, and no other unit's.
  expect((await unitTasks('unit1')).map((i) => i.code).sort()).toEqual(['2023-D001', '2023-D001', '2023-P001']);
  expect(await unitTasks('unit2')).toHaveLength(1);
  const theirs = listed.body.items.find((i: { code: string }) => i.code === '2023-P011');
  expect(
    (await api('unit1').put(`/api/rectifications/${theirs.id}`).send({ measures: '越权填写', version: 1 })).status,
  ).toBe(403);
  expect(await lastAudit(t.db, 'access.denied')).toMatchObject({ actor_username: 'unit1' });
  expect((await api('unit1').put('/api/rectifications/999999').send({ measures: 'x', version: 1 })).status).toBe(403);
  expect((await api('lead1').put('/api/rectifications/999999').send({ measures: 'x', version: 1 })).status).toBe(404);
});

it('the state machine: empty submission refused, stale version 409, returned with a reason, resubmitted, accepted', async () => {
  await reviewAll({ '2023-D001': ['P01'] });
  await publish('2027-03-31');
  const [task] = await unitTasks('unit1');
  const url = `/api/rectifications/${task.id}`;

  expect((await api('lead1').post(`${url}/accept`).send({ version: 1 })).status).toBe(409);
  const empty = await api('unit1').post(`${url}/submit`).send({ version: 1 });
  expect(empty.status).toBe(422);
  expect(empty.body.error.details.map((d: { field: string }) => d.field)).toEqual(['measures', 'result']);

  const saved = await api('unit1').put(url).send({ measures: '细化部门整体绩效目标', version: 1 });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ status: 'open', version: 2, measures: '细化部门整体绩效目标', result: null });
  const stale = await api('unit1').put(url).send({ measures: '旧版本上的修改', version: 1 });
  expect(stale.status).toBe(409);
  expect(stale.body.error.details.current).toMatchObject({ version: 2, measures: '细化部门整体绩效目标' });
  const onlyMeasures = await api('unit1').post(`${url}/submit`).send({ version: 2 });
  expect(onlyMeasures.status).toBe(422);
  expect(onlyMeasures.body.error.details).toEqual([{ field: 'result', message: '请填写整改结果（至少4个字）' }]);

  const submitted = await api('unit1')
    .post(`${url}/submit`)
    .send({ version: 2, result: '已修订2024年部门整体绩效目标表' });
  expect(submitted.body).toMatchObject({ status: 'submitted', version: 3 });
  expect((await api('unit1').put(url).send({ measures: '提交后再改', version: 3 })).status).toBe(409);
  expect((await api('unit1').post(`${url}/accept`).send({ version: 3 })).status).toBe(403);

  const noReason = await api('lead1').post(`${url}/return`).send({ version: 3, reason: '' });
  expect(noReason.status).toBe(422);
  const returned = await api('lead1').post(`${url}/return`).send({ version: 3, reason: '请附修订后的目标表' });
  expect(returned.body).toMatchObject({ status: 'returned', returnReason: '请附修订后的目标表', version: 4 });

  const again = await api('unit1')
    .post(`${url}/submit`)
    .send({ version: 4, result: '已修订并附上2024年部门整体绩效目标表（见附件）' });
  expect(again.body.status).toBe('submitted');
  const accepted = await api('lead1').post(`${url}/accept`).send({ version: 5 });
  expect(accepted.body).toMatchObject({ status: 'accepted', version: 6, overdue: false });
  expect((await api('unit1').put(url).send({ measures: '销号后再改', version: 6 })).status).toBe(409);

  // Every step is kept.
  const steps = await t.db('rectification_steps').where({ rectification_id: task.id }).orderBy('version');
  expect(steps.map((s) => [s.version, s.action, s.status])).toEqual([
    [1, 'create', 'open'],
    [2, 'save', 'open'],
    [3, 'submit', 'submitted'],
    [4, 'return', 'returned'],
    [5, 'submit', 'submitted'],
    [6, 'accept', 'accepted'],
  ]);
  expect(steps[3].reason).toBe('请附修订后的目标表');
  expect(await lastAudit(t.db, 'rectification.accept')).toMatchObject({ actor_username: 'lead1' });
});

it('is overdue past its date until accepted; the lead records for a unit without an account, marked as such', async () => {
  await reviewAll({ '2023-P027': ['P09'] });
  await publish('2026-12-31');
  const [task] = (await api('lead1').get(`/api/rounds/${roundId}/rectifications`)).body.items;
  expect(task).toMatchObject({ unit: '县农业农村局', overdue: false });
  t.clock.current = new Date('2027-01-05T02:00:00Z');
  expect((await api('lead1').get(`/api/rounds/${roundId}/rectifications`)).body.items[0].overdue).toBe(true);

  const recorded = await api('lead1')
    .post(`/api/rectifications/${task.id}/submit`)
    .send({ version: 1, measures: '补充产出台账', result: '已按书面报告补齐2023年台账' });
  expect(recorded.body).toMatchObject({ status: 'submitted', recordedByLead: true });
  expect(JSON.parse((await lastAudit(t.db, 'rectification.submit')).after)).toMatchObject({ recordedByLead: true });
  const accepted = await api('lead1').post(`/api/rectifications/${task.id}/accept`).send({ version: 2 });
  expect(accepted.body.overdue).toBe(false);

  // The export, opened again: the task's row cell by cell, and the department's counts.
  const file = await api('off1').get(`/api/rounds/${roundId}/rectifications.xlsx`).buffer(true).parse(binaryParser);
  expect(file.status).toBe(200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(file.body as unknown as ArrayBuffer);
  const row = (book.getWorksheet('整改事项')!.getRow(2).values as unknown[]).slice(1);
  expect(row).toEqual([
    '2023-P027',
    '县农业农村局',
    '县农业农村局',
    expect.any(String),
    expect.stringMatching(/^P09 /),
    '2023-P027：P09的问题',
    new Date('2026-12-31T00:00:00Z'),
    '已销号',
    '否',
    '补充产出台账',
    '已按书面报告补齐2023年台账',
    '',
    '是',
  ]);
  expect((book.getWorksheet('按主管部门')!.getRow(2).values as unknown[]).slice(1)).toEqual([
    '县农业农村局',
    1,
    1,
    0,
    0,
    1,
  ]);
  expect((await api('rev1').get(`/api/rounds/${roundId}/rectifications.xlsx`)).status).toBe(403);

  // The 整改情况 page: counts, the department, the task with its record.
  const lead = t.agent();
  await login(lead, 'lead1');
  const page = await lead.get(`/rounds/${roundId}/rectifications`);
  expect(page.status).toBe(200);
  expect(page.text).toContain('整改事项1项');
  expect(page.text).toContain('组长代为填报');
  expect(page.text).toContain('县农业农村局');
});

it('the unit supplies its rectification’s files after confirmation and cites them; not another’s file', async () => {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  await reviewAll({ '2023-D001': ['P01'] });
  // Before publication the review is confirmed and there is no task: nothing more is uploaded.
  expect((await api('unit1').post(item('2023-D001', '/evidence')).attach('file', pdf, '早了.pdf')).status).toBe(409);
  await publish('2027-03-31');
  const [task] = await unitTasks('unit1');
  const upload = await api('unit1').post(item('2023-D001', '/evidence')).attach('file', pdf, '修订后的目标表.pdf');
  expect(upload.status).toBe(201);
  const reviewers = (await t
    .db('evidence')
    .insert({
      round_id: roundId,
      submission_id: (await t.db('submissions').where({ round_id: roundId, code: '2023-D001' }).first()).id,
      file_sha256: (await t.db('evidence').where({ id: upload.body.id }).first()).file_sha256,
      file_name: '复核底稿.pdf',
      media_type: 'application/pdf',
      size: pdf.length,
      uploaded_by: (await t.db('users').where({ username: 'rev1' }).first()).id,
      uploaded_at: new Date().toISOString(),
      supplied_by_unit: false,
    })
    .returning('id')) as Array<{ id: number }>;
  const foreign = await api('unit1')
    .post(`/api/rectifications/${task.id}/submit`)
    .send({ version: 1, measures: '细化目标', result: '已修订目标表', evidence: [reviewers[0].id] });
  expect(foreign.status).toBe(422);
  expect(foreign.body.error.details[0].field).toBe('evidence');
  const submitted = await api('unit1')
    .post(`/api/rectifications/${task.id}/submit`)
    .send({ version: 1, measures: '细化目标', result: '已修订目标表', evidence: [upload.body.id] });
  expect(submitted.body).toMatchObject({ status: 'submitted', evidence: [upload.body.id] });
  // Submitted: the window for files has closed again.
  expect((await api('unit1').post(item('2023-D001', '/evidence')).attach('file', pdf, '晚了.pdf')).status).toBe(409);
});

it('a correction adds tasks for new findings only, and keeps the rest as they are', async () => {
  await reviewAll({ '2023-D001': ['P01'] });
  await publish('2027-03-31');
  const [first] = await unitTasks('unit1');
  await api('unit1').put(`/api/rectifications/${first.id}`).send({ measures: '已开始整改', version: 1 });

  // The lead returns the review, a finding is added, the review confirmed again, a correction published.
  expect((await api('lead1').post(item('2023-P001', '/review/return')).send({ reason: '补充问题' })).status).toBe(200);
  expect(
    (
      await api('rev1')
        .post(item('2023-P001', '/findings'))
        .send({ category: 'P16', description: '自评报告未分析原因' })
    ).status,
  ).toBe(201);
  expect((await api('rev1').post(item('2023-P001', '/review/submit'))).status).toBe(200);
  expect((await api('lead1').post(item('2023-P001', '/review/confirm'))).status).toBe(200);
  await publish('2027-04-30', '补充了2023-P001的问题');

  const tasks = (await api('lead1').get(`/api/rounds/${roundId}/rectifications`)).body.items;
  expect(tasks.map((i: { code: string; dueDate: string }) => [i.code, i.dueDate])).toEqual([
    ['2023-D001', '2027-03-31'],
    ['2023-P001', '2027-04-30'],
  ]);
  expect(tasks[0]).toMatchObject({ id: first.id, measures: '已开始整改', version: 2 });
});

it('through the pages: the unit’s item lists its task; the task page saves typed text, refuses an empty submission', async () => {
  await reviewAll({ '2023-D001': ['P01'] });
  await publish('2027-03-31');
  const [task] = await unitTasks('unit1');
  const unit = t.agent();
  await login(unit, 'unit1');
  const home = await unit.get('/');
  expect(home.text).toContain('整改：');
  expect((await unit.get(`/rounds/${roundId}/items/2023-D001`)).text).toContain(`/rectifications/${task.id}`);
  const page = await unit.get(`/rectifications/${task.id}`);
  expect(page.status).toBe(200);
  const refused = await unit
    .post(`/rectifications/${task.id}`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), action: 'submit', version: '1', measures: '细化目标', result: '' });
  expect(refused.status).toBe(422);
  expect(refused.text).toContain('请填写整改结果');
  expect(refused.text).toContain('>细化目标</textarea>');
  const saved = await unit
    .post(`/rectifications/${task.id}`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), action: 'save', version: '1', measures: '细化目标', result: '' });
  expect(saved.status).toBe(303);
  // Another unit's contact and a reviewer may not open it.
  const other = t.agent();
  await login(other, 'unit2');
  expect((await other.get(`/rectifications/${task.id}`)).status).toBe(403);
  const reviewer = t.agent();
  await login(reviewer, 'rev1');
  expect((await reviewer.get(`/rectifications/${task.id}`)).status).toBe(403);
});

it('next year’s import marks the units with unaccepted tasks, and the draw can make them mandatory (上年整改未销号的单位必抽)', async () => {
  await reviewAll({ '2023-D001': ['P01'] });
  await publish('2027-03-31');
  // Next year's round: the same population, imported.
  const next = await api('lead1').post('/api/rounds').send({ title: '下一年度抽查复核', fiscalYear: 2024 });
  const imported = await api('lead1')
    .post(`/api/rounds/${next.body.id}/population`)
    .attach('file', ROUND_2023_XLSX, 'round-2023.xlsx');
  expect(imported.status).toBe(201);
  const flagged = await api('lead1').get(`/api/rounds/${next.body.id}/population?warning=unrectified&pageSize=100`);
  expect(flagged.status).toBe(200);
  const units = new Set((flagged.body.items as Array<{ unit: string }>).map((i) => i.unit));
  expect(units.has(DISABLED)).toBe(true);
  const codes = (flagged.body.items as Array<{ code: string }>).map((i) => i.code).sort();
  expect(codes).toEqual(
    expect.arrayContaining(['2023-D001', '2023-P001', '2023-P002', '2023-P003', '2023-P004', '2023-P005']),
  );

  const draw = await api('lead1')
    .post(`/api/rounds/${next.body.id}/draws`)
    .send({ seed: '下一年度', method: 'srs', quota: { project: 8, department: 2 }, mandatory: { unrectified: true } });
  expect(draw.status).toBe(201);
  expect(draw.body.rules.mandatory.codes.sort()).toEqual(codes);
  expect(draw.body.rules.mandatory.note).toBe(`以前年度整改未销号的单位必抽（${codes.length}个编码）`);
  const picked = (draw.body.items as Array<{ code: string; reason: string }>).filter((i) => i.reason === 'mandatory');
  expect(picked.map((i) => i.code).sort()).toEqual(codes);
});

it('整改情况通报: compiled from the tasks, edited by the lead, published by the official, public and unchanged after', async () => {
  await reviewAll({ '2023-D001': ['P01'], '2023-P011': ['P16'] });
  const url = (rest = '') => `/api/rounds/${roundId}/rectification-report${rest}`;
  expect((await api('lead1').post(url('/compile'))).status).toBe(409);
  await publish('2026-12-31');
  const [task] = await unitTasks('unit1');
  await api('unit1')
    .post(`/api/rectifications/${task.id}/submit`)
    .send({ version: 1, measures: '细化目标', result: '已修订目标表' });
  await api('lead1').post(`/api/rectifications/${task.id}/accept`).send({ version: 2 });
  t.clock.current = new Date('2027-01-04T02:00:00Z');

  expect((await api('off1').post(url('/compile'))).status).toBe(403);
  const draft = await api('lead1').post(url('/compile'));
  expect(draft.status).toBe(201);
  expect(draft.body).toMatchObject({
    version: 1,
    status: 'draft',
    figures: { total: 2, byStatus: { accepted: 1, open: 1 } },
  });
  expect(draft.body.body).toContain('共形成整改事项2项，已整改销号1项，占50%');
  expect(draft.body.body).toContain('以下1项已过整改期限仍未销号：县民政局');
  expect(draft.body.body).toContain('截至2027年1月4日');

  const stale = await api('lead1').put(url()).send({ revision: 99, body: '改过的正文，足够长的文字。' });
  expect(stale.status).toBe(409);
  const empty = await api('lead1').put(url()).send({ revision: draft.body.revision, body: '' });
  expect(empty.status).toBe(422);
  const edited = await api('lead1')
    .put(url())
    .send({ revision: draft.body.revision, body: `${draft.body.body}\n\n五、其他。县民政局已书面说明延期原因。` });
  expect(edited.status).toBe(200);
  expect((await api('lead1').post(url('/publish'))).status).toBe(403);
  expect((await api('off1').post(url('/publish'))).status).toBe(409);
  expect((await api('lead1').post(url('/submit'))).status).toBe(200);
  expect((await api('off1').post(url('/return'))).status).toBe(422);
  const published = await api('off1').post(url('/publish'));
  expect(published.status).toBe(200);
  expect(published.body.publicUrl).toMatch(/^\/p\/rectifications\//);
  expect(await lastAudit(t.db, 'rectification-report.publish')).toMatchObject({ actor_username: 'off1' });

  const page = await t.agent().get(published.body.publicUrl);
  expect(page.status).toBe(200);
  expect(page.text).toContain('县民政局已书面说明延期原因');
  expect(
    (await api('lead1').put(url()).send({ revision: published.body.revision, body: '发布后再改的正文文字。' })).status,
  ).toBe(409);
  // A later report is a new version; the published one stays readable as it was.
  const next = await api('lead1').post(url('/compile'));
  expect(next.body.version).toBe(2);
  expect((await t.agent().get(published.body.publicUrl)).text).toContain('县民政局已书面说明延期原因');

  // On the page, 保存并提交审批 keeps what was typed into the editor.
  const lead = t.agent();
  await login(lead, 'lead1');
  const editor = await lead.get(`/rounds/${roundId}/rectifications/report`);
  const sent = await lead
    .post(`/rounds/${roundId}/rectifications/report`)
    .type('form')
    .send({
      _csrf: csrfFrom(editor.text),
      action: 'submit',
      revision: String(next.body.revision),
      title: next.body.title,
      body: `${next.body.body}\n\n五、提交前刚写的一段。`,
    });
  expect(sent.status).toBe(303);
  expect((await api('off1').get(url())).body).toMatchObject({
    status: 'submitted',
    body: expect.stringContaining('五、提交前刚写的一段。'),
  });
});
