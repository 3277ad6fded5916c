/**
 * `npm run bench`: the measured speed, as tables. Every figure stands beside what it is compared
 * with: a floor measured in the same run on the same machine (a raw insert of the same rows, the
 * server's own /healthz), or a fixed target. The application runs as the real server in a process
 * of its own (`server/main.ts`) on a fresh SQLite file; the clients are this process. Nothing here
 * asserts: the numbers go in the notes and the README.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest, writeTransaction } from '../server/data/database';
import { drawSample, PopulationRecord } from '../server/domain/sampling';
import { readPopulation } from '../server/population/reading';
import { insertSubmissions } from '../server/population/repository';
import { createServices } from '../server/services';
import type { Value } from '../server/data/bulk';
import { loadRuns, printLoad } from './load';
import { countStatements } from './statements';
import { benchReviews, printReviews } from './reviewBench';
import { startServerProcess, stopProcess } from './serverProcess';
import { syntheticPopulationCsv } from './synthetic';
import { percentile, printMarkdownTable } from './table';
import { benchUploads, printUploads } from './uploadBench';

const POPULATION_ROWS = Number(process.env.BENCH_POPULATION_ROWS ?? 100_000);
const SETUP = { actor: null, ip: 'bench', userAgent: 'bench', requestId: null };

type Row = [string, string, string, string, string];
const ms = (value: number) => value.toFixed(1);
const s = (value: number) => value.toFixed(2);
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Times `n` sequential GETs; the latencies, sorted. */
async function latencies(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** The resident memory of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.replace(/\D+/g, '')) / 1024 : NaN;
}

