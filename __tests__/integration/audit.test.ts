import { csrfOf, login, startTestApp, TestApp } from '../helpers/testApp';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('admin1', 'admin');
  await t.createUser('lead1', 'lead');
});
afterAll(() => t.close());

describe('the audit log', () => {
  it('cannot be updated or deleted, even directly in the database', async () => {
    await login(t.agent(), 'lead1');
    const count = await t.db('audit_log').count({ n: '*' }).first();
    await expect(t.db('audit_log').update({ action: 'tampered' })).rejects.toThrow(/append-only/);
    await expect(t.db('audit_log').del()).rejects.toThrow(/append-only/);
    expect(await t.db('audit_log').count({ n: '*' }).first()).toEqual(count);
    expect(await t.db('audit_log').where({ action: 'tampered' }).first()).toBeUndefined();
  });

  it('records who, when (UTC), what, the object, before/after and from where', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    await agent
      .post('/rounds')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/rounds/new'), title: '审计测试批次', fiscalYear: '2023' });
    const round = await t.db('rounds').where({ title: '审计测试批次' }).first();
    const entry = await t
      .db('audit_log')
      .where({ action: 'round.create', object_id: String(round.id) })
      .first();
    expect(entry).toMatchObject({ actor_username: 'lead1', actor_role: 'lead', object_type: 'round', ip: '127.0.0.1' });
    expect(new Date(entry.at).toISOString()).toBe('2026-11-25T02:00:00.000Z');
    expect(entry.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(entry.after)).toMatchObject({ title: '审计测试批次', fiscalYear: 2023 });
  });

  it('the admin page lists entries newest first and filters them by action, person and day', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    await lead
      .post('/rounds')
      .type('form')
      .send({ _csrf: await csrfOf(lead, '/rounds/new'), title: '审计测试批次', fiscalYear: '2023' });
    const admin = t.agent();
    await login(admin, 'admin1');
    await login(t.agent(), 'lead1', 'a wrong password');
    const all = await admin.get('/admin/audit');
    expect(all.status).toBe(200);
    expect(all.text).toContain('审计日志');
    const failed = await admin.get('/admin/audit').query({ action: 'login.failed' });
    expect(failed.text).toContain('login.failed');
    expect(failed.text).not.toContain('>round.create</code>');
    const byActor = await admin.get('/admin/audit').query({ actor: 'admin1' });
    expect(byActor.text).not.toContain('>round.create</code>');
    const otherDay = await admin.get('/admin/audit').query({ from: '2030-01-01' });
    expect(otherDay.text).toContain('没有符合条件的记录');
    const sameDay = await admin
      .get('/admin/audit')
      .query({ from: '2026-11-25', to: '2026-11-25', action: 'round.create' });
    expect(sameDay.text).toContain('审计测试批次');
  });
});
