/**
 * Statements per request, for `npm run bench`: the application built as main.ts builds it, in
 * this process on a prepared database, with knex's `query` event counting every statement sent
 * (BEGIN and COMMIT included) while a reviewer opens and saves their item through HTTP.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createLogger } from '../server/logger';
import { createServices } from '../server/services';
import { prepare, reviewBody } from './load';

export interface StatementCounts {
  engine: string;
  open: number;
  save: number;
}

const REQUESTS = 20;

async function count(engine: string, env: Record<string, string>): Promise<StatementCounts> {
  const config = loadConfig(env);
  const setup = createDatabase(config);
  await migrateToLatest(setup);
  await setup.destroy();
  const {
    roundId,
    reviewers: [reviewer],
  } = await prepare(config, 1);
  const db = createDatabase(config);
  const logger = createLogger({ silent: true });
  const server = http.createServer(
    createApp(createServices({ db, config, now: () => new Date(), logger }), { logger }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/rounds/${roundId}/items/${reviewer.code}`;
  const headers = { Authorization: `Bearer ${reviewer.token}` };
  let statements = 0;
  db.on('query', (q: { sql: string }) => {
    if (process.env.STATEMENTS_LOG) console.log(q.sql.slice(0, 200));
    statements += 1;
  });
  try {
    let open = 0;
    let save = 0;
    for (let i = 0; i < REQUESTS; i += 1) {
      let before = statements;
      const opened = await fetch(base, { headers });
      const version = ((await opened.json()) as { review: { version: number } | null }).review?.version ?? 0;
      open += statements - before;
      before = statements;
      const saved = await fetch(`${base}/review`, {
        method: 'PUT',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: reviewBody(reviewer, version, `第${i}次`),
      });
      if (saved.status !== 200) throw new Error(`save answered ${saved.status}`);
      save += statements - before;
    }
    return { engine, open: open / REQUESTS, save: save / REQUESTS };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.destroy();
  }
}

/** The counts on SQLite, and on PostgreSQL when `pgUrl` (a role that may create databases) is given. */
export async function countStatements(pgUrl: string | undefined): Promise<StatementCounts[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-statements-'));
  const env = { FUHE_DATA_DIR: dataDir, FUHE_SESSION_SECRET: 'statements-'.padEnd(48, 's'), DATABASE_URL: '' };
  try {
    const results = [await count('SQLite', env)];
    if (pgUrl) {
      const name = `fuhe_statements_${crypto.randomBytes(4).toString('hex')}`;
      const admin = knex({ client: 'pg', connection: pgUrl, pool: { min: 0, max: 1 } });
      await admin.raw(`CREATE DATABASE ${name}`);
      try {
        const url = new URL(pgUrl);
        url.pathname = `/${name}`;
        results.push(await count('PostgreSQL', { ...env, DATABASE_URL: url.toString() }));
      } finally {
        await admin.raw(`DROP DATABASE IF EXISTS ${name}`);
        await admin.destroy();
      }
    }
    return results;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