async function multipart(csv: Buffer): Promise<{ type: string; body: Blob }> {
  const boundary = `----fuhe-bench-${Date.now()}`;
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    body: new Blob([
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="population.csv"\r\nContent-Type: text/csv\r\n\r\n`,
        ),
        csv,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    ]),
  };
}

/**
 * The floor of an import: the same rows, as the import thread makes them, inserted through the
 * same driver and helper in one transaction, on a database of their own.
 */
async function rawInsertSeconds(csv: Buffer, runs: number): Promise<number[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-bench-floor-'));
  const config = loadConfig({ FUHE_DATA_DIR: dataDir, FUHE_SESSION_SECRET: 'floor-'.padEnd(48, 'f') });
  const db = createDatabase(config);
  try {
    await migrateToLatest(db);
    const services = createServices({ db, config, now: () => new Date() });
    const { user } = await services.users.create(SETUP, {
      username: 'lead',
      displayName: '组长',
      role: 'lead',
      organisation: null,
      password: 'benchmark password 2023',
    });
    const lead = { ...SETUP, actor: { id: user.id, username: user.username, role: user.role } };
    const seconds: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const round = await services.rounds.create(lead, {
        title: `下限 ${run}`,
        fiscalYear: 2023,
        bureau: null,
        workPlanRef: null,
        deadline: '2024-03-31',
      });
      const rows: Value[][] = [];
      await readPopulation(
        { roundId: round.id, deadline: '2024-03-31', file: { name: 'p.csv', data: csv }, batchSize: 2000 },
        (batch) => rows.push(...batch),
      );
      const t0 = performance.now();
      await writeTransaction(db, (trx) => insertSubmissions(trx, rows));
      seconds.push((performance.now() - t0) / 1000);
    }
    await services.refusals.close();
    return seconds;
  } finally {
    await db.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchPopulation(): Promise<Row[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'bench-'.padEnd(48, 'b'),
  });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const services = createServices({ db, config, now: () => new Date() });
  const { user } = await services.users.create(SETUP, {
    username: 'lead',
    displayName: '组长',
    role: 'lead',
    organisation: null,
    password: 'benchmark password 2023',
  });
  const { token } = await services.tokens.create(SETUP, user, 'bench');
  await services.refusals.close();
  await db.destroy();

  const csv = syntheticPopulationCsv(POPULATION_ROWS);
  const server = await startServerProcess({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: config.sessionSecret,
  });
  const auth = { Authorization: `Bearer ${token}` };
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${server.base}${p}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const rows: Row[] = [];
  try {
    // The import, end to end through the API, three times; the server's memory polled meanwhile.
    const upload = await multipart(csv);
    const importSeconds: number[] = [];
    const idleMb = rssMb(server.child.pid!);
    const peaksMb: number[] = [];
    let roundId = 0;
    for (let run = 0; run < 3; run += 1) {
      const created = await api('/api/rounds', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: `导入 ${run + 1}`, fiscalYear: 2023, deadline: '2024-03-31' }),
      });
      roundId = ((await created.json()) as { id: number }).id;
      let peakMb = rssMb(server.child.pid!);
      const poll = setInterval(() => (peakMb = Math.max(peakMb, rssMb(server.child.pid!))), 20);
      const t0 = performance.now();
      const res = await api(`/api/rounds/${roundId}/population`, {
        method: 'POST',
        headers: { 'Content-Type': upload.type },
        body: upload.body,
      });
      const body = (await res.json()) as { imported?: number };
      importSeconds.push((performance.now() - t0) / 1000);
      clearInterval(poll);
      peaksMb.push(peakMb);
      if (res.status !== 201 || body.imported !== POPULATION_ROWS)
        throw new Error(`import failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
    const floor = await rawInsertSeconds(csv, 3);
    rows.push([
      `import ${POPULATION_ROWS.toLocaleString('en-US')} records (CSV, ${(csv.length / 1048576).toFixed(1)} MB) through the API, median of 3`,
      `${s(median(importSeconds))} s`,
      `raw multi-row insert of the same rows: ${s(median(floor))} s`,
      '≤ 3 × floor',
      `${(median(importSeconds) / median(floor)).toFixed(1)} ×`,
    ]);
    rows.push([
      `the server's peak memory during the first import`,
      `${peaksMb[0].toFixed(0)} MB`,
      `the server idle before it: ${idleMb.toFixed(0)} MB`,
      '≤ 400 MB',
      '',
    ]);
    rows.push([
      `the server's peak memory during three imports in a row`,
      `${Math.max(...peaksMb).toFixed(0)} MB`,
      '',
      '≤ 400 MB',
      '',
    ]);

    // The population list at that size, against the server's own /healthz in the same run.
    const health = await latencies(`${server.base}/healthz`, {}, 200);
    const floorText = `/healthz median ${ms(median(health))} ms`;
    for (const [name, query] of [
      ['population page (HTML), page 1', `/rounds/${roundId}/population`],
      ['population API, page 250 of 2,000', `/api/rounds/${roundId}/population?page=250`],
      [
        'population search (code, name, unit) + count',
        `/api/rounds/${roundId}/population?q=${encodeURIComponent('7777号')}`,
      ],
      [
        'department filter, sorted by budget, descending',
        `/api/rounds/${roundId}/population?department=${encodeURIComponent('县第12局')}&sort=budget&dir=desc`,
      ],
    ] as const) {
      const times = await latencies(`${server.base}${query}`, auth, 100);
      rows.push([
        `${name}, ${POPULATION_ROWS.toLocaleString('en-US')} records: median (p95)`,
        `${ms(median(times))} ms (${ms(percentile(times, 95))})`,
        floorText,
        '≤ 50 ms',
        '',
      ]);
    }

    // The draw through the API: load the records, fingerprint, draw, store (cancelled between runs).
    const drawSeconds: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const t0 = performance.now();
      const res = await api(`/api/rounds/${roundId}/draws`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ seed: `bench-${run}`, method: 'pps', quota: { project: 35, department: 15 } }),
      });
      const drawn = (await res.json()) as { id: number };
      drawSeconds.push((performance.now() - t0) / 1000);
      if (res.status !== 201) throw new Error(`draw failed: ${res.status}`);
      await api(`/api/draws/${drawn.id}/cancel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ reason: '测速后作废' }),
      });
    }
    rows.push([
      `draw 35 + 15 from ${POPULATION_ROWS.toLocaleString('en-US')} records through the API, median of 3`,
      `${s(median(drawSeconds))} s`,
      '',
      '≤ 0.5 s',
      '',
    ]);
  } finally {
    await stopProcess(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // FUHE-DRAW-1 alone over a million records in file order (so its sort is included).
  const million: PopulationRecord[] = Array.from({ length: 1_000_000 }, (_, i) => ({
    code: `C${String((i * 7919) % 1_000_000).padStart(7, '0')}`,
    kind: i % 20 === 0 ? 'department' : 'project',
    budgetFen: BigInt(1_000_000 + ((i * 104729) % 5_000_000_000)),
    selfScore: 6000 + (i % 4000),
  }));
  const t0 = performance.now();
  drawSample(million, {
    seed: 'bench',
    method: 'pps',
    quota: { project: 35, department: 15 },
    mandatoryMinBudgetFen: null,
    mandatoryCodes: [],
    excludeCodes: [],
  });
  rows.push([
    'FUHE-DRAW-1 alone, 1,000,000 records in file order',
    `${s((performance.now() - t0) / 1000)} s`,
    '',
    '≤ 2 s',
    '',
  ]);
  return rows;
}

async function main(): Promise<void> {
  console.log(
    `fuhe bench — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, SQLite (knex sqlite3, WAL); the server in a process of its own`,
  );
  console.log('');
  printMarkdownTable(
    ['population and draw', 'measured', 'floor, same run', 'target', 'ratio'],
    await benchPopulation(),
  );
  console.log('');
  printReviews(await benchReviews());
  console.log('');
  printUploads(await benchUploads());
  const loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
  const pg = process.env.FUHE_BENCH_PG_URL ?? process.env.FUHE_TEST_PG_URL;
  console.log('');
  printMarkdownTable(
    ['statements per request (every statement sent, BEGIN and COMMIT included)', 'open a review', 'save a review'],
    (await countStatements(pg)).map((c) => [c.engine, c.open.toFixed(1), c.save.toFixed(1)]),
  );
  const loads = await loadRuns(loadSeconds, pg);
  console.log('');
  printLoad(loads);
  if (!pg)
    console.log(
      'PostgreSQL load run skipped: set FUHE_BENCH_PG_URL (or FUHE_TEST_PG_URL) to a role that may create databases.',
    );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
