import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Value } from '../data/bulk';
import { Sheet } from '../domain/population';
import type { ReadOutcome, ReadRequest, UploadedFile } from '../population/reading';
import { UnreadableFile, ZIP_LIMITS, ZipLimits } from './formats';
import type { JobOutcome, ReadJob } from './jobs';

/**
 * Every spreadsheet a user uploads (a population, an agency's offline results) is read on a
 * thread of its own, never on the server's: decoding, unzipping and exceljs take seconds and
 * hundreds of megabytes for a large file, during which the server goes on answering everyone.
 *
 * The thread has a ceiling on its memory and a time limit per file: a file past either (a
 * workbook whose strings inflate far beyond its size, say) is refused with a message saying why,
 * and the thread is replaced for the next file. The inflated size of a workbook is checked before
 * it is opened (files/formats.ts, ZIP_LIMITS). Files are read one at a time, in order.
 *
 * One reader per set of services (services.ts). The server starts its thread with itself
 * (main.ts); elsewhere (tests, commands) it starts at the first file and ends after a minute
 * without one. It runs `jobs.ts` with tsx, as the server does.
 */

export interface ReadLimits {
  /** The thread's JavaScript heap. */
  heapMb: number;
  /** How long one file may take to read. */
  timeoutMs: number;
  /** What a workbook may inflate to before it is opened. */
  zip: ZipLimits;
}

export const READ_LIMITS: ReadLimits = { heapMb: 1024, timeoutMs: 120_000, zip: ZIP_LIMITS };

const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
// Under tsx the thread can already load TypeScript; elsewhere (jest) it registers tsx itself.
if (!require.extensions['.ts']) require(workerData.tsx).register();
const { runJob } = require(workerData.module);
// Buffers cross threads as plain Uint8Arrays: the same bytes, seen as Buffers again.
const asBuffer = (file) => file && Object.assign(file, { data: Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength) });
parentPort.on('message', (job) => {
  if (job.kind === 'population') { asBuffer(job.request.file); asBuffer(job.request.indicatorsFile); } else asBuffer(job.file);
  runJob(job, (rows) => parentPort.postMessage({ type: 'rows', rows })).then(
    (outcome) => parentPort.postMessage({ type: 'done', outcome }),
    (err) => parentPort.postMessage({ type: 'failed', message: String((err && err.stack) || err) }),
  );
});
`;

type Message =
  { type: 'rows'; rows: Value[][] } | { type: 'done'; outcome: JobOutcome } | { type: 'failed'; message: string };

const IDLE_MS = 60_000;

export class FileReader {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  private keepAlive = false;

  constructor(private readonly limits: ReadLimits = READ_LIMITS) {}

  /** Starts the thread now (it takes about 0.2 s to load) and keeps it for the life of the process. */
  start(): void {
    this.keepAlive = true;
    clearTimeout(this.idle);
    this.thread();
  }

  /**
   * Reads a population file; `onRows` is handed each batch of checked rows, in order, while the
   * file has no problem. A file that cannot be read at all is an outcome with that one problem.
   */
  async readPopulation(request: ReadRequest, onRows: (rows: Value[][]) => void): Promise<ReadOutcome> {
    const outcome = await this.enqueue({ kind: 'population', request, zip: this.limits.zip }, onRows);
    if (outcome.kind === 'population') return outcome.outcome;
    const problem = {
      sheet: '自评汇总',
      row: null,
      column: null,
      message: `${request.file.name}：${(outcome as { message: string }).message}`,
    };
    return {
      format: 'csv',
      encoding: null,
      problems: [problem],
      problemCount: 1,
      summary: null,
      recordCount: 0,
      indicators: [],
    };
  }

  /** One sheet of a workbook or CSV, as cells; throws UnreadableFile with the reason. */
  async readSheet(file: UploadedFile, sheetName: string, maxRows: number): Promise<Sheet> {
    const outcome = await this.enqueue(
      { kind: 'sheet', file, sheetName, maxRows, zip: this.limits.zip },
      () => undefined,
    );
    if (outcome.kind === 'sheet') return outcome.sheet;
    throw new UnreadableFile((outcome as { message: string }).message);
  }

  private enqueue(job: ReadJob, onRows: (rows: Value[][]) => void): Promise<JobOutcome> {
    const run = this.queue.then(() => this.run(job, onRows));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { tsx: require.resolve('tsx/cjs/api'), module: path.join(__dirname, 'jobs.ts') },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb },
    });
    worker.unref();
    const forget = () => {
      if (this.worker === worker) this.worker = undefined;
    };
    worker.once('exit', forget);
    // A thread can fail with no file being read (past its memory while it loads, say): without a
    // listener of its own that 'error' would end the server. The next file gets a new thread.
    worker.on('error', forget);
    this.worker = worker;
    return worker;
  }

  /** Ends the thread: it is past a limit or broken, and the next file gets a new one. */
  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  /** Ends the thread after its file, and starts the next one at once if the server keeps one. */
  private replace(worker: Worker): void {
    this.discard(worker);
    if (this.keepAlive) this.thread();
  }

  private run(job: ReadJob, onRows: (rows: Value[][]) => void): Promise<JobOutcome> {
    clearTimeout(this.idle);
    const worker = this.thread();
    return new Promise<JobOutcome>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (!this.keepAlive && this.worker === worker)
          this.idle = setTimeout(() => void worker.terminate(), IDLE_MS).unref();
      };
      const refuse = (message: string) => {
        done();
        this.discard(worker);
        resolve({ kind: 'unreadable', message });
      };
      const timer = setTimeout(
        () =>
          refuse(
            `读取文件超过${this.limits.timeoutMs / 1000}秒，已停止：文件过大或结构过于复杂，请拆分文件，或另存为 CSV 后再上传`,
          ),
        this.limits.timeoutMs,
      );
      const onMessage = (message: Message) => {
        if (message.type === 'rows') {
          try {
            onRows(message.rows);
          } catch (err) {
            done();
            this.discard(worker);
            reject(err);
          }
          return;
        }
        done();
        // A population leaves a hundred megabytes of rows in the thread's heap, which an idle
        // thread never collects: the thread is replaced and its memory given back.
        if (job.kind === 'population') this.replace(worker);
        if (message.type === 'done') resolve(message.outcome);
        else reject(new Error(`reading the file failed: ${message.message}`));
      };
      const onError = (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          refuse(
            `读取文件所需内存超过上限（${this.limits.heapMb} MB）：文件过大或结构过于复杂，请拆分文件，或另存为 CSV 后再上传`,
          );
          return;
        }
        done();
        this.discard(worker);
        reject(err);
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the file reader's thread ended (exit code ${code})`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      // An upload's bytes are in shared memory (http/upload.ts): the thread reads them in place.
      worker.postMessage(job);
    });
  }
}
