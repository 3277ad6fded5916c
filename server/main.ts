import http from 'node:http';
import { createApp } from './app';
import { loadConfig } from './config';
import { createDatabase, engineOf, migrateToLatest } from './data/database';
import { createLogger } from './logger';
import { createServices } from './services';
import { countUsers } from './users/repository';

/**
 * Start-up only: config → database → migrations → listen → graceful shutdown. More than one
 * process means several instances on PostgreSQL behind a proxy (README, "Running for a province").
 */
/** How long requests in flight (a large import, say) have to finish after SIGTERM. */
const SHUTDOWN_GRACE_MS = 30_000;

async function main(): Promise<void> {
  const logger = createLogger();
  const config = loadConfig();
  const db = createDatabase(config);
  const applied = await migrateToLatest(db);
  logger.info('database ready', { engine: engineOf(db), migrationsApplied: applied });
  if ((await countUsers(db)) === 0) {
    logger.warn('no users yet', {
      hint: 'create the first administrator: npm run fuhe -- user add <username> --role admin --name <显示名>',
    });
  }

  const services = createServices({ db, config, now: () => new Date(), logger });
  const server = http.createServer(createApp(services, { logger }));
  // Uploaded spreadsheets are read on a thread of their own: ready before the first upload.
  services.files.start();
  server.listen(config.port, () => logger.info('listening', { port: config.port, dataDir: config.dataDir }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Finish the requests in flight, then write what the refusal counts hold and close the database.
    server.close(() => {
      services.refusals
        .close()
        .then(() => db.destroy())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
    // Kept-alive connections are closed as soon as their last request is answered.
    setInterval(() => server.closeIdleConnections(), 250).unref();
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`fuhe failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
