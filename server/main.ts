import cluster, { Worker } from 'node:cluster';
import http from 'node:http';
import { createApp } from './app';
import { createServices } from './services';
import { Config, loadConfig } from './config';
import { createDatabase, Database, engineOf, migrateToLatest } from './data/database';
import { createLogger, Logger } from './logger';
import { countUsers } from './users/repository';

/**
 * Start-up only: config → database → migrations → listen → graceful shutdown.
 *
 * With `FUHE_WORKERS` above 1 the server runs as that many processes on one port (node's
 * cluster): this process migrates the database once, then starts the workers and restarts any
 * that dies; each worker is a whole server on the same database (SQLite or PostgreSQL), as the
 * instances of a province's deployment are, since nothing lives in a process's memory alone.
 */
async function main(): Promise<void> {
  const logger = createLogger();
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) return supervise(config, logger);
  const db = createDatabase(config, { backgroundCheckpoints: true });
  // A worker's database was prepared by the process that started it.
  if (cluster.isPrimary) await prepareDatabase(db, logger);
  serve(db, config, logger);
}

/** Migrations, and the hint for a database without users: once, before any request is served. */
async function prepareDatabase(db: Database, logger: Logger): Promise<void> {
  const applied = await migrateToLatest(db);
  logger.info('database ready', { engine: engineOf(db), migrationsApplied: applied });
  if ((await countUsers(db)) === 0) {
    logger.warn('no users yet', {
      hint: 'create the first administrator: npm run fuhe -- user add <username> --role admin --name <显示名>',
    });
  }
}

function serve(db: Database, config: Config, logger: Logger): void {
  const services = createServices({ db, config, now: () => new Date(), logger });
  const server = http.createServer(createApp(services, { logger }));
  // Uploaded spreadsheets are read on a thread of their own: ready before the first upload.
  services.files.start();
  server.listen(config.port, () => logger.info('listening', { port: config.port, dataDir: config.dataDir, worker: cluster.worker?.id }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Finish the requests in flight, then close the database.
    server.close(() => {
      services.refusals
        .close()
        .then(() => db.destroy())
        .then(() => process.exit(0), () => process.exit(1));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A worker that dies within this long of its start is not restarted again at once. */
const RESTART_PAUSE_MS = 1_000;

async function supervise(config: Config, logger: Logger): Promise<void> {
  const db = createDatabase(config);
  try {
    await prepareDatabase(db, logger);
  } finally {
    await db.destroy();
  }
  let stopping = false;
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());
  cluster.on('exit', (worker, code, signal) => {
    const since = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    logger.error('worker stopped; starting another', { worker: worker.id, code, signal });
    setTimeout(fork, since < RESTART_PAUSE_MS ? RESTART_PAUSE_MS : 0);
  });
  for (let i = 0; i < config.workers; i += 1) fork();
  logger.info('workers started', { workers: config.workers, port: config.port });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, workers: started.size });
    // Each worker finishes its requests in flight and closes its database, as above.
    for (const worker of started.keys()) worker.process.kill('SIGTERM');
    if (started.size === 0) process.exit(0);
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`fuhe failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
