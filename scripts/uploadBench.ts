/**
 * Uploads under attack, against the real server in a process of its own: a burst of malformed
 * multipart bodies to every upload route, and a workbook that inflates far past the limit, with
 * `/healthz` asked throughout. Prints a table of each with `/healthz` p99 beside its target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createServices } from '../server/services';
import { startServerProcess, stopProcess } from './serverProcess';
import { oversizedWorkbook } from './synthetic';
import { percentile, printMarkdownTable } from './table';

const HEALTH_TARGET_MS = 200;
const CUT_OFF = '--X\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n';

interface Reading {
  name: string;
  answers: string;
  seconds: number;
  healthP50: number;
  healthP99: number;
  healthMax: number;
  healthChecks: number;
  serverAlive: boolean;
}

/**
 * Asks /healthz every 10 ms until `work` settles; the latencies, sorted. The asking runs on a
 * thread of its own, so that the uploading client's own work (40 MB to send) never delays it.
 */
async function healthDuring(base: string, work: Promise<unknown>): Promise<number[]> {
  const poller = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const latencies = [];
     let stop = false;
     parentPort.on('message', () => (stop = true));
     (async () => {
       while (!stop) {
         const t0 = performance.now();
         try { await (await fetch(workerData.base + '/healthz')).arrayBuffer(); latencies.push(performance.now() - t0); }
         catch { latencies.push(Infinity); }
         await new Promise((r) => setTimeout(r, 10));
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: { base } },
  );
  const latencies = new Promise<number[]>((resolve) => poller.once('message', resolve));
  await work.catch(() => undefined);
  poller.postMessage('stop');
  const sorted = (await latencies).sort((a, b) => a - b);
  await poller.terminate();
  return sorted;
}

async function measure(
  name: string,
  base: string,
  isAlive: () => boolean,
  work: () => Promise<string>,
): Promise<Reading> {
  const started = performance.now();
  const pending = work();
  const health = await healthDuring(base, pending);
  return {
    name,
    answers: await pending,
    seconds: (performance.now() - started) / 1000,
    healthP50: percentile(health, 50),
    healthP99: percentile(health, 99),
    healthMax: health[health.length - 1] ?? NaN,
    healthChecks: health.length,
    serverAlive: isAlive(),
  };
}

export async function benchUploads(): Promise<Reading[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-bench-uploads-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'bench-'.padEnd(48, 'u'),
  });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const services = createServices({ db, config, now: () => new Date() });
  const setup = { actor: null, ip: 'bench', userAgent: 'bench', requestId: null };
  const { user: lead } = await services.users.create(setup, {
    username: 'lead',
    displayName: '组长',
    role: 'lead',
    organisation: null,
    password: 'benchmark password 2023',
  });
  const { token } = await services.tokens.create(setup, lead, 'bench');
  const round = await services.rounds.create(
    { ...setup, actor: { id: lead.id, username: lead.username, role: lead.role } },
    { title: '上传压力测试', fiscalYear: 2023, bureau: null, workPlanRef: null, deadline: null },
  );
  await services.refusals.close();
  await db.destroy();

  const server = await startServerProcess({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: config.sessionSecret,
  });
  const alive = () => server.child.exitCode === null;
  const auth = { Authorization: `Bearer ${token}` };
  const routes = [
    `/api/rounds/${round.id}/population`,
    `/rounds/${round.id}/population`,
    `/api/rounds/${round.id}/items/X/evidence`,
    `/rounds/${round.id}/items/X/evidence`,
    `/api/rounds/${round.id}/reviews/import`,
    `/rounds/${round.id}/results`,
  ];
  const tally = (statuses: number[]) =>
    Object.entries(statuses.reduce<Record<string, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {}))
      .map(([s, n]) => `${n} × ${s}`)
      .join(', ');
  try {
    const burst = async (count: number) => {
      const statuses: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < count) {
            const path = routes[next++ % routes.length];
            try {
              const res = await fetch(`${server.base}${path}`, {
                method: 'POST',
                headers: { ...auth, 'Content-Type': 'multipart/form-data; boundary=X', Accept: 'application/json' },
                body: CUT_OFF,
              });
              await res.arrayBuffer();
              statuses.push(res.status);
            } catch {
              statuses.push(0);
            }
          }
        }),
      );
      return tally(statuses);
    };
    // A server in use is warm: a first, unmeasured burst.
    await burst(120);
    const readings: Reading[] = [];
    readings.push(
      await measure('600 cut-off multipart bodies, 20 at once, to the 6 upload routes', server.base, alive, () =>
        burst(600),
      ),
    );
    const workbook = oversizedWorkbook(390 * 1024 * 1024);
    readings.push(
      await measure(
        `a ${(workbook.length / 1048576).toFixed(0)} MB .xlsx inflating to 390 MB, to the offline results upload`,
        server.base,
        alive,
        async () => {
          const form = new FormData();
          form.append('file', new Blob([new Uint8Array(workbook)]), 'results.xlsx');
          const res = await fetch(`${server.base}/api/rounds/${round.id}/reviews/import`, {
            method: 'POST',
            headers: auth,
            body: form,
          });
          const body = (await res.json()) as { error?: { message?: string } };
          return `${res.status}: ${body.error?.message ?? ''}`;
        },
      ),
    );
    return readings;
  } finally {
    await stopProcess(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printUploads(readings: Reading[]): void {
  printMarkdownTable(
    [
      'uploads under attack (real server process)',
      'answers',
      's',
      '/healthz checks',
      '/healthz p50 ms',
      '/healthz p99 ms',
      `target p99 ms`,
      '/healthz max ms',
      'server alive',
    ],
    readings.map((r) => [
      r.name,
      r.answers,
      r.seconds.toFixed(1),
      String(r.healthChecks),
      r.healthP50.toFixed(1),
      r.healthP99.toFixed(1),
      `< ${HEALTH_TARGET_MS}`,
      r.healthMax.toFixed(1),
      r.serverAlive ? 'yes' : 'NO',
    ]),
  );
}

if (require.main === module) {
  benchUploads().then(printUploads, (err) => {
    console.error(err);
    process.exit(1);
  });
}
