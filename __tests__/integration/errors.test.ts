import { login, startTestApp, TestApp, SETUP_CONTEXT } from '../helpers/testApp';

describe('error pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production' });
    await t.createUser('lead1', 'lead');
  });
  afterAll(() => t.close());

  it('an unknown page is a Chinese 404 page; an unknown API path is JSON', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const page = await agent.get('/no/such/page');
    expect(page.status).toBe(404);
    expect(page.text).toContain('未找到该页面或对象');
    const api = await agent.get('/api/nothing');
    expect(api.status).toBe(404);
    expect(api.body).toEqual({ error: { code: 'not_found', message: '未找到该页面或对象' } });
  });

  it('a failure inside is a Chinese 500 with a request id and never a stack trace', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    await t.db.schema.renameTable('rounds', 'rounds_gone');
    try {
      const page = await agent.get('/');
      expect(page.status).toBe(500);
      expect(page.text).toContain('服务器内部错误');
      expect(page.text).toContain(page.headers['x-request-id']);
      expect(page.text).not.toMatch(/SQLITE|at .*\.ts:\d+|node_modules/);
      const api = await agent.get('/api/rounds');
      expect(api.status).toBe(500);
      expect(api.body.error.code).toBe('internal');
      expect(JSON.stringify(api.body)).not.toMatch(/SQLITE|\.ts:\d+/);
    } finally {
      await t.db.schema.renameTable('rounds_gone', 'rounds');
    }
  });

  it('malformed JSON is a 400 in Chinese', async () => {
    const token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 'x')).token;
    const res = await t
      .agent()
      .post('/api/rounds')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send('{"title":');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('JSON 格式不正确');
  });
});

describe('in development', () => {
  it('the 500 page shows the stack to the developer', async () => {
    const t = await startTestApp({ NODE_ENV: 'development' });
    try {
      await t.createUser('lead1', 'lead');
      const agent = t.agent();
      await login(agent, 'lead1');
      await t.db.schema.renameTable('rounds', 'rounds_gone');
      const page = await agent.get('/');
      expect(page.status).toBe(500);
      expect(page.text).toContain('class="stack"');
    } finally {
      await t.close();
    }
  });
});
