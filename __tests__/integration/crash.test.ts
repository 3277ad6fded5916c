import { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { startServerProcess, stopProcess } from '../../scripts/serverProcess';
import { syntheticPopulationCsv } from '../../scripts/synthetic';
import { SETUP_CONTEXT, startTestApp, TestApp, TEST_ENGINE } from '../helpers/testApp';

/**
 * Crash safety: the real server (`server/main.ts`) is killed with SIGKILL in the middle of a
 * 100,000-row import and in the middle of review saves, then started again; each write is there
 * whole or not at all, and the SQLite file passes integrity_check. Runs on either engine.
 */

let t: TestApp;
let token: string;
let reviewerToken: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('rev1', 'reviewer');
  token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
  reviewerToken = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'rev1', 't')).token;
});
afterAll(() => t.close());

/** The real server as an operator runs it, on the test's database. */
function startServer() {
  return startServerProcess({
    NODE_ENV: 'test',
    FUHE_DATA_DIR: t.dataDir,
    DATABASE_URL: t.config.databaseUrl ?? '',
    FUHE_SESSION_SECRET: t.config.sessionSecret,
  });
}

const kill = (child: ChildProcess) => stopProcess(child, 'SIGKILL');

async function integrityOk(): Promise<void> {
  if (TEST_ENGINE !== 'sqlite') return;
  const [{ integrity_check: result }] = await t.db.raw('PRAGMA integrity_check');
  expect(result).toBe('ok');
}

/** Sends a multipart upload; `answered` is its status, or 0 when the connection died first. */
function upload(base: string, url: string, file: Buffer, name: string): { answered: Promise<number> } {
  const boundary = `----fuhe${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, file, tail]);
  const answered = new Promise<number>((resolve) => {
    const req = http.request(
      `${base}${url}`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': body.length,
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
  return { answered };
}

async function countOf(table: string, roundId: number): Promise<number> {
  return Number((await t.db(table).where('round_id', roundId).count('* as n'))[0].n);
}

it('SIGKILL in the middle of a 100,000-row import leaves all of it or none of it; the same file then imports whole', async () => {
  const auth = { Authorization: `Bearer ${token}` };
  const csv = syntheticPopulationCsv(100_000);
  const newRound = async (title: string) =>
    (await t.agent().post('/api/rounds').set(auth).send({ title, fiscalYear: 2023 })).body.id as number;
  let server = await startServer();
  // How long a whole import takes here, from the first byte sent to the answer.
  const first = await newRound('断电测试：完整导入');
  let started = Date.now();
  expect(await upload(server.base, `/api/rounds/${first}/population`, csv, 'big.csv').answered).toBe(201);
  let delay = (Date.now() - started) * 0.4;
  expect(await countOf('submissions', first)).toBe(100_000);

  // Kill partway through the same work on another round; if the import beat the kill, try earlier.
  let killedMidway = false;
  for (let attempt = 0; attempt < 4 && !killedMidway; attempt += 1) {
    const round = await newRound(`断电测试：第${attempt + 1}次中断`);
    started = Date.now();
    const { answered } = upload(server.base, `/api/rounds/${round}/population`, csv, 'big.csv');
    await new Promise((r) => setTimeout(r, delay));
    await kill(server.child);
    const status = await answered;
    killedMidway = status === 0;
    const records = await countOf('submissions', round);
    const imports = await countOf('population_imports', round);
    // All or nothing, never a part.
    expect([records, imports]).toEqual(records === 0 ? [0, 0] : [100_000, 1]);
    await integrityOk();
    server = await startServer();
    if (killedMidway) {
      expect(records).toBe(0);
      const again = upload(server.base, `/api/rounds/${round}/population`, csv, 'big.csv');
      expect(await again.answered).toBe(201);
      expect(await countOf('submissions', round)).toBe(100_000);
    }
    delay /= 2;
  }
  await kill(server.child);
  expect(killedMidway).toBe(true);
  await integrityOk();
}, 300_000);

it('SIGKILL during review saves: every review is at a version whose history is complete, never half written', async () => {
  const auth = { Authorization: `Bearer ${token}` };
  const round = await t.agent().post('/api/rounds').set(auth).send({ title: '保存中断测试', fiscalYear: 2023 });
  const roundId = round.body.id as number;
  const csv = [
    '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分',
    ...Array.from({ length: 20 }, (_, i) => `项目支出,K${i},甲,甲,项目${i},${i + 1},95`),
  ].join('\n');
  await t.agent().post(`/api/rounds/${roundId}/population`).set(auth).attach('file', Buffer.from(csv), 'p.csv');
  await t
    .agent()
    .post(`/api/rounds/${roundId}/draws`)
    .set(auth)
    .send({ seed: 'crash', method: 'srs', quota: { project: 20, department: 0 } });
  const codes = Array.from({ length: 20 }, (_, i) => `K${i}`);
  await t
    .agent()
    .post(`/api/rounds/${roundId}/assignments`)
    .set(auth)
    .send(codes.map((code) => ({ code, username: 'rev1' })));

  const server = await startServer();
  let stop = false;
  let saved = 0;
  const writer = async (code: string) => {
    let version = 0;
    for (let n = 0; !stop; n += 1) {
      try {
        const res = await fetch(`${server.base}/api/rounds/${roundId}/items/${code}/review`, {
          method: 'PUT',
          headers: { Authorization: `Bearer ${reviewerToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ version, reviewScore: 60 + (n % 40), comment: `第${n}次保存：${'说明'.repeat(200)}` }),
        });
        if (res.status !== 200) return;
        version = (await res.json()).version;
        saved += 1;
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = codes.map(writer);
  while (saved < 200) await new Promise((r) => setTimeout(r, 5));
  await kill(server.child);
  stop = true;
  await Promise.all(writers);

  await integrityOk();
  const reviews = await t.db('reviews').where('round_id', roundId).select('id', 'version', 'review_score', 'comment');
  expect(reviews.length).toBeGreaterThan(0);
  for (const review of reviews) {
    const versions = await t
      .db('review_versions')
      .where('review_id', review.id)
      .orderBy('version')
      .select('version', 'snapshot');
    // One history row per version, 1…n, and the last one is exactly what the review holds.
    expect(versions.map((v) => Number(v.version))).toEqual(
      Array.from({ length: Number(review.version) }, (_, i) => i + 1),
    );
    const last = JSON.parse(versions[versions.length - 1].snapshot);
    expect(last.reviewScore).toBe(review.review_score === null ? null : Number(review.review_score));
    expect(last.comment).toBe(review.comment);
  }
  const restarted = await startServer();
  await kill(restarted.child);
}, 120_000);

it('SIGTERM lets an import in flight finish, answers it, and then exits cleanly', async () => {
  const auth = { Authorization: `Bearer ${token}` };
  const roundId = (await t.agent().post('/api/rounds').set(auth).send({ title: '平稳停止测试', fiscalYear: 2023 })).body
    .id as number;
  const server = await startServer();
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  const { answered } = upload(
    server.base,
    `/api/rounds/${roundId}/population`,
    syntheticPopulationCsv(100_000),
    'mid.csv',
  );
  await new Promise((r) => setTimeout(r, 300));
  server.child.kill('SIGTERM');
  expect(await answered).toBe(201);
  expect(await exited).toBe(0);
  expect(await countOf('submissions', roundId)).toBe(100_000);
}, 60_000);
