/**
 * The load run of `npm run bench`: simulated reviewers, each opening and saving the review of
 * their own sampled item for 30 s (BENCH_LOAD_SECONDS), against real server processes — one
 * instance on SQLite, and on one PostgreSQL database one instance and two (the reviewers spread
 * over them, as behind a load balancer). Two kinds of work: 50 reviewers back to back (the most
 * the server can do), and 500 reviewers pausing 0–10 s before each request, as people work. A
 * prober reads /healthz every 100 ms meanwhile as the baseline; on PostgreSQL a watcher reads
 * pg_stat_activity every 100 ms for sessions waiting on a lock. Errors are any non-200 answer or
 * failed request; a lost write is a review whose stored version or text is not the last one its
 * reviewer saved.
 */
import { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { Config, loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createServices } from '../server/services';
import { findUserById, insertUser } from '../server/users/repository';
import { startServerProcess, stopProcess } from './serverProcess';
import { cpuOf, postgresCpu, postgresCpuBetween } from './cpu';
import { percentile, printMarkdownTable } from './table';

/** The two kinds of work: how many reviewers, and the longest pause before each request. */
export const BACK_TO_BACK = { reviewers: 50, pauseMs: 0 };
export const PACED = { reviewers: 500, pauseMs: 10_000 };
export type Work = typeof BACK_TO_BACK;

export interface LoadResult {
  name: string;
  instances: number;
  work: Work;
  seconds: number;
  opens: number[];
  saves: number[];
  healthz: number[];
  errors: number;
  lostWrites: number;
  /** PostgreSQL: how long each session seen waiting on a lock had been in its statement (ms). */
  lockWaits?: number[];
  /** CPU used during the run, in ms: the server instances together, PostgreSQL's processes, the clients (this process). */
  cpu: { servers: number; postgres?: number; clients: number };
}

/** A server process for the load; BENCH_CPU_PROF=<dir> profiles it. */
export function startInstance(env: Record<string, string>) {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return startServerProcess({ ...env, NODE_ENV: 'production' }, profile);
}

/**
 * The indicators of every load-test item: budget execution (recomputed, never entered) and five
 * the reviewer re-scores, as a county's project self-evaluation has them.
 */
const INDICATORS = [
  ['预算执行', '预算执行率', '预算执行率', '=', '100%', '%', 10, '96%', 9.6],
  ['产出指标', '数量指标', '完成服务人次', '≥', '≥1000人次', '人次', 20, '1032人次', 20],
  ['产出指标', '质量指标', '服务对象合格率', '≥', '≥95%', '%', 20, '96%', 19],
  ['产出指标', '时效指标', '按期完成率', '=', '100%', '%', 10, '100%', 10],
  ['效益指标', '社会效益指标', '群众生活条件改善', '定性', '明显改善', '', 20, '明显改善', 18],
  ['满意度指标', '服务对象满意度指标', '服务对象满意度', '≥', '≥90%', '%', 20, '93%', 19],
] as const;

export interface LoadReviewer {
  token: string;
  code: string;
  /** Ids and weights (hundredths) of the indicators a reviewer re-scores. */
  indicators: Array<{ id: number; weight: number }>;
}

/**
 * `count` reviewers, each with one sampled item assigned and a token; returns what the clients
 * need. The first reviewer is made through the users service; the others are given the same
 * password hash (hashing 500 passwords would take a minute, and the clients use tokens).
 */
export async function prepare(config: Config, count: number): Promise<{ roundId: number; reviewers: LoadReviewer[] }> {
  const db = createDatabase(config);
  try {
    await migrateToLatest(db);
    const services = createServices({ db, config, now: () => new Date() });
    const setup = { actor: null, ip: 'bench', userAgent: 'bench', requestId: null };
    const { user: lead } = await services.users.create(setup, {
      username: 'lead',
      displayName: '组长',
      role: 'lead',
      organisation: null,
      password: 'load test password 1',
    });
    const asLead = { ...setup, actor: { id: lead.id, username: lead.username, role: lead.role } };
    const round = await services.rounds.create(asLead, {
      title: '负载测试',
      fiscalYear: 2023,
      bureau: null,
      workPlanRef: null,
      deadline: null,
    });
    const code = (i: number) => `L${String(i).padStart(4, '0')}`;
    const csv = [
      '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,执行数（万元）,自评得分',
      ...Array.from(
        { length: count },
        (_, i) =>
          `项目支出,${code(i)},县第${i % 9}局,县第${i % 9}局,项目${i},${i + 10},${((i + 10) * 0.96).toFixed(4)},95.6`,
      ),
    ].join('\n');
    const indicatorsCsv = [
      '编码,一级指标,二级指标,三级指标,指标性质,指标值,度量单位,分值,完成值,自评得分',
      ...Array.from({ length: count }, (_, i) => INDICATORS.map((row) => [code(i), ...row].join(','))),
    ]
      .flat()
      .join('\n');
    await services.population.import(
      asLead,
      round.id,
      { name: 'load.csv', data: Buffer.from(csv) },
      { name: 'indicators.csv', data: Buffer.from(indicatorsCsv) },
    );
    await services.draws.create(asLead, round.id, {
      seed: 'load',
      method: 'srs',
      quota: { project: count, department: 0 },
      mandatoryMinBudgetFen: null,
      mandatoryCodes: [],
      excludeCodes: [],
      excludeRoundId: null,
    });
    const indicators = (await db('indicators')
      .join('submissions', 'submissions.id', 'indicators.submission_id')
      .where('indicators.round_id', round.id)
      .where('indicators.is_execution', false)
      .orderBy(['submissions.code', 'indicators.position'])
      .select('submissions.code', 'indicators.id', 'indicators.weight')) as Array<{
      code: string;
      id: number;
      weight: number;
    }>;
    const reviewers: LoadReviewer[] = [];
    let passwordHash = '';
    for (let i = 0; i < count; i += 1) {
      const username = `rev${i}`;
      let user;
      if (i === 0) {
        user = (
          await services.users.create(setup, {
            username,
            displayName: `复核${i}`,
            role: 'reviewer',
            organisation: null,
            password: 'load test password 1',
          })
        ).user;
        passwordHash = ((await db('users').where('id', user.id).first('password_hash')) as { password_hash: string })
          .password_hash;
      } else {
        const id = await insertUser(
          db,
          {
            username,
            displayName: `复核${i}`,
            role: 'reviewer',
            organisation: null,
            passwordHash,
            mustChangePassword: false,
          },
          new Date(),
        );
        user = (await findUserById(db, id))!;
      }
      reviewers.push({
        token: (await services.tokens.create(setup, user, 'load')).token,
        code: code(i),
        indicators: indicators
          .filter((row) => row.code === code(i))
          .map((row) => ({ id: row.id, weight: Number(row.weight) })),
      });
    }
    await services.assignments.assign(
      asLead,
      round.id,
      reviewers.map((r, i) => ({ code: r.code, username: `rev${i}` })),
    );
    return { roundId: round.id, reviewers };
  } finally {
    await db.destroy();
  }
}

const DIMENSION_NAMES = [
  '绩效目标编制',
  '预算执行',
  '绩效指标设置',
  '运行成本控制',
  '目标完成',
  '可持续发展能力',
  '满意度',
];

/**
 * A whole review as the review page sends it: every indicator re-scored (the effect indicator
 * deducted under rule R5 with its note), the seven dimensions judged, the quality sub-scores and
 * a comment, carrying the version the reviewer read.
 */
export function reviewBody(reviewer: LoadReviewer, version: number, comment: string): string {
  return JSON.stringify({
    version,
    indicators: reviewer.indicators.map((indicator, i) =>
      i === 3
        ? {
            id: indicator.id,
            reviewActual: '有所改善',
            rule: 'R5',
            percent: 30,
            reviewScore: (indicator.weight * 0.7) / 100,
            note: '指标表述不规范，未量化改善程度，按R5扣30%',
          }
        : { id: indicator.id, reviewActual: '与自评一致', reviewScore: indicator.weight / 100 },
    ),
    dimensions: Object.fromEntries(
      DIMENSION_NAMES.map((name, i) => [
        name,
        { judgement: i === 2 ? '基本符合' : '符合', note: i === 2 ? '效益指标未量化' : '' },
      ]),
    ),
    quality: { normative: 85, report: 80 },
    comment,
  });
}

/** A pause of up to `maxMs`, ending no later than `until`. */
const pause = (maxMs: number, until: number) =>
  maxMs > 0
    ? new Promise((r) => setTimeout(r, Math.max(0, Math.min(Math.random() * maxMs, until - Date.now()))))
    : Promise.resolve();

async function drive(
  name: string,
  config: Config,
  instances: Array<{ child: ChildProcess; base: string }>,
  seconds: number,
  work: Work,
): Promise<LoadResult> {
  const bases = instances.map((i) => i.base);
  const { roundId, reviewers } = await prepare(config, work.reviewers);
  const opens: number[] = [];
  const saves: number[] = [];
  const healthz: number[] = [];
  let errors = 0;
  const last = new Map<string, { version: number; comment: string }>();
  const until = Date.now() + seconds * 1000;

  const reviewer = async (one: LoadReviewer, index: number) => {
    const { token, code } = one;
    const base = bases[index % bases.length];
    const headers = { Authorization: `Bearer ${token}` };
    for (let n = 0; Date.now() < until; n += 1) {
      try {
        await pause(work.pauseMs, until);
        if (Date.now() >= until) break;
        let t0 = performance.now();
        const opened = await fetch(`${base}/api/rounds/${roundId}/items/${code}`, { headers });
        opens.push(performance.now() - t0);
        if (opened.status !== 200) {
          errors += 1;
          continue;
        }
        const version = ((await opened.json()) as { review: { version: number } | null }).review?.version ?? 0;
        const comment = `第${n}次保存：${crypto.randomBytes(8).toString('hex')}`;
        await pause(work.pauseMs, until);
        if (Date.now() >= until) break;
        t0 = performance.now();
        const saved = await fetch(`${base}/api/rounds/${roundId}/items/${code}/review`, {
          method: 'PUT',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: reviewBody(one, version, comment),
        });
        saves.push(performance.now() - t0);
        if (saved.status !== 200) {
          errors += 1;
          continue;
        }
        last.set(code, { version: ((await saved.json()) as { version: number }).version, comment });
      } catch {
        errors += 1;
      }
    }
  };
  const prober = async () => {
    while (Date.now() < until) {
      const t0 = performance.now();
      try {
        if ((await fetch(`${bases[0]}/healthz`)).status !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      healthz.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const lockWaits = config.databaseUrl ? await watchLockWaits(config, until) : undefined;
  const serversCpu = () => instances.reduce((ms, i) => ms + cpuOf(i.child.pid!), 0);
  const cpuBefore = { servers: serversCpu(), postgres: postgresCpu(), clients: process.cpuUsage() };
  const started = performance.now();
  await Promise.all([...reviewers.map(reviewer), prober(), lockWaits?.done]);
  const elapsed = (performance.now() - started) / 1000;
  const clients = process.cpuUsage(cpuBefore.clients);
  const cpu = {
    servers: serversCpu() - cpuBefore.servers,
    postgres: config.databaseUrl ? postgresCpuBetween(cpuBefore.postgres, postgresCpu()) : undefined,
    clients: (clients.user + clients.system) / 1000,
  };

  const lostWrites = await countLostWrites(config, roundId, [...last.keys()], last);
  return {
    name,
    instances: bases.length,
    work,
    seconds: elapsed,
    opens,
    saves,
    healthz,
    errors,
    lostWrites,
    lockWaits: lockWaits?.waits,
    cpu,
  };
}

/**
 * PostgreSQL's own view, every 100 ms until `until`: the sessions of the database waiting on a
 * lock, each with how long its statement has run.
 */
async function watchLockWaits(config: Config, until: number) {
  const db = createDatabase(config);
  const waits: number[] = [];
  const done = (async () => {
    try {
      while (Date.now() < until) {
        const { rows } = (await db.raw(
          `select extract(epoch from now() - query_start) * 1000 as ms from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`,
        )) as { rows: Array<{ ms: string }> };
        waits.push(...rows.map((r) => Number(r.ms)));
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await db.destroy();
    }
  })();
  return { waits, done };
}

/**
 * Lost writes: items of `codes` whose stored review is not the last save acknowledged for it
 * (its version and text), or that have no acknowledged save at all.
 */
export async function countLostWrites(
  config: Config,
  roundId: number,
  codes: string[],
  last: Map<string, { version: number; comment: string }>,
): Promise<number> {
  const db = createDatabase(config);
  let lostWrites = 0;
  try {
    for (const code of codes) {
      const expected = last.get(code);
      const row = (await db('reviews')
        .join('submissions', 'submissions.id', 'reviews.submission_id')
        .where({ 'submissions.round_id': roundId, 'submissions.code': code })
        .first('reviews.version', 'reviews.comment')) as { version: unknown; comment: string } | undefined;
      if (!expected || !row || Number(row.version) !== expected.version || row.comment !== expected.comment)
        lostWrites += 1;
    }
  } finally {
    await db.destroy();
  }
  return lostWrites;
}

export async function loadOnSqlite(seconds: number, work: Work): Promise<LoadResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-load-'));
  const env = { FUHE_DATA_DIR: dataDir, FUHE_SESSION_SECRET: 'load-'.padEnd(48, 'l'), DATABASE_URL: '' };
  const config = loadConfig(env);
  const instance = await startInstance(env);
  try {
    return await drive('SQLite', config, [instance], seconds, work);
  } finally {
    await stopProcess(instance.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `instances` instances on a fresh database of the PostgreSQL server at `adminUrl` (a role that may create databases). */
export async function loadOnPostgres(
  adminUrl: string,
  seconds: number,
  work: Work,
  instanceCount: number,
): Promise<LoadResult> {
  const name = `fuhe_load_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-load-'));
  const env = { FUHE_DATA_DIR: dataDir, FUHE_SESSION_SECRET: 'load-'.padEnd(48, 'l'), DATABASE_URL: url.toString() };
  const config = loadConfig(env);
  const instances: Array<{ child: ChildProcess; base: string }> = [];
  try {
    const db = createDatabase(config);
    await migrateToLatest(db);
    await db.destroy();
    for (let i = 0; i < instanceCount; i += 1) instances.push(await startInstance(env));
    return await drive('PostgreSQL', config, instances, seconds, work);
  } finally {
    for (const i of instances) await stopProcess(i.child);
    // The instances have stopped: a plain DROP (which also stops autovacuum in the database).
    await admin.raw(`DROP DATABASE IF EXISTS ${name}`);
    await admin.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Every load of the bench: SQLite, then PostgreSQL with one instance and two when `pgUrl` is given; each kind of work. */
export async function loadRuns(seconds: number, pgUrl: string | undefined): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (const work of [BACK_TO_BACK, PACED]) {
    results.push(await loadOnSqlite(seconds, work));
    if (pgUrl) for (const instances of [1, 2]) results.push(await loadOnPostgres(pgUrl, seconds, work, instances));
  }
  return results;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const perSecond = (r: LoadResult) => (r.opens.length + r.saves.length) / r.seconds;
const cores = (ms: number, r: LoadResult) => (ms / 1000 / r.seconds).toFixed(2);
const workName = (work: Work) =>
  work.pauseMs ? `${work.reviewers}, pausing 0–${work.pauseMs / 1000} s` : `${work.reviewers}, back to back`;

export function printLoad(results: LoadResult[]): void {
  printMarkdownTable(
    [
      'load run',
      'reviewers',
      'inst.',
      's',
      'opens',
      'saves',
      'req/s',
      'open p50',
      'open p99',
      'save p50',
      'save p99',
      '/healthz p50',
      '/healthz p99',
      'longest lock wait',
      'CPU: servers',
      'PostgreSQL',
      'clients',
      'errors',
      'lost writes',
    ],
    results.map((r) => {
      const [opens, saves, healthz] = [sorted(r.opens), sorted(r.saves), sorted(r.healthz)];
      return [
        r.name,
        workName(r.work),
        String(r.instances),
        r.seconds.toFixed(0),
        String(r.opens.length),
        String(r.saves.length),
        perSecond(r).toFixed(0),
        percentile(opens, 50).toFixed(1),
        percentile(opens, 99).toFixed(1),
        percentile(saves, 50).toFixed(1),
        percentile(saves, 99).toFixed(1),
        percentile(healthz, 50).toFixed(1),
        percentile(healthz, 99).toFixed(1),
        r.lockWaits ? (r.lockWaits.length ? `${Math.max(...r.lockWaits).toFixed(0)} ms` : 'none seen') : '',
        cores(r.cpu.servers, r),
        r.cpu.postgres === undefined ? '' : cores(r.cpu.postgres, r),
        cores(r.cpu.clients, r),
        String(r.errors),
        String(r.lostWrites),
      ];
    }),
  );
  console.log(
    `(CPU in cores of the machine's ${os.cpus().length}, averaged over the run; latencies in ms; lock waits: sessions pg_stat_activity showed waiting on a lock, sampled every 100 ms; errors = non-200 answers or failed requests; lost writes = reviews whose stored version or text is not the last acknowledged save)`,
  );
  const find = (name: string, instances: number, work: Work) =>
    results.find((r) => r.name === name && r.instances === instances && r.work === work);
  const sqlite = find('SQLite', 1, BACK_TO_BACK);
  const one = find('PostgreSQL', 1, BACK_TO_BACK);
  const two = find('PostgreSQL', 2, BACK_TO_BACK);
  const paced = find('PostgreSQL', 2, PACED);
  if (!sqlite || !one || !two || !paced) return;
  const rows = [
    [
      'two PostgreSQL instances against one, 50 back to back (req/s)',
      `${(perSecond(two) / perSecond(one)).toFixed(2)} ×`,
      '≥ 1.5 ×',
    ],
    [
      'two PostgreSQL instances against SQLite, 50 back to back (req/s)',
      `${(perSecond(two) / perSecond(sqlite)).toFixed(2)} ×`,
      '≥ 0.5 ×',
    ],
    [
      'save p50, 500 reviewers pausing, two PostgreSQL instances',
      `${percentile(sorted(paced.saves), 50).toFixed(1)} ms`,
      '≤ 30 ms',
    ],
    ['errors and lost writes, every run', String(results.reduce((n, r) => n + r.errors + r.lostWrites, 0)), '0'],
  ];
  console.log('');
  printMarkdownTable(['load targets (ratios within this run)', 'measured', 'target'], rows);
}

/** `tsx scripts/load.ts`: the load runs alone. */
async function main(): Promise<void> {
  const pg = process.env.FUHE_BENCH_PG_URL ?? process.env.FUHE_TEST_PG_URL;
  printLoad(await loadRuns(Number(process.env.BENCH_LOAD_SECONDS ?? 30), pg));
  if (!pg)
    console.log(
      'PostgreSQL part skipped: set FUHE_BENCH_PG_URL (or FUHE_TEST_PG_URL) to a role that may create databases.',
    );
}

if (require.main === module)
  main().catch((err) => {
    process.stderr.write(`load run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
