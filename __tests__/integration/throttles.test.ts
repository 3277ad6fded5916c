import { csrfFrom, csrfOf, login, SETUP_CONTEXT, startTestApp, TestApp, TEST_PASSWORD } from '../helpers/testApp';

/**
 * Limits that must hold whatever the concurrency: password guesses (sign-in and the password
 * change form), and the audit log against anonymous floods. On both engines.
 */

let t: TestApp;

beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const countRows = async (table: string, where: Record<string, unknown>) =>
  Number((await t.db(table).where(where).count({ n: '*' }))[0].n);

/** Sends the sign-in form `n` times at once from one browser; `passwordOf(i)` is the i-th password. */
async function loginsAtOnce(
  n: number,
  usernameOf: (i: number) => string,
  passwordOf: (i: number) => string,
): Promise<number[]> {
  const agent = t.agent();
  const csrf = csrfFrom((await agent.get('/login')).text);
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, username: usernameOf(i), password: passwordOf(i), next: '/' }),
    ),
  );
  return answers.map((r) => r.status);
}

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((all, s) => ({ ...all, [s]: (all[s] ?? 0) + 1 }), {});

describe('password guesses', () => {
  it('150 sign-ins at once for one account check at most the allowed number of passwords; the rest get 429', async () => {
    await t.createUser('lead1', 'lead');
    const max = t.config.loginThrottle.maxFailuresPerAccount;
    // The right password is the last one sent: by then the limit has been reached.
    const statuses = tally(
      await loginsAtOnce(
        150,
        () => 'lead1',
        (i) => (i === 149 ? TEST_PASSWORD : `wrong-password-${i}`),
      ),
    );
    const checked = (statuses[401] ?? 0) + (statuses[303] ?? 0);
    expect(checked).toBeLessThanOrEqual(max);
    expect(statuses[429]).toBe(150 - checked);
    expect(await countRows('login_failures', { account: 'lead1' })).toBeLessThanOrEqual(max);
  });

  it('150 sign-ins at once for 150 accounts from one address check at most the address limit', async () => {
    const statuses = tally(
      await loginsAtOnce(
        150,
        (i) => `someone${i}`,
        () => 'guessing-passwords',
      ),
    );
    expect(statuses[401]).toBe(t.config.loginThrottle.maxFailuresPerAddress);
    expect(statuses[429]).toBe(150 - t.config.loginThrottle.maxFailuresPerAddress);
  });

  it('the current password of the password-change form is throttled like a sign-in', async () => {
    await t.createUser('rev1', 'reviewer');
    const agent = t.agent();
    await login(agent, 'rev1');
    const csrf = await csrfOf(agent, '/account/password');
    const change = (current: string) =>
      agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: csrf, current, next: 'a new long passphrase 2026', confirm: 'a new long passphrase 2026' });
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => change(`wrong-current-${i}`)));
    expect(tally(statuses.map((r) => r.status))).toEqual({
      422: t.config.loginThrottle.maxFailuresPerAccount,
      429: 20 - t.config.loginThrottle.maxFailuresPerAccount,
    });
    const refused = await change(TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('当前密码输入错误次数过多');
    t.clock.advanceMinutes(t.config.loginThrottle.windowMinutes + 1);
    expect((await change(TEST_PASSWORD)).status).toBe(200);
  });
});

