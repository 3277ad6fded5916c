import { lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

let t: TestApp;

beforeEach(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
});
afterEach(() => t.close());

describe('login rate limiting', () => {
  it('after 5 failures an account is locked for the window, even with the right password, then opens again', async () => {
    for (let i = 0; i < t.config.loginThrottle.maxFailuresPerAccount; i += 1) {
      expect((await login(t.agent(), 'lead1', `wrong-${i}-password`)).status).toBe(401);
    }
    const locked = await login(t.agent(), 'lead1');
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('登录失败次数过多，请15分钟后再试');
    expect(await lastAudit(t.db, 'login.throttled')).toMatchObject({ actor_username: 'lead1' });
    expect(await t.db('sessions').first()).toBeUndefined();

    t.clock.advanceMinutes(t.config.loginThrottle.windowMinutes + 1);
    expect((await login(t.agent(), 'lead1')).status).toBe(303);
  });

  it('limits failures from one address across many accounts', async () => {
    for (let i = 0; i < t.config.loginThrottle.maxFailuresPerAddress; i += 1) {
      expect((await login(t.agent(), `someone${i}`, 'guessing-passwords')).status).toBe(401);
    }
    const res = await login(t.agent(), 'lead1');
    expect(res.status).toBe(429);
    expect((await lastAudit(t.db, 'login.throttled')).detail).toContain('地址');
  });

  it("a successful login clears the account's failures", async () => {
    for (let i = 0; i < 4; i += 1) await login(t.agent(), 'lead1', 'wrong password');
    expect((await login(t.agent(), 'lead1')).status).toBe(303);
    for (let i = 0; i < 4; i += 1) await login(t.agent(), 'lead1', 'wrong password');
    expect((await login(t.agent(), 'lead1')).status).toBe(303);
  });
});
