import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Value } from '../data/bulk';
import type { ReadOutcome, ReadRequest } from './reading';

/**
 * Population files are read on a thread of their own: decoding, checking every row and
 * assessing it (about 1 s of work for 100,000 records) go on there while the server's thread
 * stores the rows it has been handed (SQLite's inserts run on the server's thread), and the
 * server's other users are not held up by the reading.
 *
 * One thread per process, which imports queue for. The server starts it with itself and keeps
 * it (main.ts); elsewhere (tests, commands) it starts at the first import and ends after a minute
 * without one. The thread runs `reading.ts` with tsx, as the server does.
 */

const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
// Under tsx the thread can already load TypeScript; elsewhere (jest) it registers tsx itself.
if (!require.extensions['.ts']) require(workerData.tsx).register();
const { readPopulation } = require(workerData.module);
// Buffers cross threads as plain Uint8Arrays: the same bytes, seen as Buffers again.
const asBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
parentPort.on('message', (request) => {
  request.file.data = asBuffer(request.file.data);
  if (request.indicatorsFile) request.indicatorsFile.data = asBuffer(request.indicatorsFile.data);
  readPopulation(request, (rows) => parentPort.postMessage({ type: 'rows', rows })).then(
    (outcome) => parentPort.postMessage({ type: 'done', outcome }),
    (err) => parentPort.postMessage({ type: 'failed', message: String(err && err.stack || err) }),
  );
});
`;

type Message = { type: 'rows'; rows: Value[][] } | { type: 'done'; outcome: ReadOutcome } | { type: 'failed'; message: string };

const IDLE_MS = 60_000;

export class ImportReader {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  private keepAlive = false;

  /** Starts the thread now (it takes about 0.2 s to load) and keeps it for the life of the process. */
  start(): void {
    this.keepAlive = true;
    clearTimeout(this.idle);
    this.thread();
  }

  /**
   * Reads the files of `request`; `onRows` is called with each batch of rows, in order, before
   * the promise resolves.
   */
  read(request: ReadRequest, onRows: (rows: Value[][]) => void): Promise<ReadOutcome> {
    const run = this.queue.then(() => this.run(request, onRows));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { tsx: require.resolve('tsx/cjs/api'), module: path.join(__dirname, 'reading.ts') },
    });
    worker.unref();
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  private run(request: ReadRequest, onRows: (rows: Value[][]) => void): Promise<ReadOutcome> {
    clearTimeout(this.idle);
    const worker = this.thread();
    return new Promise<ReadOutcome>((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (!this.keepAlive) this.idle = setTimeout(() => void worker.terminate(), IDLE_MS).unref();
      };
      const onMessage = (message: Message) => {
        if (message.type === 'rows') {
          try {
            onRows(message.rows);
          } catch (err) {
            // Storing failed: the reading's outcome no longer matters, and the thread starts afresh.
            done();
            void worker.terminate();
            reject(err);
          }
          return;
        }
        done();
        if (message.type === 'done') resolve(message.outcome);
        else reject(new Error(`reading the population file failed: ${message.message}`));
      };
      const onError = (err: Error) => {
        done();
        reject(err);
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the import thread ended (exit code ${code})`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(request);
    });
  }
}

let shared: ImportReader | undefined;

/** The process's import thread. */
export function importReader(): ImportReader {
  return (shared ??= new ImportReader());
}
