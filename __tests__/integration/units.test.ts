import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Api, DIMENSIONS, sampledRound, usersWithTokens } from '../helpers/rounds';
import { asBearer, csrfFrom, csrfOf, lastAudit, login, SETUP_CONTEXT, startTestApp, TestApp } from '../helpers/testApp';

/**
 * The units' side (spec/units.md): a unit's contact reaches only its units' sampled items, supplies
 * materials the reviewers ask for, and may disagree with a submitted review before the lead
 * confirms it, which then needs the review team's response.
 */

let t: TestApp;
let api: (name: string) => Api;
let roundId: number;
/** A sampled item of another unit than 县残疾人联合会's, found in each test's draw. */
let otherCode: string;

const DISABLED = '县残疾人联合会';
const UNIT2_DEPARTMENTS = ['县卫生健康委员会', '县教育体育局'];
const item = (code: string, rest = '') => `/api/rounds/${roundId}/items/${code}${rest}`;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

beforeAll(async () => {
  t = await startTestApp();
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['rev2', 'reviewer'],
    ['off1', 'official'],
    ['unit1', 'unit', { units: [DISABLED] }],
    ['unit2', 'unit', { departments: UNIT2_DEPARTMENTS }],
  ]);
});
afterAll(() => t.close());

beforeEach(async () => {
  t.clock.current = new Date('2026-12-07T02:00:00Z'); // Monday, 10:00 in Beijing
  roundId = await sampledRound(api('lead1'), {
    assign: { '2023-P001': 'rev1', '2023-D001': 'rev1', '2023-P004': 'rev2' },
  });
  otherCode = (await sampledCodes()).find((i) => i.unit !== DISABLED)!.code;
});

/** The codes and units of the round's sample. */
async function sampledCodes(): Promise<Array<{ code: string; unit: string; department: string }>> {
  return t
    .db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' })
    .select('submissions.code', 'submissions.unit', 'submissions.department');
}

/** D001 (县残疾人联合会) scored as a whole and submitted by rev1. */
async function submitD001() {
  const saved = await api('rev1')
    .put(item('2023-D001', '/review'))
    .send({ version: 0, reviewScore: 78, qualityScore: 70, comment: '绩效目标不够细化', dimensions: DIMENSIONS });
  expect(saved.status).toBe(200);
  const finding = await api('rev1')
    .post(item('2023-D001', '/findings'))
    .send({ category: 'P01', description: '部门整体绩效目标未细化量化', severity: 'major' });
  expect(finding.status).toBe(201);
  const submitted = await api('rev1').post(item('2023-D001', '/review/submit'));
  expect(submitted.status).toBe(200);
}

