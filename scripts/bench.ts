/**
 * `npm run bench`: measured speed, printed as a table. The app runs in this process on a fresh
 * SQLite file in a temporary directory, on a free loopback port; every scenario is a bounded
 * number of requests at a fixed concurrency. The review readings (scripts/reviewBench.ts) and the
 * load run (scripts/load.ts) run the real server in a process of its own, with the clients in
 * this one. Nothing here asserts: the numbers go in the notes.
 */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createLogger } from '../server/logger';
import { createServices } from '../server/services';
import { drawSample } from '../server/domain/sampling';
import { loadOnPostgres, loadOnSqlite, printLoad } from './load';
import { benchReviews, printReviews } from './reviewBench';
import { benchUploads, printUploads } from './uploadBench';
import { syntheticPopulationCsv } from './synthetic';
import { percentile, printMarkdownTable } from './table';

const PASSWORD = 'benchmark password 2023';
const POPULATION_ROWS = Number(process.env.BENCH_POPULATION_ROWS ?? 100_000);

const AUDIT_ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 100_000);

interface Result {
  name: string;
  requests: number;
  concurrency: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

async function scenario(
  name: string,
  requests: number,
  concurrency: number,
  send: () => Promise<Response>,
  ok: (status: number) => boolean = (s) => s === 200,
): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      next += 1;
      const t0 = performance.now();
      try {
        const res = await send();
        await res.arrayBuffer();
        if (!ok(res.status)) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    name,
    requests,
    concurrency,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    errors,
  };
}

