import { csrfFrom, csrfOf, lastAudit, login, startTestApp, TestApp, SETUP_CONTEXT } from '../helpers/testApp';

let t: TestApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  for (const [username, role] of [
    ['admin1', 'admin'],
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['eva1', 'evaluator'],
    ['off1', 'official'],
  ] as const) {
    await t.createUser(username, role);
    tokens[username] = (await t.services.tokens.createForUsername(SETUP_CONTEXT, username, 'test')).token;
  }
});
afterAll(() => t.close());

const api = (username: string) => ({ Authorization: `Bearer ${tokens[username]}` });

describe('what each role may do, enforced on the server', () => {
  it.each(['rev1', 'eva1', 'off1'])('%s cannot create a round: 403, audited, nothing stored', async (username) => {
    const res = await t.agent().post('/api/rounds').set(api(username)).send({ title: '越权创建', fiscalYear: 2023 });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'forbidden', message: '您没有权限执行此操作' });
    expect(await t.db('rounds').where({ title: '越权创建' }).first()).toBeUndefined();
    expect(await lastAudit(t.db, 'access.denied')).toMatchObject({
      actor_username: username,
      detail: expect.stringContaining('POST /api/rounds'),
    });
  });

  it.each(['admin1', 'lead1'])('%s can create a round', async (username) => {
    const res = await t
      .agent()
      .post('/api/rounds')
      .set(api(username))
      .send({ title: `${username} 的批次`, fiscalYear: 2023 });
    expect(res.status).toBe(201);
  });

  it('every signed-in role can list rounds', async () => {
    for (const year of [2022, 2023])
      await t
        .agent()
        .post('/api/rounds')
        .set(api('lead1'))
        .send({ title: `${year}年度复核`, fiscalYear: year });
    for (const username of Object.keys(tokens)) {
      const res = await t.agent().get('/api/rounds').set(api(username));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThanOrEqual(2);
    }
  });

  it.each([
    ['lead1', '/admin/users'],
    ['rev1', '/admin/audit'],
    ['eva1', '/admin/users'],
    ['off1', '/rounds/new'],
  ])('%s is refused %s with a Chinese 403 page', async (username, path) => {
    const agent = t.agent();
    await login(agent, username);
    const res = await agent.get(path);
    expect(res.status).toBe(403);
    // Said once, under a heading that names the problem, with the way back.
    expect(res.text.match(/您没有权限执行此操作/g)).toHaveLength(1);
    expect(res.text).toContain('<h1>无权访问</h1>');
    expect(res.text).toContain('返回工作台');
    expect(await lastAudit(t.db, 'access.denied')).toMatchObject({ actor_username: username });
  });

  it('the 403 page offers the way back to the page the user came from, when it is ours', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    const back = await agent.get('/admin/users').set('Referer', `${t.baseUrl}/work?status=draft`);
    expect(back.text).toMatch(/<a class="button" href="\/work\?status(=|&#x3D;)draft">返回上一页<\/a>/);
    const elsewhere = await agent.get('/admin/users').set('Referer', 'https://example.com/work');
    expect(elsewhere.text).not.toContain('返回上一页');
  });

  it('the navigation shows a role only what it may use', async () => {
    const admin = t.agent();
    await login(admin, 'admin1');
    const adminPage = (await admin.get('/')).text;
    expect(adminPage).toContain('href="/admin/users"');
    expect(adminPage).toContain('href="/admin/audit"');
    const evaluator = t.agent();
    await login(evaluator, 'eva1');
    const evaluatorPage = (await evaluator.get('/')).text;
    expect(evaluatorPage).not.toContain('href="/admin/users"');
    expect(evaluatorPage).not.toContain('href="/rounds/new"');
    expect(evaluatorPage).toContain('第三方评价机构');
  });

  it('a reviewer posting to an admin form is refused even with a valid CSRF token', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    const res = await agent
      .post('/admin/users')
      .type('form')
      .send({ _csrf: await csrfOf(agent), username: 'sneaky', role: 'admin' });
    expect(res.status).toBe(403);
    expect(await t.db('users').where({ username: 'sneaky' }).first()).toBeUndefined();
  });
});