describe('who a unit contact is and what it reaches', () => {
  it('lists its units’ sampled items across rounds, newest first, and nothing of other units', async () => {
    const older = roundId;
    roundId = await sampledRound(api('lead1'), { title: '2024年度抽查复核' });
    const listed = await api('unit1').get('/api/unit/items');
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<{ roundId: number; code: string; unit: string }>;
    expect(new Set(items.map((i) => i.unit))).toEqual(new Set([DISABLED]));
    expect(items.filter((i) => i.roundId === older).map((i) => i.code)).toEqual(
      expect.arrayContaining(['2023-D001', '2023-P001', '2023-P004']),
    );
    // The newest round first.
    expect(items[0].roundId).toBe(roundId);
    // A department covers every unit under it: unit2 sees 县第一中学's items through 县教育体育局.
    const byDepartment = (await api('unit2').get('/api/unit/items')).body.items as Array<{
      department: string;
      unit: string;
    }>;
    expect(byDepartment.some((i) => i.unit === '县第一中学')).toBe(true);
    for (const i of byDepartment) expect(UNIT2_DEPARTMENTS).toContain(i.department);
  });

  it('gets 403 and an audit entry for another unit’s item, an unsampled record, its history and the round as a whole', async () => {
    const refused = await api('unit1').get(item(otherCode));
    expect(refused.status).toBe(403);
    expect(await lastAudit(t.db, 'access.denied')).toMatchObject({ actor_username: 'unit1' });
    expect(JSON.stringify(refused.body)).not.toContain('reviewScore');
    // 2023-P002 is 县残疾人联合会's too, but was not sampled: the unit does not see it either.
    const sample = await sampledCodes();
    const unsampled = ['2023-P002', '2023-P003', '2023-P005'].find((c) => !sample.some((i) => i.code === c))!;
    expect((await api('unit1').get(item(unsampled))).status).toBe(403);
    for (const path of [
      item('2023-D001', '/history'),
      `/api/rounds/${roundId}`,
      `/api/rounds/${roundId}/population`,
      `/api/rounds/${roundId}/draw`,
      '/api/audit',
    ])
      expect([403, 404]).toContain((await api('unit1').get(path)).status);
    expect((await api('unit1').get(`/api/rounds/${roundId}/population`)).status).toBe(403);
    // Nor may it write a review or a finding on its own item.
    expect((await api('unit1').put(item('2023-D001', '/review')).send({ version: 0, reviewScore: 100 })).status).toBe(
      403,
    );
    expect(
      (await api('unit1').post(item('2023-D001', '/findings')).send({ category: 'P01', description: '自己记录问题' }))
        .status,
    ).toBe(403);
  });

  it('reads its item before submission without score, grade, findings or comment', async () => {
    await api('rev1')
      .put(item('2023-D001', '/review'))
      .send({ version: 0, reviewScore: 60, qualityScore: 50, comment: '草稿意见：扣分较多' });
    await api('rev1')
      .post(item('2023-D001', '/findings'))
      .send({ category: 'P01', description: '草稿阶段记录的问题', severity: 'minor' });
    const read = await api('unit1').get(item('2023-D001'));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ code: '2023-D001', unit: DISABLED, reviewStatus: 'draft', review: null });
    expect(read.body.findings).toEqual([]);
    const text = JSON.stringify(read.body);
    for (const secret of ['草稿意见', '草稿阶段记录的问题', '"reviewScore":60', 'history', 'assignee'])
      expect(text).not.toContain(secret);
  });

  it('is created on 用户管理 with its units; a name in no population is asked about with the closest names', async () => {
    await t.createUser('admin1', 'admin');
    const admin = t.agent();
    await login(admin, 'admin1');
    const page = await admin.get('/admin/users');
    const send = (fields: Record<string, string>) =>
      admin
        .post('/admin/users')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), role: 'unit', ...fields });

    const missing = await send({ username: 'unit-none' });
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('预算单位联系人须填写所联系的预算单位或主管部门');
    const wrongRole = await send({ username: 'rev-x', role: 'reviewer', units: DISABLED });
    expect(wrongRole.status).toBe(422);
    expect(wrongRole.text).toContain('只有预算单位联系人需要填写预算单位或主管部门');

    // One character off: 县残疾人联合合 → 县残疾人联合会 suggested; nothing created.
    const typo = await send({ username: 'unit-typo', units: '县残疾人联合合' });
    expect(typo.status).toBe(422);
    expect(typo.text).toContain('预算单位“县残疾人联合合”不在任何已导入的自评名单中');
    expect(typo.text).toContain('您是否要找：<strong>县残疾人联合会</strong>');
    expect(typo.text).toContain('>县残疾人联合合</textarea>'); // what was typed is kept
    expect(await t.db('users').where({ username: 'unit-typo' }).first()).toBeUndefined();

    // Ticked: created, with the warning kept in the banner; the population may come later.
    const later = await send({ username: 'unit-later', units: '县新设单位', confirmUnknownNames: 'yes' });
    expect(later.status).toBe(201);
    expect(later.text).toContain('以下名称尚不在任何自评名单中');
    const created = await t.db('users').where({ username: 'unit-later' }).first();
    expect(created.role).toBe('unit');
    expect(await t.db('user_units').where({ user_id: created.id })).toEqual([
      expect.objectContaining({ unit_name: '县新设单位', department: null }),
    ]);
    expect(JSON.parse((await lastAudit(t.db, 'user.create')).after).coverage).toEqual({
      units: ['县新设单位'],
      departments: [],
    });

    // Several units, one per line, and a department: one user, three rows.
    const many = await send({
      username: 'unit-many',
      units: `${DISABLED}\n县住房和城乡建设局`,
      departments: '县经济信息和科技局',
    });
    expect(many.status).toBe(201);
    expect(many.text).toContain('联系：县残疾人联合会、县住房和城乡建设局；主管部门：县经济信息和科技局');
  });

  it('has its units changed on 用户管理, audited before and after; what it reaches follows at once', async () => {
    await t.createUser('admin2', 'admin');
    await t.createUser('unit-edit', 'unit', { units: [DISABLED] });
    const token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'unit-edit', 't')).token;
    const asUnit = asBearer(t, token);
    const user = await t.db('users').where({ username: 'unit-edit' }).first();
    const admin = t.agent();
    await login(admin, 'admin2');
    const page = await admin.get('/admin/users');
    expect(page.text).toContain(`action="/admin/users/${user.id}/coverage"`);
    const send = (fields: Record<string, string>, id = user.id) =>
      admin
        .post(`/admin/users/${id}/coverage`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), ...fields });

    const typo = await send({ units: '县民政居' });
    expect(typo.status).toBe(422);
    expect(typo.text).toContain('您是否要找：<strong>县民政局</strong>');
    expect(typo.text).toContain('>县民政居</textarea>');
    expect((await t.db('user_units').where({ user_id: user.id })).map((r) => r.unit_name)).toEqual([DISABLED]);
    expect((await send({ units: '', departments: '' })).status).toBe(422);
    const lead = await t.db('users').where({ username: 'lead1' }).first();
    expect((await send({ units: '县民政局' }, lead.id)).status).toBe(409);

    const before = (await asUnit.get('/api/unit/items')).body.items as Array<{ unit: string }>;
    expect(new Set(before.map((i) => i.unit))).toEqual(new Set([DISABLED]));
    const changed = await send({ units: '县民政局' });
    expect(changed.status).toBe(200);
    expect(changed.text).toContain('已修改 unit-edit 所联系的单位');
    const audit = await lastAudit(t.db, 'user.coverage');
    expect(JSON.parse(audit.before)).toEqual({ units: [DISABLED], departments: [] });
    expect(JSON.parse(audit.after)).toEqual({ units: ['县民政局'], departments: [] });
    const after = (await asUnit.get('/api/unit/items')).body.items as Array<{ unit: string }>;
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((i) => i.unit))).toEqual(new Set(['县民政局']));
    expect((await asUnit.get(item('2023-D001'))).status).toBe(403);
  });

  it('is created with the command line the same way: a mistyped name refused with the closest, then allowed', async () => {
    const root = path.resolve(__dirname, '../..');
    const cli = (...args: string[]) =>
      promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['scripts/fuhe.ts', 'user', 'add', ...args], {
        cwd: root,
        env: {
          ...process.env,
          FUHE_DATA_DIR: t.dataDir,
          DATABASE_URL: t.config.databaseUrl ?? '',
          FUHE_PASSWORD: 'a unit contact password 2026',
        },
      });
    await expect(cli('cli-typo', '--role', 'unit', '--unit', '县残疾人联合合')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('预算单位"县残疾人联合合"不在任何已导入的自评名单中；您是否要找：县残疾人联合会'),
    });
    expect(await t.db('users').where({ username: 'cli-typo' }).first()).toBeUndefined();
    const made = await cli(
      'cli-unit',
      '--role',
      'unit',
      '--unit',
      DISABLED,
      '--department',
      '县民政局',
      '--unit',
      '县第一中学',
    );
    expect(made.stdout).toContain('created user cli-unit (unit)');
    const user = await t.db('users').where({ username: 'cli-unit' }).first();
    expect(
      (await t.db('user_units').where({ user_id: user.id }).orderBy('id')).map((r) => [r.unit_name, r.department]),
    ).toEqual([
      [DISABLED, null],
      ['县第一中学', null],
      [null, '县民政局'],
    ]);
    const later = await cli('cli-later', '--role', 'unit', '--unit', '县新设单位', '--allow-unknown-unit');
    expect(later.stdout).toContain('created user cli-later (unit)');
    await expect(cli('cli-none', '--role', 'unit')).rejects.toMatchObject({
      stderr: expect.stringContaining('预算单位联系人须填写所联系的预算单位或主管部门'),
    });
  }, 60_000);

  it('signs in like everyone else and lands on 我的单位 with the notice of its sampled items', async () => {
    const unit = t.agent();
    const signedIn = await login(unit, 'unit1');
    expect(signedIn.status).toBe(303);
    const home = await unit.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('<h1>我的单位</h1>');
    expect(home.text).toMatch(/您单位有\d+个项目被抽中复核：/);
    expect(home.text).toContain('部门整体支出');
    expect(home.text).toContain('5个工作日内反馈');
    expect(home.text).not.toContain(otherCode);
    expect((await unit.get('/unit')).status).toBe(200);
    // The lead's pages are not theirs.
    expect((await unit.get(`/rounds/${roundId}`)).status).toBe(403);
    expect((await unit.get(`/rounds/${roundId}/items/${otherCode}`)).status).toBe(403);
    expect((await unit.get(`/rounds/${roundId}/items/2023-D001/history`)).status).toBe(403);
  });

  it('the lead’s round page says which sampled units have accounts and which must be phoned', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    const page = await lead.get(`/rounds/${roundId}`);
    expect(page.text).toContain('被抽中的单位');
    const [withAccounts, without] = page.text.split('<h3>有账号的单位</h3>').reverse();
    expect(withAccounts).toContain(`${DISABLED} <span class="muted small">${DISABLED}，`);
    expect(withAccounts).toContain('联系人：unit1');
    expect(without).toContain('没有账号的单位');
  });
});

