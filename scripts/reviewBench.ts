/**
 * The review part of `npm run bench`: 50 reviewers, each with one sampled item of their own,
 * against the real server (`server/main.ts`) in its own process on a fresh SQLite file — the
 * reviewers' clients are another process, as browsers would be. Three readings:
 *
 * - at once: all 50 open their review page at the same instant, 20 times over (the server's CPU
 *   per open is read here);
 * - back to back: each reviewer saves 20 times with no pause at all, so that 50 requests are
 *   always waiting: requests per second and the server's CPU per save (its median measures the
 *   queue on two shared cores, not a person's wait, and is no target);
 * - paced: 10 opens and saves each, with 0–2 s before every step, as people work (the target).
 *
 * Every save carries the version its reviewer last saw; an error is any answer but 200 (or a
 * save that did not return the next version), and a lost write is a review whose stored
 * version or text is not its reviewer's last acknowledged save.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/config';
import { cpuOf } from './cpu';
import { BACK_TO_BACK, countLostWrites, LoadReviewer, prepare, reviewBody, startInstance } from './load';
import { httpClient } from './httpClient';
import { stopProcess } from './serverProcess';
import { percentile, printMarkdownTable } from './table';

export interface Reading {
  name: string;
  requests: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

export interface ReviewBench {
  readings: Reading[];
  warmUpErrors: number;
  lostWrites: number;
  serverCpuMsPerOpen: number;
  serverCpuMsPerSave: number;
  /** The clients' CPU (this process) per save: they share the machine with the server. */
  clientCpuMsPerSave: number;
}

const AT_ONCE_ROUNDS = 20;
const BACK_TO_BACK_ROUNDS = 20;
const PACED_ROUNDS = 10;

