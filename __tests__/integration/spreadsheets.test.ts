import { ChildProcess } from 'node:child_process';
import { startServerProcess, stopProcess } from '../../scripts/serverProcess';
import { syntheticPopulationCsv, workbookWithStrings } from '../../scripts/synthetic';
import { SETUP_CONTEXT, startTestApp, TestApp } from '../helpers/testApp';

/**
 * Uploaded spreadsheets are read on the reader's thread, within limits on inflated size and
 * memory, while the real server (in its own process) goes on answering; a population is read
 * and checked before any lock is taken.
 */

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
});
afterAll(() => t.close());

async function withServer(env: Record<string, string>, run: (base: string) => Promise<void>): Promise<void> {
  const server: { child: ChildProcess; base: string } = await startServerProcess({
    NODE_ENV: 'test',
    FUHE_DATA_DIR: t.dataDir,
    DATABASE_URL: t.config.databaseUrl ?? '',
    FUHE_SESSION_SECRET: t.config.sessionSecret,
    ...env,
  });
  try {
    await run(server.base);
    expect(server.child.exitCode).toBeNull();
  } finally {
    await stopProcess(server.child);
  }
}

const auth = () => ({ Authorization: `Bearer ${token}` });

async function upload(
  base: string,
  path: string,
  data: Buffer,
  name: string,
): Promise<{ status: number; body: { error?: { message: string; details?: Array<{ message: string }> } } }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(data)]), name);
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: auth(), body: form });
  return { status: res.status, body: await res.json() };
}

async function newRound(base: string): Promise<number> {
  const res = await fetch(`${base}/api/rounds`, {
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: '表格读取测试', fiscalYear: 2023 }),
  });
  return ((await res.json()) as { id: number }).id;
}

/** /healthz asked again and again until `until` settles: how many answers came meanwhile. */
async function healthWhile(base: string, until: Promise<unknown>): Promise<number> {
  let settled = false;
  void until.finally(() => (settled = true));
  let answers = 0;
  while (!settled) {
    if ((await fetch(`${base}/healthz`)).ok && !settled) answers += 1;
  }
  return answers;
}

it('a workbook that inflates past the limit is refused on both upload routes, before it is opened', async () => {
  await withServer({ FUHE_UPLOAD_MAX_INFLATED_MB: '5' }, async (base) => {
    const roundId = await newRound(base);
    const workbook = workbookWithStrings(50_000);
    for (const path of [`/api/rounds/${roundId}/population`, `/api/rounds/${roundId}/reviews/import`]) {
      const res = await upload(base, path, workbook, 'big.xlsx');
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body.error)).toContain('解压后超过 5 MB 上限');
    }
  });
});

it('a workbook that needs more memory than the reader may use is refused; the next file is read by a new thread', async () => {
  await withServer({ FUHE_READER_HEAP_MB: '64' }, async (base) => {
    const roundId = await newRound(base);
    const pending = upload(base, `/api/rounds/${roundId}/population`, workbookWithStrings(200_000), 'wide.xlsx');
    expect(await healthWhile(base, pending)).toBeGreaterThan(3);
    const res = await pending;
    expect(res.status).toBe(422);
    expect(res.body.error!.details![0].message).toContain('内存超过上限（64 MB）');
    const next = await upload(base, `/api/rounds/${roundId}/population`, syntheticPopulationCsv(100), 'small.csv');
    expect(next.status).toBe(201);
  });
});

it('a large population is read before the import takes the write lock: another user writes meanwhile', async () => {
  await withServer({}, async (base) => {
    const roundId = await newRound(base);
    let importAnswered = 0;
    const pending = upload(base, `/api/rounds/${roundId}/population`, syntheticPopulationCsv(200_000), 'big.csv').then(
      (res) => {
        importAnswered = Date.now();
        return res;
      },
    );
    // Once the upload has been sent and is being read, a round is created by the same lead elsewhere.
    await new Promise((r) => setTimeout(r, 300));
    const other = await fetch(`${base}/api/rounds`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: '另一个批次', fiscalYear: 2024 }),
    });
    const otherAnswered = Date.now();
    expect(other.status).toBe(201);
    expect((await pending).status).toBe(201);
    expect(otherAnswered).toBeLessThan(importAnswered);
  });
}, 60_000);