describe('material requests (材料补充)', () => {
  it('the reviewer asks, the unit uploads and answers, the reviewer sees the answer and the file', async () => {
    const asked = await api('rev1').post(item('2023-D001', '/requests')).send({
      text: '请上传2023年度部门整体支出绩效目标申报表',
      dueDate: '2026-12-10',
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toEqual({
      id: expect.any(Number),
      status: 'open',
      text: '请上传2023年度部门整体支出绩效目标申报表',
      dueDate: '2026-12-10',
    });
    expect(await lastAudit(t.db, 'request.create')).toMatchObject({ actor_username: 'rev1' });

    const seen = await api('unit1').get(item('2023-D001', '/requests'));
    expect(seen.body.requests).toEqual([
      expect.objectContaining({ id: asked.body.id, status: 'open', overdue: false, answer: null }),
    ]);

    const upload = await api('unit1')
      .post(item('2023-D001', '/evidence'))
      .field('description', '绩效目标申报表')
      .attach('file', PDF, '绩效目标申报表.pdf');
    expect(upload.status).toBe(201);
    const answered = await api('unit1')
      .post(`/api/requests/${asked.body.id}/answer`)
      .send({ text: '已上传盖章版申报表', evidence: [upload.body.id] });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({
      status: 'answered',
      answer: '已上传盖章版申报表',
      evidence: [upload.body.id],
    });

    const review = await api('rev1').get(item('2023-D001'));
    expect(review.body.evidence).toEqual([
      expect.objectContaining({ id: upload.body.id, fileName: '绩效目标申报表.pdf' }),
    ]);
    expect((await t.db('evidence').where({ id: upload.body.id }).first()).supplied_by_unit).toBeTruthy();
    const requests = await api('rev1').get(item('2023-D001', '/requests'));
    expect(requests.body.requests[0]).toMatchObject({
      status: 'answered',
      answer: '已上传盖章版申报表',
      evidence: [upload.body.id],
    });
    // The reviewer's page shows the answer and the file marked as the unit's.
    const reviewer = t.agent();
    await login(reviewer, 'rev1');
    const page = await reviewer.get(`/rounds/${roundId}/items/2023-D001`);
    expect(page.text).toContain('已上传盖章版申报表');
    expect(page.text).toContain('单位提供');
    expect(page.text).not.toContain('还没有系统账号');
    // A unit nobody covers: the reviewer is told the request must also go by phone or letter.
    const lead = t.agent();
    await login(lead, 'lead1');
    // (Other tests of this file create contacts too: one covered by nobody yet.)
    const covered = await t.db('user_units').select('unit_name', 'department');
    const nobodys = (await sampledCodes()).find(
      (i) => !covered.some((c) => c.unit_name === i.unit || c.department === i.department),
    )!.code;
    const unreached = await lead.get(`/rounds/${roundId}/items/${nobodys}`);
    expect(unreached.text).toContain('还没有系统账号：要求会记录在这里，但单位看不到');
  });

  it('refuses a request without text or due in the past, from the unit, or from a reviewer not assigned', async () => {
    const bad = await api('rev1').post(item('2023-D001', '/requests')).send({ text: '', dueDate: '2026-12-01' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['text', 'dueDate']);
    const past = await api('rev1')
      .post(item('2023-D001', '/requests'))
      .send({ text: '请补充验收报告', dueDate: '2026-12-06' });
    expect(past.status).toBe(422);
    expect(past.body.error.message).toBe('补充期限不能早于今天（2026-12-07）');
    expect(
      (await api('unit1').post(item('2023-D001', '/requests')).send({ text: '自己提要求', dueDate: '2026-12-10' }))
        .status,
    ).toBe(403);
    expect(
      (await api('rev2').post(item('2023-D001', '/requests')).send({ text: '请补充验收报告', dueDate: '2026-12-10' }))
        .status,
    ).toBe(403);
    expect(await t.db('material_requests').where({ round_id: roundId })).toEqual([]);
  });

  it('is overdue past its date while unanswered, on the reviewer’s list and the lead’s round page', async () => {
    await api('rev1').post(item('2023-D001', '/requests')).send({ text: '请补充项目验收报告', dueDate: '2026-12-08' });
    t.clock.current = new Date('2026-12-09T02:00:00Z');
    const seen = await api('unit1').get(item('2023-D001', '/requests'));
    expect(seen.body.requests[0]).toMatchObject({ status: 'open', overdue: true });
    const listed = (await api('unit1').get('/api/unit/items')).body.items.find(
      (i: { code: string; roundId: number }) => i.code === '2023-D001' && i.roundId === roundId,
    );
    expect(listed).toMatchObject({ openRequests: 1, overdueRequests: 1 });
    const reviewer = t.agent();
    await login(reviewer, 'rev1');
    expect((await reviewer.get(`/work?round=${roundId}`)).text).toContain('逾期1');
    const lead = t.agent();
    await login(lead, 'lead1');
    const round = await lead.get(`/rounds/${roundId}`);
    expect(round.text).toContain('已逾期1项');
    expect(round.text).toContain('2023-D001</a>（2026-12-08）');
  });

  it('an answer citing another item’s evidence, or from another unit, changes nothing', async () => {
    const asked = await api('rev1')
      .post(item('2023-D001', '/requests'))
      .send({ text: '请补充验收报告', dueDate: '2026-12-10' });
    const onP001 = await api('unit1').post(item('2023-P001', '/evidence')).attach('file', PDF, '验收报告.pdf');
    expect(onP001.status).toBe(201);
    const reviewersFile = await api('rev1').post(item('2023-D001', '/evidence')).attach('file', PDF, '复核底稿.pdf');
    for (const evidence of [[onP001.body.id], [reviewersFile.body.id], ['x']]) {
      const cited = await api('unit1').post(`/api/requests/${asked.body.id}/answer`).send({ text: '见附件', evidence });
      expect(cited.status).toBe(422);
      expect(cited.body.error.details[0].field).toBe('evidence');
    }
    const foreign = await api('unit2').post(`/api/requests/${asked.body.id}/answer`).send({ text: '我们来答复' });
    expect(foreign.status).toBe(403);
    expect(await lastAudit(t.db, 'access.denied')).toMatchObject({ actor_username: 'unit2' });
    expect((await api('unit1').post(`/api/requests/${asked.body.id}/answer`).send({ text: '' })).status).toBe(422);
    expect((await api('unit1').post('/api/requests/999999/answer').send({ text: '不存在' })).status).toBe(404);
    expect(await t.db('material_answers').where({ request_id: asked.body.id })).toEqual([]);
    // The unit reads only the files it supplied.
    expect(
      (await api('unit1').get(`/rounds/${roundId}/items/2023-D001/evidence/${reviewersFile.body.id}`)).status,
    ).toBe(403);
    expect((await api('unit1').get(`/rounds/${roundId}/items/2023-P001/evidence/${onP001.body.id}`)).status).toBe(200);
    expect((await api('unit1').get(item('2023-D001'))).body.evidence).toEqual([]);
  });
});

describe('feedback before confirmation (意见反馈)', () => {
  it('the unit disagrees, the lead confirms only with a response, and the unit reads it', async () => {
    const early = await api('unit1')
      .post(item('2023-D001', '/feedback'))
      .send({ agree: false, text: '尚未提交时的意见' });
    expect(early.status).toBe(409);
    await submitD001();

    const read = (await api('unit1').get(item('2023-D001'))).body;
    expect(read.reviewStatus).toBe('submitted');
    expect(read.review).toMatchObject({
      reviewScore: 78,
      reviewGrade: '中',
      qualityScore: 70,
      comment: '绩效目标不够细化',
    });
    expect(read.review.deviation).toEqual(expect.any(Number));
    expect(read.findings).toEqual([
      expect.objectContaining({ category: 'P01', description: '部门整体绩效目标未细化量化', severity: 'major' }),
    ]);
    // Submitted on Monday 2026-12-07: five working days to Monday the 14th.
    expect(read.feedbackDue).toBe('2026-12-14');

    const noReason = await api('unit1').post(item('2023-D001', '/feedback')).send({ agree: false, text: ' ' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.details).toEqual([
      { field: 'text', message: '不同意复核结果时，请写明理由（至少4个字）' },
    ]);
    expect((await api('unit2').post(item('2023-D001', '/feedback')).send({ agree: true })).status).toBe(403);
    expect((await api('rev1').post(item('2023-D001', '/feedback')).send({ agree: true })).status).toBe(403);
    const given = await api('unit1')
      .post(item('2023-D001', '/feedback'))
      .send({ agree: false, text: '绩效目标已在预算编制时细化，见申报表第3页' });
    expect(given.status).toBe(201);
    expect(await lastAudit(t.db, 'feedback.give')).toMatchObject({ actor_username: 'unit1' });

    const bare = await api('lead1').post(item('2023-D001', '/review/confirm')).send({});
    expect(bare.status).toBe(422);
    expect(bare.body.error.details).toEqual([
      { field: 'response', message: '单位不同意复核结果：确认前须写明复核组对单位意见的答复' },
    ]);
    expect((await api('lead1').get(item('2023-D001'))).body.review.status).toBe('submitted');
    // The bulk confirm on the round page leaves it for the item's own page.
    const lead = t.agent();
    await login(lead, 'lead1');
    const round = await lead.get(`/rounds/${roundId}`);
    expect(round.text).toContain('单位不同意');
    expect(round.text).not.toContain('id="pc-2023-D001"');

    const confirmed = await api('lead1')
      .post(item('2023-D001', '/review/confirm'))
      .send({ response: '申报表第3页的目标仍为定性表述，维持原复核意见' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('confirmed');
    expect(await lastAudit(t.db, 'feedback.respond')).toMatchObject({ actor_username: 'lead1' });

    const after = (await api('unit1').get(item('2023-D001'))).body;
    expect(after.feedback).toEqual([
      expect.objectContaining({
        agree: false,
        text: '绩效目标已在预算编制时细化，见申报表第3页',
        responses: [expect.objectContaining({ text: '申报表第3页的目标仍为定性表述，维持原复核意见', by: 'lead1' })],
      }),
    ]);
    const late = await api('unit1').post(item('2023-D001', '/feedback')).send({ agree: true });
    expect(late.status).toBe(409);
    expect(await t.db('unit_feedback').where({ round_id: roundId })).toHaveLength(1);
    // The unit's page shows the response too.
    const unit = t.agent();
    await login(unit, 'unit1');
    const page = await unit.get(`/rounds/${roundId}/items/2023-D001`);
    expect(page.text).toContain('复核组答复');
    expect(page.text).toContain('维持原复核意见');
  });

  it('agreement needs no reason and no response; a later feedback is added, not replacing the first', async () => {
    await submitD001();
    expect((await api('unit1').post(item('2023-D001', '/feedback')).send({ agree: true })).status).toBe(201);
    expect(
      (await api('unit1').post(item('2023-D001', '/feedback')).send({ agree: true, text: '补充：无其他意见' })).status,
    ).toBe(201);
    expect((await api('unit1').get(item('2023-D001'))).body.feedback).toHaveLength(2);
    expect((await api('lead1').post(item('2023-D001', '/review/confirm')).send({})).status).toBe(200);
  });

  it('through the pages: the unit disagrees on its page, the lead answers beside the review and confirms', async () => {
    await submitD001();
    const unit = t.agent();
    await login(unit, 'unit1');
    const page = await unit.get(`/rounds/${roundId}/items/2023-D001`);
    expect(page.text).toContain('请在 <strong>2026年12月14日</strong> 前反馈');
    const path = `/rounds/${roundId}/items/2023-D001/unit`;
    const refused = await unit
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), action: 'feedback', agree: 'no', text: '' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('不同意复核结果时，请写明理由');
    expect(refused.text).toMatch(/id="fb-no" name="agree" value="no" checked/);
    const sent = await unit
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), action: 'feedback', agree: 'no', text: '目标已细化，请再核' });
    expect(sent.status).toBe(303);

    const lead = t.agent();
    await login(lead, 'lead1');
    const review = await lead.get(`/rounds/${roundId}/items/2023-D001`);
    expect(review.text).toContain('目标已细化，请再核');
    expect(review.text).toContain('对单位意见的答复');
    const form = { _csrf: csrfFrom(review.text), version: '4', action: 'confirm' };
    const without = await lead.post(`/rounds/${roundId}/items/2023-D001`).type('form').send(form);
    expect(without.status).toBe(422);
    const typed = await lead
      .post(`/rounds/${roundId}/items/2023-D001`)
      .type('form')
      .send({ ...form, response: '已再核，维持' });
    expect(typed.status).toBe(303);
    expect((await api('lead1').get(item('2023-D001'))).body.review.status).toBe('confirmed');
  });
});

describe('the unit’s own materials', () => {
  it('are uploaded on the unit’s page with the evidence checks, and a wrong one withdrawn by the unit only', async () => {
    const unit = t.agent();
    await login(unit, 'unit1');
    const csrf = await csrfOf(unit, `/rounds/${roundId}/items/2023-P001`);
    const wrongType = await unit
      .post(`/rounds/${roundId}/items/2023-P001/unit/evidence?_csrf=${encodeURIComponent(csrf)}`)
      .attach('file', Buffer.from('MZ\x90\x00 not a document'), 'setup.pdf');
    expect(wrongType.status).toBe(422);
    expect(wrongType.text).toContain('不支持的文件类型');
    const ok = await unit
      .post(`/rounds/${roundId}/items/2023-P001/unit/evidence?_csrf=${encodeURIComponent(csrf)}`)
      .attach('file', PDF, '验收报告.pdf');
    expect(ok.status).toBe(303);
    const [file] = await t.db('evidence').where({ round_id: roundId, file_name: '验收报告.pdf' });
    expect(file.supplied_by_unit).toBeTruthy();
    // A file of the review team's is not the unit's to withdraw.
    const teams = await api('rev1').post(item('2023-P001', '/evidence')).attach('file', PDF, '复核底稿.pdf');
    const page = await unit.get(`/rounds/${roundId}/items/2023-P001`);
    const withdrawTeams = await unit
      .post(`/rounds/${roundId}/items/2023-P001/unit`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), action: 'withdraw-evidence', evidenceId: teams.body.id, reason: '不需要' });
    expect(withdrawTeams.status).toBe(403);
    const withdrawn = await unit
      .post(`/rounds/${roundId}/items/2023-P001/unit`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), action: 'withdraw-evidence', evidenceId: file.id, reason: '传错文件' });
    expect(withdrawn.status).toBe(303);
    expect((await t.db('evidence').where({ id: file.id }).first()).withdraw_reason).toBe('传错文件');
  });
});
