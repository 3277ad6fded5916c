import {
  auditActions,
  csrfFrom,
  lastAudit,
  login,
  startTestApp,
  TestApp,
  TEST_PASSWORD,
  SETUP_CONTEXT,
} from '../helpers/testApp';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('rev1', 'reviewer');
});
afterAll(() => t.close());

function sessionCookie(setCookie: string[] | string | undefined): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.find((c) => c.startsWith('fuhe.sid='));
}

describe('login page', () => {
  it('is a Chinese page with no inline script or style, under a strict CSP', async () => {
    const res = await t.agent().get('/login');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('用户名');
    expect(res.text).toContain('登录');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=|<style/);
    expect(res.text).not.toMatch(/\son[a-z]+=/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('signing in and out', () => {
  it('a correct password starts a session in an httpOnly, SameSite=Lax cookie and shows the dashboard', async () => {
    const agent = t.agent();
    const res = await login(agent, 'lead1');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = sessionCookie(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const dashboard = await agent.get('/');
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain('工作台');
    expect(dashboard.text).toContain('复核组组长');
    expect(await lastAudit(t.db, 'login')).toMatchObject({ actor_username: 'lead1' });
  });

  it('logging in gives a new session id and ends the one the browser had; the table holds only hashes', async () => {
    const agent = t.agent();
    const first = sessionCookie((await login(agent, 'rev1')).headers['set-cookie'])!.split(';')[0];
    const page = await agent.get('/');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), username: 'lead1', password: TEST_PASSWORD });
    const second = sessionCookie(res.headers['set-cookie'])!.split(';')[0];
    expect(second).not.toEqual(first);
    expect((await t.agent().get('/').set('Cookie', first)).status).toBe(303);
    expect((await t.agent().get('/').set('Cookie', second)).status).toBe(200);
    const token = first.split('=')[1].split('.')[0];
    const ids = (await t.db('sessions').select('id')).map((r: { id: string }) => r.id);
    expect(ids.some((id) => id.includes(token))).toBe(false);
    expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
  });

  it('the cookie is Secure when the request came over HTTPS through a trusted proxy', async () => {
    const proxied = await startTestApp({ FUHE_TRUST_PROXY: 'loopback' });
    try {
      await proxied.createUser('lead1', 'lead');
      // A Secure cookie is not sent back over plain HTTP, so the test carries it by hand.
      const page = await proxied.agent().get('/login').set('X-Forwarded-Proto', 'https');
      const pre = (page.headers['set-cookie'] as unknown as string[])[0];
      expect(pre).toMatch(/Secure/);
      const res = await proxied
        .agent()
        .post('/login')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', pre.split(';')[0])
        .type('form')
        .send({ _csrf: csrfFrom(page.text), username: 'lead1', password: TEST_PASSWORD });
      expect(sessionCookie(res.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('logging out ends the session on the server: the old cookie no longer works', async () => {
    const agent = t.agent();
    const res = await login(agent, 'rev1');
    const cookie = sessionCookie(res.headers['set-cookie'])!.split(';')[0];
    const page = await agent.get('/');
    const out = await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect(out.status).toBe(303);
    const replay = await t.agent().get('/').set('Cookie', cookie);
    expect(replay.status).toBe(303);
    expect(replay.headers.location).toMatch(/^\/login/);
    expect(await auditActions(t.db)).toContain('logout');
  });
});

describe('bad credentials', () => {
  it('a wrong password gets 401, a Chinese message, an audit entry, and no session', async () => {
    const agent = t.agent();
    const before = await t.db('sessions').count({ n: '*' }).first();
    const res = await login(agent, 'lead1', 'wrong password!');
    expect(res.status).toBe(401);
    expect(res.text).toContain('用户名或密码不正确');
    expect(sessionCookie(res.headers['set-cookie'])).toBeUndefined();
    expect(await t.db('sessions').count({ n: '*' }).first()).toEqual(before);
    expect(await lastAudit(t.db, 'login.failed')).toMatchObject({ actor_username: 'lead1', detail: '密码错误' });
  });

  it('an unknown user gets the same answer as a wrong password, and is audited with the name tried', async () => {
    const res = await login(t.agent(), 'nobody', 'whatever-password');
    expect(res.status).toBe(401);
    expect(res.text).toContain('用户名或密码不正确');
    expect(await lastAudit(t.db, 'login.failed')).toMatchObject({
      actor_username: 'nobody',
      actor_id: null,
      detail: '用户不存在',
    });
  });

  it('a disabled user cannot sign in (403) even with the right password', async () => {
    const user = await t.createUser('gone1', 'reviewer');
    await t.services.users.setDisabled(SETUP_CONTEXT, user.id, true);
    const res = await login(t.agent(), 'gone1');
    expect(res.status).toBe(403);
    expect(res.text).toContain('该账号已停用');
    expect(await lastAudit(t.db, 'login.failed')).toMatchObject({ actor_username: 'gone1', detail: '账号已停用' });
  });

  it('returns only to local paths after login (no open redirect)', async () => {
    const agent = t.agent();
    const page = await agent.get('/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), username: 'lead1', password: TEST_PASSWORD, next: '//evil.example/x' });
    expect(res.headers.location).toBe('/');
  });
});

describe('session time-outs', () => {
  it('an idle session expires: the page sends the user to log in again, and the expiry is audited', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    expect((await agent.get('/')).status).toBe(200);
    t.clock.advanceMinutes(t.config.session.idleMinutes + 1);
    const res = await agent.get('/');
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('reason=expired');
    expect(await lastAudit(t.db, 'session.expired')).toMatchObject({ actor_username: 'rev1' });
    const loginPage = await agent.get(res.headers.location);
    expect(loginPage.text).toContain('会话已超时');
  });

  it('an expired session on the API gets 401 with a Chinese message', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    t.clock.advanceMinutes(t.config.session.idleMinutes + 1);
    const res = await agent.get('/api/rounds');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('超时');
  });

  it('an active session still ends at the absolute time-out', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    const steps = Math.ceil((t.config.session.absoluteHours * 60) / 20);
    for (let i = 0; i < steps - 1; i += 1) {
      t.clock.advanceMinutes(20);
      expect((await agent.get('/')).status).toBe(200);
    }
    t.clock.advanceMinutes(20);
    const res = await agent.get('/');
    expect(res.status).toBe(303);
    expect((await lastAudit(t.db, 'session.expired')).detail).toBe('会话已超过最长时限');
  });
});

describe('changing a password', () => {
  it('needs the current password, keeps this session and ends the others', async () => {
    await t.createUser('pw1', 'reviewer');
    const other = t.agent();
    await login(other, 'pw1');
    const agent = t.agent();
    await login(agent, 'pw1');
    const form = await agent.get('/account/password');

    const wrong = await agent
      .post('/account/password')
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        current: 'not it at all',
        next: 'a new long passphrase',
        confirm: 'a new long passphrase',
      });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('当前密码不正确');

    const short = await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), current: TEST_PASSWORD, next: 'short', confirm: 'short' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('至少需要8个字符');

    const ok = await agent
      .post('/account/password')
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        current: TEST_PASSWORD,
        next: '一句足够长的中文密码短语',
        confirm: '一句足够长的中文密码短语',
      });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('密码已修改');
    expect((await agent.get('/')).status).toBe(200);
    expect((await other.get('/')).status).toBe(303);
    expect((await login(t.agent(), 'pw1', '一句足够长的中文密码短语')).status).toBe(303);
  });

  it('accepts a 64-character passphrase and more', async () => {
    const long = 'x'.repeat(64) + ' and then some more words to be safe';
    await t.createUser('longpw', 'reviewer', { password: long });
    expect((await login(t.agent(), 'longpw', long)).status).toBe(303);
  });
});