describe('the admin manages users', () => {
  it('adds a user with a generated password that must be changed at first login', async () => {
    const admin = t.agent();
    await login(admin, 'admin1');
    const page = await admin.get('/admin/users');
    const res = await admin
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        username: 'NewEva',
        displayName: '李评价',
        role: 'evaluator',
        organisation: '河南某会计师事务所',
      });
    expect(res.status).toBe(201);
    const password = /id="generated-password">([^<]+)</.exec(res.text)![1];
    const stored = await t.db('users').where({ username: 'neweva' }).first();
    expect(stored).toMatchObject({ role: 'evaluator', organisation: '河南某会计师事务所', display_name: '李评价' });
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(stored.password_hash).not.toContain(password);
    const audit = await lastAudit(t.db, 'user.create');
    expect(audit.after).not.toContain('passwordHash');
    expect(audit.after).not.toContain('scrypt');
    expect(audit.after).not.toContain(password);

    const user = t.agent();
    const first = await login(user, 'neweva', password);
    expect(first.headers.location).toBe('/account/password');
    expect((await user.get('/')).headers.location).toBe('/account/password');
    expect((await user.get('/api/rounds')).status).toBe(403);
  });

  it('refuses an evaluator without an organisation, a duplicate name and a short password, listing the problem', async () => {
    const admin = t.agent();
    await login(admin, 'admin1');
    const csrf = await csrfOf(admin, '/admin/users');
    const noOrg = await admin
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, username: 'eva9', role: 'evaluator' });
    expect(noOrg.status).toBe(422);
    expect(noOrg.text).toContain('第三方评价机构人员须填写所属机构');
    const duplicate = await admin
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, username: 'lead1', role: 'lead' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.text).toContain('已存在');
    const short = await admin
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, username: 'shorty', role: 'lead', password: '1234567' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('至少需要8个字符');
    expect(await t.db('users').whereIn('username', ['eva9', 'shorty']).first()).toBeUndefined();
  });

  it('disabling a user ends their sessions at once and stops their tokens', async () => {
    const victim = await t.createUser('leaving', 'reviewer');
    const token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'leaving', 'x')).token;
    const session = t.agent();
    await login(session, 'leaving');
    expect((await session.get('/')).status).toBe(200);

    const admin = t.agent();
    await login(admin, 'admin1');
    const res = await admin
      .post(`/admin/users/${victim.id}/disable`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users') });
    expect(res.status).toBe(200);
    expect(res.text).toContain('已停用用户 leaving');
    expect((await session.get('/')).status).toBe(303);
    expect((await t.agent().get('/api/rounds').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    const audit = await lastAudit(t.db, 'user.disable');
    expect(JSON.parse(audit.before).disabledAt).toBeNull();
    expect(JSON.parse(audit.after).disabledAt).not.toBeNull();
  });

  it('an admin cannot disable their own account', async () => {
    const admin = t.agent();
    await login(admin, 'admin1');
    const me = await t.db('users').where({ username: 'admin1' }).first();
    const res = await admin
      .post(`/admin/users/${me.id}/disable`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users') });
    expect(res.status).toBe(409);
    expect((await t.db('users').where({ id: me.id }).first()).disabled_at).toBeNull();
  });

  it('resetting a password ends the sessions and gives a one-time password', async () => {
    const user = await t.createUser('forgetful', 'reviewer');
    const session = t.agent();
    await login(session, 'forgetful');
    const admin = t.agent();
    await login(admin, 'admin1');
    const res = await admin
      .post(`/admin/users/${user.id}/reset-password`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users') });
    const password = /id="generated-password">([^<]+)</.exec(res.text)![1];
    expect((await session.get('/')).status).toBe(303);
    expect((await login(t.agent(), 'forgetful', password)).headers.location).toBe('/account/password');
  });
});
