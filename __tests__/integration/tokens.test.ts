import { csrfOf, lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('rev1', 'reviewer');
});
afterAll(() => t.close());

async function tokenFromProfile(
  username: string,
  name: string,
): Promise<{ token: string; agent: ReturnType<TestApp['agent']> }> {
  const agent = t.agent();
  await login(agent, username);
  const res = await agent
    .post('/account/tokens')
    .type('form')
    .send({ _csrf: await csrfOf(agent, '/account'), name });
  expect(res.status).toBe(201);
  return { token: /id="new-token">([^<]+)</.exec(res.text)![1], agent };
}

describe('API tokens', () => {
  it("GET /api/rounds is 401 without a token and 200 with a lead's", async () => {
    const none = await t.agent().get('/api/rounds');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(await lastAudit(t.db, 'access.unauthenticated')).toMatchObject({ detail: 'GET /api/rounds' });
    const { token } = await tokenFromProfile('lead1', '预算系统对接');
    const ok = await t.agent().get('/api/rounds').set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ items: [] });
    const me = await t.agent().get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(me.body).toMatchObject({ username: 'lead1', role: 'lead', roleLabel: '复核组组长' });
  });

  it('a token is shown once and stored only as a hash', async () => {
    const { token, agent } = await tokenFromProfile('rev1', '脚本');
    const rows = await t.db('api_tokens').select('*');
    for (const row of rows) expect(JSON.stringify(row)).not.toContain(token);
    const profile = await agent.get('/account');
    expect(profile.text).not.toContain(token);
    expect(profile.text).toContain(token.slice(0, 12));
  });

  it('a wrong token gets 401 in Chinese and is audited', async () => {
    // A refusal window of its own: an earlier rejected token from this address would be counted, not written.
    t.clock.advanceMinutes(2);
    const res = await t.agent().get('/api/rounds').set('Authorization', 'Bearer fuhe_not-a-real-token');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('API 令牌无效：令牌无效');
    expect(await lastAudit(t.db, 'token.rejected')).toMatchObject({ detail: 'GET /api/rounds：令牌无效' });
    const malformed = await t.agent().get('/api/rounds').set('Authorization', 'Basic abc');
    expect(malformed.status).toBe(401);
  });

  it('a revoked token stops working at once', async () => {
    const { token, agent } = await tokenFromProfile('lead1', '临时');
    const record = await t.db('api_tokens').where({ name: '临时' }).first();
    expect((await t.agent().get('/api/rounds').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const res = await agent
      .post(`/account/tokens/${record.id}/revoke`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account') });
    expect(res.status).toBe(303);
    const after = await t.agent().get('/api/rounds').set('Authorization', `Bearer ${token}`);
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('令牌已吊销');
    expect(await lastAudit(t.db, 'token.revoke')).toMatchObject({
      actor_username: 'lead1',
      object_id: String(record.id),
    });
  });

  it("a user cannot revoke someone else's token", async () => {
    await tokenFromProfile('lead1', '组长的');
    const record = await t.db('api_tokens').where({ name: '组长的' }).first();
    const reviewer = t.agent();
    await login(reviewer, 'rev1');
    const res = await reviewer
      .post(`/account/tokens/${record.id}/revoke`)
      .type('form')
      .send({ _csrf: await csrfOf(reviewer, '/account') });
    expect(res.status).toBe(403);
    expect((await t.db('api_tokens').where({ id: record.id }).first()).revoked_at).toBeNull();
    expect(await lastAudit(t.db, 'access.denied')).toMatchObject({
      actor_username: 'rev1',
      detail: expect.stringContaining(`吊销他人的令牌 ${record.id}`),
    });
  });

  it("a token carries exactly its user's role", async () => {
    const { token } = await tokenFromProfile('rev1', '复核');
    const res = await t
      .agent()
      .post('/api/rounds')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'x', fiscalYear: 2023 });
    expect(res.status).toBe(403);
  });
});
