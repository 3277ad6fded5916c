/**
 * Who waits for whom when writes meet (the note in server/rounds/repository.ts): writes on
 * different items of a round run side by side, two on one item run one after the other, and a
 * step that changes the round as a whole (a publication, a draw's cancellation) waits for the
 * item writes in flight and they wait for it. On SQLite one writer at a time holds the file, so
 * the tests that hold a lock from a third transaction are PostgreSQL's.
 */
import { Knex } from 'knex';
import { usersWithTokens } from '../helpers/rounds';
import { startTestApp, TEST_ENGINE, TestApp } from '../helpers/testApp';

const postgresOnly = TEST_ENGINE === 'postgres' ? it : it.skip;

let t: TestApp;
let api: Awaited<ReturnType<typeof usersWithTokens>>;

beforeAll(async () => {
  t = await startTestApp({ FUHE_PUBLIC_URL: 'https://fuhe.example.gov.cn' });
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['off1', 'official'],
  ]);
});
afterAll(() => t.close());

const DIMENSIONS = Object.fromEntries(
  ['绩效目标编制', '预算执行', '绩效指标设置', '运行成本控制', '目标完成', '可持续发展能力', '满意度'].map((d) => [
    d,
    { judgement: '基本符合', note: '' },
  ]),
);

/** A round of `count` projects (no indicators), all drawn; with `confirmed`, every review saved, submitted and confirmed. */
async function round(
  count: number,
  { confirmed = false } = {},
): Promise<{ roundId: number; drawId: number; codes: string[] }> {
  const created = await api('lead1').post('/api/rounds').send({
    title: '2023年度绩效自评结果抽查复核',
    fiscalYear: 2023,
    deadline: '2024-03-31',
    objectionContact: '县财政局绩效股',
  });
  const roundId = created.body.id as number;
  const codes = Array.from({ length: count }, (_, i) => `P${String(i + 1).padStart(3, '0')}`);
  const csv = [
    '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,执行数（万元）,自评得分,报送日期',
    ...codes.map((code) => `项目支出,${code},县${code}局,县${code}中心,${code}项目,100,95,95,2024-03-20`),
  ].join('\n');
  expect(
    (await api('lead1').post(`/api/rounds/${roundId}/population`).attach('file', Buffer.from(csv), 'population.csv'))
      .status,
  ).toBe(201);
  const draw = await api('lead1')
    .post(`/api/rounds/${roundId}/draws`)
    .send({ seed: 'locks', method: 'srs', quota: { project: count, department: 0 } });
  expect(draw.status).toBe(201);
  if (confirmed)
    for (const code of codes) {
      const url = `/api/rounds/${roundId}/items/${code}`;
      expect((await save(roundId, code, 0, '复核意见')).status).toBe(200);
      expect((await api('lead1').post(`${url}/review/submit`)).status).toBe(200);
      expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);
    }
  return { roundId, drawId: draw.body.id as number, codes };
}

function save(roundId: number, code: string, version: number, comment: string) {
  return api('lead1')
    .put(`/api/rounds/${roundId}/items/${code}/review`)
    .send({ version, reviewScore: 88, qualityScore: 90, comment, dimensions: DIMENSIONS });
}

/** A request started now, whose end can be looked at without waiting for it. */
function started<T>(request: PromiseLike<T>) {
  const state = { done: false, at: 0, result: undefined as Promise<T> | undefined };
  state.result = Promise.resolve(request).then((value) => {
    state.done = true;
    state.at = performance.now();
    return value;
  });
  return state as { done: boolean; at: number; result: Promise<T> };
}