export async function benchReviews(): Promise<ReviewBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-reviews-'));
  const env = {
    FUHE_DATA_DIR: dataDir,
    FUHE_SESSION_SECRET: 'reviews-'.padEnd(48, 'r'),
    DATABASE_URL: '',
  };
  const config = loadConfig(env);
  const { roundId, reviewers } = await prepare(config, BACK_TO_BACK.reviewers);
  const server = await startInstance(env);
  const base = server.base;
  const last = new Map<string, { version: number; comment: string }>();
  const client = httpClient(reviewers.length);
  let saves = 0;

  /** The latencies of one kind of request in one reading, and how many of them failed. */
  interface Series {
    latencies: number[];
    errors: number;
  }
  const series = (): Series => ({ latencies: [], errors: 0 });
  const open = async (r: LoadReviewer, into: Series): Promise<void> => {
    const t0 = performance.now();
    try {
      const res = await client.request('GET', `${base}/rounds/${roundId}/items/${encodeURIComponent(r.code)}`, {
        Authorization: `Bearer ${r.token}`,
      });
      if (res.status !== 200) into.errors += 1;
    } catch {
      into.errors += 1;
    }
    into.latencies.push(performance.now() - t0);
  };
  const save = async (r: LoadReviewer, into: Series): Promise<void> => {
    const version = last.get(r.code)?.version ?? 0;
    saves += 1;
    const comment = `第${saves}次保存：复核意见`;
    const t0 = performance.now();
    try {
      const res = await client.request(
        'PUT',
        `${base}/api/rounds/${roundId}/items/${encodeURIComponent(r.code)}/review`,
        { Authorization: `Bearer ${r.token}`, 'Content-Type': 'application/json' },
        reviewBody(r, version, comment),
      );
      const body = JSON.parse(res.body.toString('utf8')) as { version?: number };
      if (res.status !== 200 || body.version !== version + 1) into.errors += 1;
      else last.set(r.code, { version: body.version, comment });
    } catch {
      into.errors += 1;
    }
    into.latencies.push(performance.now() - t0);
  };
  // User CPU + system CPU of the server's process (all its threads), in ms (Linux).
  const serverCpu = (): number => cpuOf(server.child.pid!);

  const readings: Reading[] = [];
  /** Runs one reading; `names` and the series `run` fills are in the same order. */
  const reading = async (names: string[], run: (...into: Series[]) => Promise<void>) => {
    const filled = names.map(series);
    const t0 = performance.now();
    await run(...filled);
    const seconds = (performance.now() - t0) / 1000;
    names.forEach((name, i) =>
      readings.push({
        name,
        requests: filled[i].latencies.length,
        seconds,
        latencies: filled[i].latencies.sort((a, b) => a - b),
        errors: filled[i].errors,
      }),
    );
  };

  try {
    // Warm-up: every reviewer opens and saves twice (first requests compile code paths).
    const warmUp = series();
    for (let i = 0; i < 2; i += 1)
      await Promise.all(
        reviewers.map(async (r) => {
          await open(r, warmUp);
          await save(r, warmUp);
        }),
      );

    const openCpuBefore = serverCpu();
    await reading(['open review page, 50 at once'], async (opens) => {
      for (let i = 0; i < AT_ONCE_ROUNDS; i += 1) await Promise.all(reviewers.map((r) => open(r, opens)));
    });
    const serverCpuMsPerOpen = (serverCpu() - openCpuBefore) / (AT_ONCE_ROUNDS * reviewers.length);
    const cpuBefore = serverCpu();
    const clientBefore = process.cpuUsage();
    const savesBefore = saves;
    await reading(['save review, back to back (50 always waiting)'], (stored) =>
      Promise.all(
        reviewers.map(async (r) => {
          for (let i = 0; i < BACK_TO_BACK_ROUNDS; i += 1) await save(r, stored);
        }),
      ).then(() => undefined),
    );
    const serverCpuMsPerSave = (serverCpu() - cpuBefore) / (saves - savesBefore);
    const clientCpu = process.cpuUsage(clientBefore);
    const clientCpuMsPerSave = (clientCpu.user + clientCpu.system) / 1000 / (saves - savesBefore);

    const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2000));
    await reading(['open review page, 0–2 s pauses', 'save review, 0–2 s pauses'], (opens, stored) =>
      Promise.all(
        reviewers.map(async (r) => {
          for (let i = 0; i < PACED_ROUNDS; i += 1) {
            await pause();
            await open(r, opens);
            await pause();
            await save(r, stored);
          }
        }),
      ).then(() => undefined),
    );

    await stopProcess(server.child);
    const lostWrites = await countLostWrites(
      config,
      roundId,
      reviewers.map((r) => r.code),
      last,
    );
    return {
      readings,
      warmUpErrors: warmUp.errors,
      lostWrites,
      serverCpuMsPerOpen,
      serverCpuMsPerSave,
      clientCpuMsPerSave,
    };
  } finally {
    client.close();
    await stopProcess(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printReviews(result: ReviewBench): void {
  const target = (name: string) =>
    name.includes('pauses')
      ? 'median ≤ 20 ms'
      : name.includes('back to back')
        ? `CPU/save ≤ 3 ms: ${result.serverCpuMsPerSave.toFixed(2)} ms`
        : '';
  printMarkdownTable(
    [
      'reviews: 50 reviewers, SQLite, the server in a process of its own',
      'requests',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'errors',
      'target',
    ],
    result.readings.map((r) => [
      r.name,
      String(r.requests),
      (r.requests / r.seconds).toFixed(0),
      percentile(r.latencies, 50).toFixed(1),
      percentile(r.latencies, 95).toFixed(1),
      percentile(r.latencies, 99).toFixed(1),
      r.latencies[r.latencies.length - 1].toFixed(1),
      String(r.errors),
      target(r.name),
    ]),
  );
  console.log(
    `errors in the warm-up ${result.warmUpErrors}; lost writes ${result.lostWrites} (target 0); server CPU per open ${result.serverCpuMsPerOpen.toFixed(2)} ms, per save ${result.serverCpuMsPerSave.toFixed(2)} ms; the clients' CPU per save ${result.clientCpuMsPerSave.toFixed(2)} ms (they share the two cores)`,
  );
}

/** `tsx scripts/reviewBench.ts`: the review readings alone. */
if (require.main === module)
  benchReviews().then(printReviews, (err) => {
    process.stderr.write(`review bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
