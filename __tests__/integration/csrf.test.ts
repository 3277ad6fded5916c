import {
  csrfFrom,
  csrfOf,
  lastAudit,
  login,
  startTestApp,
  TestApp,
  TEST_PASSWORD,
  SETUP_CONTEXT,
} from '../helpers/testApp';

let t: TestApp;
let leadToken: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  leadToken = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 'test')).token;
});
afterAll(() => t.close());

const roundForm = {
  title: '2023年度绩效自评结果抽查复核',
  fiscalYear: '2023',
  bureau: '太康县财政局',
  workPlanRef: '太财字〔2023〕30号',
  deadline: '2024-03-31',
};
const countRounds = async () => Number(((await t.db('rounds').count({ n: '*' }).first()) as { n: unknown }).n);

describe('CSRF on forms', () => {
  it('a form posted without the token is refused with 403, audited, and changes nothing', async () => {
    // A user of its own: the same refusal from the same user within a minute is counted, not
    // written again, and the other tests here make it too.
    await t.createUser('lead-csrf-audit', 'lead');
    const agent = t.agent();
    await login(agent, 'lead-csrf-audit');
    const before = await countRounds();
    const res = await agent.post('/rounds').type('form').send(roundForm);
    expect(res.status).toBe(403);
    expect(res.text).toContain('页面已过期或请求来源无法验证');
    expect(await countRounds()).toBe(before);
    expect(await lastAudit(t.db, 'csrf.rejected')).toMatchObject({
      actor_username: 'lead-csrf-audit',
      detail: 'POST /rounds',
    });
  });

  it('a wrong token is refused the same way', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const before = await countRounds();
    const res = await agent
      .post('/rounds')
      .type('form')
      .send({ ...roundForm, _csrf: 'forged-token' });
    expect(res.status).toBe(403);
    expect(await countRounds()).toBe(before);
  });

  it("another session's token does not work in this session", async () => {
    const mine = t.agent();
    await login(mine, 'lead1');
    const theirs = t.agent();
    await login(theirs, 'lead1');
    const res = await mine
      .post('/rounds')
      .type('form')
      .send({ ...roundForm, _csrf: await csrfOf(theirs, '/rounds/new') });
    expect(res.status).toBe(403);
  });

  it('the token read from the form is accepted', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const before = await countRounds();
    const res = await agent
      .post('/rounds')
      .type('form')
      .send({ ...roundForm, _csrf: await csrfOf(agent, '/rounds/new') });
    expect(res.status).toBe(303);
    expect(await countRounds()).toBe(before + 1);
  });

  it('the login form itself needs the token of the page it came from', async () => {
    const res = await t.agent().post('/login').type('form').send({ username: 'lead1', password: TEST_PASSWORD });
    expect(res.status).toBe(403);
    const other = await t.agent().get('/login');
    const replay = await t
      .agent()
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(other.text), username: 'lead1', password: TEST_PASSWORD });
    expect(replay.status).toBe(403);
  });
});

describe('CSRF on the API', () => {
  it('a write with the session cookie needs the X-CSRF-Token header', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const before = await countRounds();
    const refused = await agent.post('/api/rounds').send({ title: '接口创建', fiscalYear: 2024 });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf');
    expect(await countRounds()).toBe(before);
    const ok = await agent
      .post('/api/rounds')
      .set('X-CSRF-Token', await csrfOf(agent))
      .send({ title: '接口创建', fiscalYear: 2024 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ title: '接口创建', fiscalYear: 2024, state: 'preparing', version: 1 });
  });

  it('a write with a bearer token needs no CSRF token', async () => {
    const res = await t
      .agent()
      .post('/api/rounds')
      .set('Authorization', `Bearer ${leadToken}`)
      .send({ title: '令牌创建', fiscalYear: 2024 });
    expect(res.status).toBe(201);
  });

  it('an API write with neither session nor token is 401, not 403', async () => {
    const res = await t.agent().post('/api/rounds').send({ title: '匿名', fiscalYear: 2024 });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: '请先登录' } });
  });
});