/** Waits until `count` sessions of the test's database wait on a lock (PostgreSQL's own view). */
async function lockWaiters(count: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const rows = (await t.db.raw(
      "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    )) as { rows: Array<{ n: string }> };
    if (Number(rows.rows[0].n) >= count) return;
    if (Date.now() > until) throw new Error(`expected ${count} sessions waiting on a lock, found ${rows.rows[0].n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A third transaction holding one row's lock, as another request in the middle of its write would. */
async function holding(table: string, where: Record<string, unknown>): Promise<Knex.Transaction> {
  const trx = await t.db.transaction();
  expect(await trx(table).where(where).forUpdate().first('id')).toBeDefined();
  return trx;
}

const submissionOf = (roundId: number, code: string) => ({ round_id: roundId, code });

describe('writes on the items of one round', () => {
  it('two writers on one item at once: one 200, one 409, and the stored review is the 200’s', async () => {
    const { roundId } = await round(2);
    const [a, b] = await Promise.all([save(roundId, 'P001', 0, '第一位'), save(roundId, 'P001', 0, '第二位')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? '第一位' : '第二位';
    const stored = (await api('lead1').get(`/api/rounds/${roundId}/items/P001`)).body.review;
    expect(stored).toMatchObject({ version: 1, comment: winner });
    expect((a.status === 409 ? a : b).body.error.details.current).toMatchObject({ version: 1, comment: winner });
  });

  it('sixteen writers on sixteen items at once all save, none waiting on another’s lock', async () => {
    const { roundId, codes } = await round(16);
    const waits: number[] = [];
    let saving = true;
    // PostgreSQL's own view of who waits on a lock, and for how long its statement has run.
    const watch = async () => {
      while (saving) {
        const { rows } = (await t.db.raw(
          `select extract(epoch from now() - query_start) * 1000 as ms from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`,
        )) as { rows: Array<{ ms: string }> };
        waits.push(...rows.map((r) => Number(r.ms)));
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const watcher = TEST_ENGINE === 'postgres' ? watch() : Promise.resolve();
    const saved = await Promise.all(codes.map((code) => save(roundId, code, 0, `${code}的意见`)));
    saving = false;
    await watcher;
    expect(saved.map((r) => r.status)).toEqual(codes.map(() => 200));
    expect(waits.filter((ms) => ms > 50)).toEqual([]);
  });

  postgresOnly(
    'saves of other items proceed while one item is locked; its own save waits, then sees the version',
    async () => {
      const { roundId } = await round(3);
      const trx = await holding('submissions', submissionOf(roundId, 'P003'));
      try {
        const third = started(save(roundId, 'P003', 0, '等锁的保存'));
        await lockWaiters(1);
        // Two other items, one after the other and both at once, while P003 is held.
        expect((await save(roundId, 'P001', 0, '一')).status).toBe(200);
        const [p2, p1] = await Promise.all([save(roundId, 'P002', 0, '二'), save(roundId, 'P001', 1, '一改')]);
        expect([p2.status, p1.status]).toEqual([200, 200]);
        expect(third.done).toBe(false);
        await trx.commit();
        expect((await third.result).status).toBe(200);
      } finally {
        if (!trx.isCompleted()) await trx.rollback();
      }
    },
  );

  postgresOnly('a finding and an evidence upload wait for the item’s lock like a save', async () => {
    const { roundId } = await round(2);
    const url = `/api/rounds/${roundId}/items/P001`;
    const trx = await holding('submissions', submissionOf(roundId, 'P001'));
    try {
      const finding = started(
        api('lead1').post(`${url}/findings`).send({ category: 'P01', description: '预算执行率偏低的说明' }),
      );
      await lockWaiters(1);
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
      const evidence = started(api('lead1').post(`${url}/evidence`).attach('file', pdf, '验收报告.pdf'));
      await lockWaiters(2);
      expect((await save(roundId, 'P002', 0, '其他项目照常')).status).toBe(200);
      expect(finding.done || evidence.done).toBe(false);
      await trx.commit();
      expect((await finding.result).status).toBe(201);
      expect((await evidence.result).status).toBe(201);
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
  });
});

describe('a step on the whole round and the item writes in flight', () => {
  it('a round step waits for the saves in flight, not for every save asked after it', async () => {
    const { roundId, codes } = await round(16);
    const { version } = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
    let saving = true;
    let asked = false;
    let answered = false;
    let savesWhileWaiting = 0;
    const saver = async (code: string) => {
      for (let n = 0; saving; n += 1) {
        expect((await save(roundId, code, n, `第${n}次`)).status).toBe(200);
        if (asked && !answered) savesWhileWaiting += 1;
      }
    };
    const savers = codes.map(saver);
    await new Promise((r) => setTimeout(r, 300));
    // The review settings take the round alone (and, with reviews saved, are then refused).
    asked = true;
    const settings = await api('lead1')
      .put(`/api/rounds/${roundId}/review-settings`)
      .send({ qualityWeights: { timeliness: 20, normative: 40, report: 40 }, blindReview: true, version });
    answered = true;
    await new Promise((r) => setTimeout(r, 300));
    saving = false;
    await Promise.all(savers);
    expect(settings.status).toBe(409);
    // Fair: it waited for the saves in flight when it asked (at most one per reviewer, and the
    // ones that had asked just before it), not for a stream of saves that kept coming.
    expect(savesWhileWaiting).toBeLessThanOrEqual(2 * codes.length);
  });

  postgresOnly('a publication waits for a review being returned, then sees the whole return and refuses', async () => {
    const { roundId } = await round(3, { confirmed: true });
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`)).status).toBe(201);
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const trx = await holding('submissions', submissionOf(roundId, 'P001'));
    try {
      const returned = started(
        api('lead1').post(`/api/rounds/${roundId}/items/P001/review/return`).send({ reason: '评分依据不足，请补充' }),
      );
      await lockWaiters(1);
      const published = started(api('off1').post(`/api/rounds/${roundId}/announcement/publish`));
      await lockWaiters(2);
      expect(returned.done || published.done).toBe(false);
      await trx.commit();
      expect((await returned.result).status).toBe(200);
      const publish = await published.result;
      // The publication saw the return whole: P001 has no confirmed review now.
      expect(publish.status).toBe(409);
      expect(returned.at).toBeLessThanOrEqual(published.at);
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
  });

  postgresOnly(
    'item writes wait for a publication in flight, and what is published is what stood before them',
    async () => {
      const { roundId } = await round(3, { confirmed: true });
      expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`)).status).toBe(201);
      expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
      // The publication takes the round, then waits here on the announcement's row.
      const trx = await holding('announcements', { round_id: roundId });
      try {
        const published = started(api('off1').post(`/api/rounds/${roundId}/announcement/publish`));
        await lockWaiters(1);
        const returned = started(
          api('lead1').post(`/api/rounds/${roundId}/items/P001/review/return`).send({ reason: '评分依据不足，请补充' }),
        );
        await lockWaiters(2);
        expect(returned.done || published.done).toBe(false);
        await trx.commit();
        expect((await published.result).status).toBe(200);
        expect((await returned.result).status).toBe(200);
        expect(published.at).toBeLessThanOrEqual(returned.at);
        const announcement = (await api('lead1').get(`/api/rounds/${roundId}/announcement`)).body;
        expect(announcement.status).toBe('published');
      } finally {
        if (!trx.isCompleted()) await trx.rollback();
      }
    },
  );

  postgresOnly('a draw’s cancellation waits for a save in flight; saves after it find no sample', async () => {
    const { roundId, drawId } = await round(2);
    const trx = await holding('submissions', submissionOf(roundId, 'P001'));
    try {
      const saving = started(save(roundId, 'P001', 0, '作废前开始的保存'));
      await lockWaiters(1);
      const cancelled = started(
        api('lead1').post(`/api/draws/${drawId}/cancel`).send({ reason: '抽样参数有误，重新抽样' }),
      );
      await lockWaiters(2);
      expect(saving.done || cancelled.done).toBe(false);
      await trx.commit();
      expect((await saving.result).status).toBe(200);
      expect((await cancelled.result).status).toBe(200);
      expect(saving.at).toBeLessThanOrEqual(cancelled.at);
      expect((await save(roundId, 'P002', 0, '作废后的保存')).status).toBe(404);
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
  });
});
