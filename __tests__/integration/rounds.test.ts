import { csrfOf, lastAudit, login, startTestApp, TestApp, SETUP_CONTEXT } from '../helpers/testApp';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('lead2', 'lead');
  await t.createUser('off1', 'official');
  token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
});
afterAll(() => t.close());

const bearer = () => ({ Authorization: `Bearer ${token}` });
const form = {
  title: '2023年度绩效自评结果抽查复核',
  fiscalYear: '2023',
  bureau: '青阳县财政局',
  workPlanRef: '财绩〔2023〕85号',
  deadline: '2024-03-31',
};

describe('creating a round', () => {
  it('through the form: stored, audited, shown on the dashboard', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const res = await agent
      .post('/rounds')
      .type('form')
      .send({ ...form, _csrf: await csrfOf(agent, '/rounds/new') });
    expect(res.status).toBe(303);
    const page = await agent.get(res.headers.location);
    expect(page.text).toContain('复核批次已创建');
    expect(page.text).toContain('财绩〔2023〕85号');
    expect(page.text).toContain('2024年3月31日');
    const dashboard = await agent.get('/');
    expect(dashboard.text).toContain('2023年度绩效自评结果抽查复核');
    expect(dashboard.text).toContain('准备中');
  });

  it('the round’s change history names people, not their usernames', async () => {
    await t.services.users.create(SETUP_CONTEXT, {
      username: 'lead-wang',
      displayName: '王组长',
      role: 'lead',
      organisation: null,
      password: 'correct horse battery staple',
    });
    const agent = t.agent();
    await login(agent, 'lead-wang');
    const res = await agent
      .post('/rounds')
      .type('form')
      .send({ ...form, _csrf: await csrfOf(agent, '/rounds/new') });
    const page = (await agent.get(res.headers.location)).text;
    const history = page.slice(page.indexOf('变更记录'));
    expect(history).toContain('<td>王组长</td>');
    expect(history).not.toContain('<td>lead-wang</td>');
  });

  it('bad input lists every problem in Chinese, keeps what was typed, and stores nothing', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const before = await t.db('rounds').count({ n: '*' }).first();
    const res = await agent
      .post('/rounds')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/rounds/new'),
        title: '',
        fiscalYear: '23',
        bureau: '某县财政局',
        deadline: '2024-02-30',
      });
    expect(res.status).toBe(422);
    expect(res.text).toContain('请填写复核批次名称');
    expect(res.text).toContain('预算年度须为2000–2100之间的四位年份');
    expect(res.text).toContain('截止日期须为有效日期');
    expect(res.text).toContain('value="某县财政局"');
    expect(await t.db('rounds').count({ n: '*' }).first()).toEqual(before);
  });

  it('over the API: 201 with the round, 422 with details', async () => {
    const ok = await t
      .agent()
      .post('/api/rounds')
      .set(bearer())
      .send({ title: 'API 批次', fiscalYear: 2024, deadline: '2025-03-31' });
    expect(ok.status).toBe(201);
    expect(ok.headers.location).toBe(`/api/rounds/${ok.body.id}`);
    const got = await t.agent().get(`/api/rounds/${ok.body.id}`).set(bearer());
    expect(got.body).toMatchObject({
      title: 'API 批次',
      fiscalYear: 2024,
      deadline: '2025-03-31',
      state: 'preparing',
      stateLabel: '准备中',
      version: 1,
    });
    const bad = await t.agent().post('/api/rounds').set(bearer()).send({ fiscalYear: 'next year' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([
      { field: 'title', message: '请填写复核批次名称' },
      { field: 'fiscalYear', message: '预算年度须为2000–2100之间的四位年份' },
    ]);
    expect((await t.agent().get('/api/rounds/99999').set(bearer())).status).toBe(404);
  });
});

describe('editing a round', () => {
  it('a stale version gets 409, keeps what the user typed, shows the current text, and changes nothing', async () => {
    const round = (await t.agent().post('/api/rounds').set(bearer()).send({ title: '并发测试', fiscalYear: 2023 }))
      .body;
    const first = t.agent();
    await login(first, 'lead1');
    const second = t.agent();
    await login(second, 'lead2');
    const firstForm = await first.get(`/rounds/${round.id}/edit`);
    const secondForm = await second.get(`/rounds/${round.id}/edit`);
    const csrf1 = /name="_csrf" value="([^"]+)"/.exec(firstForm.text)![1];
    const csrf2 = /name="_csrf" value="([^"]+)"/.exec(secondForm.text)![1];

    const saved = await first
      .post(`/rounds/${round.id}/edit`)
      .type('form')
      .send({ _csrf: csrf1, version: '1', title: '并发测试（组长一）', fiscalYear: '2023' });
    expect(saved.status).toBe(303);
    const stale = await second.post(`/rounds/${round.id}/edit`).type('form').send({
      _csrf: csrf2,
      version: '1',
      title: '并发测试（组长二的长篇修改）',
      fiscalYear: '2023',
      workPlanRef: '太财字〔2023〕30号',
    });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('已被他人修改');
    expect(stale.text).toContain('value="并发测试（组长二的长篇修改）"');
    expect(stale.text).toContain('并发测试（组长一）');
    expect(stale.text).toContain('name="version" value="2"');
    const stored = await t.db('rounds').where({ id: round.id }).first();
    expect(stored).toMatchObject({ title: '并发测试（组长一）', version: 2, work_plan_ref: null });

    const retry = await second.post(`/rounds/${round.id}/edit`).type('form').send({
      _csrf: csrf2,
      version: '2',
      title: '并发测试（组长二的长篇修改）',
      fiscalYear: '2023',
      workPlanRef: '太财字〔2023〕30号',
    });
    expect(retry.status).toBe(303);
    const audit = await lastAudit(t.db, 'round.update');
    expect(JSON.parse(audit.before).title).toBe('并发测试（组长一）');
    expect(JSON.parse(audit.after).title).toBe('并发测试（组长二的长篇修改）');
  });

  it('over the API: PATCH with the version read; a stale one gets 409 with the current round', async () => {
    const round = (await t.agent().post('/api/rounds').set(bearer()).send({ title: 'PATCH 测试', fiscalYear: 2023 }))
      .body;
    const ok = await t
      .agent()
      .patch(`/api/rounds/${round.id}`)
      .set(bearer())
      .send({ version: 1, bureau: '太康县财政局' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ bureau: '太康县财政局', title: 'PATCH 测试', version: 2 });
    const stale = await t.agent().patch(`/api/rounds/${round.id}`).set(bearer()).send({ version: 1, title: '覆盖' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    expect(stale.body.error.details.current).toMatchObject({ title: 'PATCH 测试', version: 2 });
    expect((await t.db('rounds').where({ id: round.id }).first()).title).toBe('PATCH 测试');
    const missing = await t.agent().patch(`/api/rounds/${round.id}`).set(bearer()).send({ title: '无版本' });
    expect(missing.status).toBe(422);
  });

  it('an official can read rounds but not edit them', async () => {
    const agent = t.agent();
    await login(agent, 'off1');
    // A round of its own, whatever ran before.
    const round = (await t.agent().post('/api/rounds').set(bearer()).send({ title: '只读检查', fiscalYear: 2023 }))
      .body;
    expect((await agent.get(`/rounds/${round.id}`)).status).toBe(200);
    expect((await agent.get(`/rounds/${round.id}/edit`)).status).toBe(403);
  });
});
