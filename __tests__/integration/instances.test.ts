import { csrfFrom, login, SETUP_CONTEXT, startSecondInstance, startTestApp, TestApp } from '../helpers/testApp';

/**
 * Two instances on one database behave as one application: every piece of state (sessions,
 * rate-limit counters, draws, evidence) lives in the database. Runs on SQLite and, in the
 * PostgreSQL run, on PostgreSQL.
 */

let a: TestApp;
let b: Awaited<ReturnType<typeof startSecondInstance>>;
let token: string;

beforeAll(async () => {
  a = await startTestApp();
  b = await startSecondInstance(a);
  await a.createUser('lead1', 'lead');
  token = (await a.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const auth = () => ({ Authorization: `Bearer ${token}` });

async function roundWithPopulation(): Promise<number> {
  const round = await a.agent().post('/api/rounds').set(auth()).send({ title: '两实例测试', fiscalYear: 2023 });
  const csv = [
    '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分',
    ...Array.from({ length: 30 }, (_, i) => `项目支出,P${i},甲,甲,项目${i},${i + 1},90`),
    '部门整体支出,D1,甲,甲,,5,90',
  ].join('\n');
  expect(
    (
      await a
        .agent()
        .post(`/api/rounds/${round.body.id}/population`)
        .set(auth())
        .attach('file', Buffer.from(csv), 'p.csv')
    ).status,
  ).toBe(201);
  return round.body.id as number;
}

it('a session made on one instance works on the other, and logging out on the second ends it on the first', async () => {
  const onA = a.agent();
  const res = await login(onA, 'lead1');
  expect(res.status).toBe(303);
  const cookie = res.headers['set-cookie'] as unknown as string[];
  const page = await b.agent().get('/').set('Cookie', cookie);
  expect(page.status).toBe(200);
  expect(page.text).toContain('lead1');
  // A form rendered by A is accepted by B: the CSRF token comes from the shared session.
  const csrf = csrfFrom((await onA.get('/')).text);
  const created = await b
    .agent()
    .post('/rounds')
    .set('Cookie', cookie)
    .type('form')
    .send({ _csrf: csrf, title: '在B上创建', fiscalYear: '2024' });
  expect(created.status).toBe(303);
  expect((await b.agent().post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrf })).status).toBe(303);
  expect((await onA.get('/')).status).toBe(303);
});

it('a draw made on one instance is seen on the other', async () => {
  const roundId = await roundWithPopulation();
  const drawn = await a
    .agent()
    .post(`/api/rounds/${roundId}/draws`)
    .set(auth())
    .send({ seed: '两实例', method: 'srs', quota: { project: 5, department: 1 } });
  expect(drawn.status).toBe(201);
  const seen = await b.agent().get(`/api/rounds/${roundId}/draw`).set(auth());
  expect(seen.status).toBe(200);
  expect(seen.body.items).toEqual(drawn.body.items);
});

it('two instances cannot both draw the same round: the second gets 409', async () => {
  const roundId = await roundWithPopulation();
  const body = { seed: '并发', method: 'srs', quota: { project: 5, department: 1 } };
  const [first, second] = await Promise.all([
    a.agent().post(`/api/rounds/${roundId}/draws`).set(auth()).send(body),
    b
      .agent()
      .post(`/api/rounds/${roundId}/draws`)
      .set(auth())
      .send({ ...body, seed: '并发2' }),
  ]);
  expect([first.status, second.status].sort()).toEqual([201, 409]);
  const draws = await a.db('draws').where({ round_id: roundId });
  expect(draws).toHaveLength(1);
});

it('population edits on one instance are seen on the other at once (no stale cache)', async () => {
  const roundId = await roundWithPopulation();
  expect((await b.agent().get(`/api/rounds/${roundId}/population?pageSize=1`).set(auth())).body.total).toBe(31);
  const csv = ['类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分', '项目支出,Q1,乙,乙,替换,1,90'].join(
    '\n',
  );
  expect(
    (await a.agent().post(`/api/rounds/${roundId}/population`).set(auth()).attach('file', Buffer.from(csv), 'q.csv'))
      .status,
  ).toBe(201);
  const after = await b.agent().get(`/api/rounds/${roundId}/population?pageSize=5`).set(auth());
  expect(after.body.total).toBe(1);
  expect(after.body.items[0].code).toBe('Q1');
});