function printTable(results: Result[]): void {
  printMarkdownTable(
    ['scenario', 'requests', 'conc.', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
    results.map((r) => [
      r.name,
      String(r.requests),
      String(r.concurrency),
      (r.requests / r.seconds).toFixed(0),
      percentile(r.latencies, 50).toFixed(1),
      percentile(r.latencies, 95).toFixed(1),
      percentile(r.latencies, 99).toFixed(1),
      r.latencies[r.latencies.length - 1].toFixed(1),
      String(r.errors),
    ]),
  );
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'bench-'.padEnd(48, 'b'),
    FUHE_LOGIN_MAX_FAILURES_ADDRESS: '1000000',
  });
  const db = createDatabase(config);
  const services = createServices({ db, config, now: () => new Date() });
  const server = http.createServer(createApp(services, { logger: createLogger({ silent: true }) }));
  // As server/main.ts does at start-up: the thread that reads uploaded files is ready.
  services.files.start();
  // The long in-process computations below would otherwise let idle keep-alive sockets time out under the client.
  server.keepAliveTimeout = 120_000;
  try {
    await migrateToLatest(db);
    const setup = { actor: null, ip: 'bench', userAgent: 'bench', requestId: null };
    await services.users.create(setup, {
      username: 'admin',
      displayName: '管理员',
      role: 'admin',
      organisation: null,
      password: PASSWORD,
    });
    const { user: lead } = await services.users.create(setup, {
      username: 'lead',
      displayName: '组长',
      role: 'lead',
      organisation: null,
      password: PASSWORD,
    });
    const { token } = await services.tokens.create(setup, lead, 'bench');
    const asLead = { ...setup, actor: { id: lead.id, username: lead.username, role: lead.role } };
    for (let year = 2015; year <= 2024; year += 1) {
      await services.rounds.create(asLead, {
        title: `${year}年度绩效自评结果抽查复核`,
        fiscalYear: year,
        bureau: '某县财政局',
        workPlanRef: `某财字〔${year}〕30号`,
        deadline: `${year + 1}-03-31`,
      });
    }

    // A year of audit history: mostly logins and page denials, spread over 365 days.
    const seedStart = performance.now();
    const actions = ['login', 'logout', 'login.failed', 'access.denied', 'round.update', 'token.create'];
    const base = Date.now() - 365 * 86_400_000;
    await db.transaction(async (trx) => {
      const batch: Array<Record<string, unknown>> = [];
      for (let i = 0; i < AUDIT_ROWS; i += 1) {
        batch.push({
          at: new Date(base + Math.floor((i / AUDIT_ROWS) * 365 * 86_400_000)).toISOString(),
          actor_id: lead.id,
          actor_username: i % 7 === 0 ? 'admin' : 'lead',
          actor_role: 'lead',
          action: actions[i % actions.length],
          object_type: 'user',
          object_id: String(lead.id),
          ip: '10.0.0.1',
          request_id: `bench-${i}`,
        });
        if (batch.length === 500) await trx('audit_log').insert(batch.splice(0));
      }
      if (batch.length) await trx('audit_log').insert(batch);
    });
    const seedSeconds = (performance.now() - seedStart) / 1000;

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const signIn = async (username: string): Promise<string> => {
      const page = await fetch(`${url}/login`);
      const pre = page.headers.getSetCookie()[0].split(';')[0];
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
      const res = await fetch(`${url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: pre },
        body: new URLSearchParams({ _csrf: csrf, username, password: PASSWORD }),
      });
      return res.headers
        .getSetCookie()
        .find((c) => c.startsWith('fuhe.sid='))!
        .split(';')[0];
    };
    const leadCookie = await signIn('lead');
    const adminCookie = await signIn('admin');

    const loginPage = await fetch(`${url}/login`);
    const pre = loginPage.headers.getSetCookie()[0].split(';')[0];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1];

    const results: Result[] = [];
    results.push(await scenario('GET /healthz', 2000, 10, () => fetch(`${url}/healthz`)));
    results.push(
      await scenario('GET /api/rounds (bearer token)', 2000, 10, () =>
        fetch(`${url}/api/rounds`, { headers: { Authorization: `Bearer ${token}` } }),
      ),
    );
    results.push(
      await scenario('GET / dashboard (session)', 2000, 10, () =>
        fetch(`${url}/`, { headers: { Cookie: leadCookie } }),
      ),
    );
    results.push(
      await scenario(`GET /admin/audit newest of ${AUDIT_ROWS}`, 300, 4, () =>
        fetch(`${url}/admin/audit`, { headers: { Cookie: adminCookie } }),
      ),
    );
    results.push(
      await scenario(`GET /admin/audit filtered (action+actor+day)`, 300, 4, () =>
        fetch(`${url}/admin/audit?action=login.failed&actor=admin&from=2026-06-01&to=2026-06-30`, {
          headers: { Cookie: adminCookie },
        }),
      ),
    );
    results.push(
      await scenario(
        'GET /api/me, no token (401, then 429; audited once a minute)',
        1000,
        10,
        () => fetch(`${url}/api/me`),
        (s) => s === 401 || s === 429,
      ),
    );
    results.push(
      await scenario(
        'POST /login (scrypt N=2^15)',
        60,
        2,
        () =>
          fetch(`${url}/login`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: pre },
            body: new URLSearchParams({ _csrf: csrf, username: 'lead', password: PASSWORD }),
          }),
        (s) => s === 303,
      ),
    );

    // Population import through the HTTP API, timed end to end (upload, parse, check, store).
    const csv = syntheticPopulationCsv(POPULATION_ROWS);
    const boundary = `----fuhe-bench-${Date.now()}`;
    const upload = {
      type: `multipart/form-data; boundary=${boundary}`,
      body: new Uint8Array(
        Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="population.csv"\r\nContent-Type: text/csv\r\n\r\n`,
          ),
          csv,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      ),
    };
    const importRuns: number[] = [];
    let populationRound = 0;
    for (let run = 0; run < 3; run += 1) {
      const created = await fetch(`${url}/api/rounds`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: `导入测试 ${run + 1}`, fiscalYear: 2023, deadline: '2024-03-31' }),
      });
      populationRound = ((await created.json()) as { id: number }).id;
      // The multipart body is built before the clock starts: only the server's work is timed.
      const t0 = performance.now();
      const res = await fetch(`${url}/api/rounds/${populationRound}/population`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': upload.type },
        body: upload.body,
      });
      const body = (await res.json()) as { imported?: number };
      importRuns.push((performance.now() - t0) / 1000);
      if (res.status !== 201 || body.imported !== POPULATION_ROWS)
        throw new Error(`import failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }

    const pop = `${url}/rounds/${populationRound}/population`;
    const api = `${url}/api/rounds/${populationRound}/population`;
    const asLeadPage = { headers: { Cookie: leadCookie } };
    const asToken = { headers: { Authorization: `Bearer ${token}` } };
    const dept = encodeURIComponent('县第17局');
    const populationResults: Result[] = [];
    populationResults.push(
      await scenario(`GET population page, ${POPULATION_ROWS} records`, 300, 1, () => fetch(pop, asLeadPage)),
    );
    populationResults.push(
      await scenario(`GET population page, ${POPULATION_ROWS} records`, 300, 4, () => fetch(pop, asLeadPage)),
    );
    populationResults.push(
      await scenario('GET population page, page 1000', 300, 4, () => fetch(`${pop}?page=1000`, asLeadPage)),
    );
    populationResults.push(
      await scenario('GET population page, by department', 300, 4, () =>
        fetch(`${pop}?department=${dept}`, asLeadPage),
      ),
    );
    populationResults.push(
      await scenario('GET population page, kind + warning', 300, 4, () =>
        fetch(`${pop}?kind=project&warning=late`, asLeadPage),
      ),
    );
    populationResults.push(
      await scenario('GET population page, sorted by budget', 300, 4, () =>
        fetch(`${pop}?sort=budget&dir=desc`, asLeadPage),
      ),
    );
    populationResults.push(
      await scenario('GET population page, grade 中', 300, 4, () =>
        fetch(`${pop}?grade=${encodeURIComponent('中')}`, asLeadPage),
      ),
    );
    populationResults.push(
      await scenario('GET population page, search "99号民生"', 100, 4, () =>
        fetch(`${pop}?q=${encodeURIComponent('99号民生')}`, asLeadPage),
      ),
    );
    populationResults.push(await scenario('GET /api/.../population (token)', 300, 4, () => fetch(api, asToken)));
    populationResults.push(
      await scenario('GET record detail page', 300, 4, () => fetch(`${pop}/records/P050000`, asLeadPage)),
    );

    // The draw: through the API on the 100,000-record round, and the procedure alone on 100,000
    // and 1,000,000 records (canonical order, fingerprint, uniforms, priority, selection).
    const httpDraws: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const created = await fetch(`${url}/api/rounds`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: `抽样测试 ${run + 1}`, fiscalYear: 2023 }),
      });
      const roundId = ((await created.json()) as { id: number }).id;
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(csv)], { type: 'text/csv' }), 'population.csv');
      await fetch(`${url}/api/rounds/${roundId}/population`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form,
      });
      const t0 = performance.now();
      const res = await fetch(`${url}/api/rounds/${roundId}/draws`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          seed: `bench-${run}`,
          method: run === 1 ? 'pps' : 'srs',
          quota: { project: 35, department: 15 },
          mandatory: { minBudgetWan: '40000' },
        }),
      });
      await res.arrayBuffer();
      httpDraws.push((performance.now() - t0) / 1000);
      if (res.status !== 201) throw new Error(`draw failed: ${res.status}`);
    }
    const domainDraws: Array<{ size: number; method: string; seconds: number }> = [];
    for (const size of [100_000, 1_000_000]) {
      // Codes in a scrambled order (as a file might list them: the procedure sorts them) and in code
      // order, as the application reads them from the database.
      const record = (n: number) => ({
        code: `P${String(n).padStart(7, '0')}`,
        kind: (n % 50 === 0 ? 'department' : 'project') as 'project' | 'department',
        budgetFen: BigInt(1 + ((n * 104729) % 500_000_000)),
        selfScore: 9000,
      });
      const scrambled = Array.from({ length: size }, (_, i) => record((i * 7919) % size));
      const ordered = Array.from({ length: size }, (_, i) => record(i));
      for (const [order, records] of [
        ['file order', scrambled],
        ['code order', ordered],
      ] as const) {
        for (const method of ['srs', 'pps'] as const) {
          const t0 = performance.now();
          drawSample(records, { seed: `bench-${size}`, method, quota: { project: 35, department: 15 } });
          domainDraws.push({ size, method: `${method}, ${order}`, seconds: (performance.now() - t0) / 1000 });
        }
      }
    }

    // Review work: 50 reviewers against the real server in its own process (scripts/reviewBench.ts),
    // then the same readings with the server as two worker processes (FUHE_WORKERS=2).
    const reviews = await benchReviews(1);
    const reviewsOnTwoWorkers = await benchReviews(2);

    console.log(
      `fuhe bench — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores, SQLite (WAL, better-sqlite3); the app in this process except for the review and load readings`,
    );
    console.log(`audit_log seeded with ${AUDIT_ROWS} rows in ${seedSeconds.toFixed(1)} s`);
    console.log('');
    printTable(results);
    console.log('');
    const sortedRuns = [...importRuns].sort((a, b) => a - b);
    console.log(
      `import ${POPULATION_ROWS} records (UTF-8 CSV, ${(csv.length / 1024 / 1024).toFixed(1)} MB) via POST /api/rounds/:id/population: ` +
        `${importRuns.map((s) => s.toFixed(2)).join(' s, ')} s (median ${sortedRuns[1].toFixed(2)} s; target ≤ 2 s)`,
    );
    console.log('');
    printTable(populationResults);
    console.log('');
    console.log(
      `draw 35 + 15 from ${POPULATION_ROWS} records via POST /api/rounds/:id/draws (load, fingerprint, draw, store): ${httpDraws.map((s) => s.toFixed(2)).join(' s, ')} s (target ≤ 0.3 s)`,
    );
    console.log('');
    printReviews(reviews);
    console.log('');
    printReviews(reviewsOnTwoWorkers);
    for (const d of domainDraws)
      console.log(
        `FUHE-DRAW-1 alone, ${d.size} records, ${d.method}: ${d.seconds.toFixed(2)} s (target ≤ ${d.size > 100_000 ? '1.5' : '0.3'} s)`,
      );
    // Malformed uploads and an oversized workbook against the real server, /healthz asked throughout.
    console.log('');
    printUploads(await benchUploads());
    // The load run against real server processes: one instance on SQLite, two on PostgreSQL.
    const loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
    const pg = process.env.FUHE_BENCH_PG_URL ?? process.env.FUHE_TEST_PG_URL;
    const loads = [await loadOnSqlite(loadSeconds)];
    if (pg) loads.push(await loadOnPostgres(pg, loadSeconds));
    console.log('');
    printLoad(loads);
    if (!pg)
      console.log(
        'PostgreSQL load run skipped: set FUHE_BENCH_PG_URL (or FUHE_TEST_PG_URL) to a role that may create databases.',
      );
  } finally {
    server.close();
    await db.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module)
  main().catch((err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
