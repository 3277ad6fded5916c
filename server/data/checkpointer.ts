import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints for the server's SQLite database, on a thread of their own. SQLite would
 * otherwise run one inside whichever commit fills the log past 1,000 pages, with an fsync of
 * the database file: a review save that happened to be that commit waited 4–40 ms, and with a
 * synchronous driver so did every other request. Here a second connection copies the log into
 * the database once a second (PASSIVE: it never waits for the server's readers or writers),
 * and the server's own connection never checkpoints.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another instance's checkpoint is running): the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** A last checkpoint, then the thread ends. */
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs = 1000): Checkpointer {
  const worker = new Worker(WORKER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, intervalMs } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A checkpointer that cannot open the file ends; the log then grows until the next start, which folds it in.
  worker.on('error', () => undefined);
  return {
    async stop() {
      worker.postMessage('stop');
      await exited;
    },
  };
}