describe('the audit log against floods', () => {
  it('3,000 requests with made-up tokens write one entry and one count, and the address is refused with 429 after the limit', async () => {
    const statuses: number[] = [];
    for (let start = 0; start < 3000; start += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          t
            .agent()
            .get('/api/rounds')
            .set('Authorization', `Bearer fuhe_made-up-${start + i}`),
        ),
      );
      statuses.push(...batch.map((r) => r.status));
    }
    expect(tally(statuses)).toEqual({
      401: t.config.refusals.limitPerAddress,
      429: 3000 - t.config.refusals.limitPerAddress,
    });
    expect(await countRows('audit_log', { action: 'token.rejected' })).toBe(1);
    t.clock.advanceMinutes(2);
    await t.services.refusals.flush();
    const rows = await t.db('audit_log').where({ action: 'token.rejected' }).orderBy('id');
    expect(rows).toHaveLength(2);
    expect(JSON.parse(rows[1].after)).toMatchObject({ repeated: 2999 });
    expect(rows[1].detail).toContain('又有2999次');
    // A new window: the address is heard again.
    expect((await t.agent().get('/api/rounds').set('Authorization', 'Bearer fuhe_made-up')).status).toBe(401);
  });

  it('anonymous API calls are counted the same way; a signed-in user from that address is not affected', async () => {
    await t.createUser('lead1', 'lead');
    const token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
    const statuses = [];
    for (let i = 0; i < 100; i += 1) statuses.push((await t.agent().get('/api/rounds')).status);
    expect(tally(statuses)).toEqual({
      401: t.config.refusals.limitPerAddress,
      429: 100 - t.config.refusals.limitPerAddress,
    });
    expect(await countRows('audit_log', { action: 'access.unauthenticated' })).toBe(1);
    expect((await t.agent().get('/api/rounds').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const agent = t.agent();
    expect((await login(agent, 'lead1')).status).toBe(303);
    expect((await agent.get('/api/rounds')).status).toBe(200);
  });

  it('a signed-in user refused the same thing repeatedly is one entry and a count; each different refusal is its own entry', async () => {
    await t.createUser('rev1', 'reviewer');
    const agent = t.agent();
    await login(agent, 'rev1');
    for (let i = 0; i < 50; i += 1) expect((await agent.get('/admin/audit')).status).toBe(403);
    expect((await agent.get('/admin/users')).status).toBe(403);
    const denied = await t.db('audit_log').where({ action: 'access.denied' }).orderBy('id');
    expect(denied.map((r) => r.detail)).toEqual([
      expect.stringContaining('/admin/audit'),
      expect.stringContaining('/admin/users'),
    ]);
    t.clock.advanceMinutes(2);
    await t.services.refusals.flush();
    expect(await countRows('audit_log', { action: 'access.denied' })).toBe(3);
  });
});

describe('tokens after a password reset', () => {
  it('stop working until the owner has set a new password', async () => {
    await t.createUser('admin1', 'admin');
    const rev = await t.createUser('rev1', 'reviewer');
    const token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'rev1', 't')).token;
    const call = () => t.agent().get('/api/me').set('Authorization', `Bearer ${token}`);
    expect((await call()).status).toBe(200);
    const temporary = await t.services.users.resetPassword(SETUP_CONTEXT, rev.id);
    const refused = await call();
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('须先登录修改密码');
    const agent = t.agent();
    await login(agent, 'rev1', temporary);
    const csrf = await csrfOf(agent, '/account/password');
    expect(
      (
        await agent.post('/account/password').type('form').send({
          _csrf: csrf,
          current: temporary,
          next: 'my own new passphrase 2026',
          confirm: 'my own new passphrase 2026',
        })
      ).status,
    ).toBe(200);
    expect((await call()).status).toBe(200);
  });
});

describe('the idle time-out', () => {
  it('counts from the last request to within a few seconds', async () => {
    const short = await startTestApp({ FUHE_SESSION_IDLE_MINUTES: '1' });
    try {
      await short.createUser('rev1', 'reviewer');
      const agent = short.agent();
      await login(agent, 'rev1');
      // Used every 25 s for two minutes: never idle for a minute.
      for (let i = 0; i < 5; i += 1) {
        short.clock.current = new Date(short.clock.current.getTime() + 25_000);
        expect((await agent.get('/api/me')).status).toBe(200);
      }
      short.clock.current = new Date(short.clock.current.getTime() + 55_000);
      expect((await agent.get('/api/me')).status).toBe(200);
      short.clock.current = new Date(short.clock.current.getTime() + 65_000);
      expect((await agent.get('/api/me')).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});
