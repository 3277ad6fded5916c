/**
 * What the file reader's thread does (files/reader.ts): read a population file (decode, check
 * every row, assess it), or read one sheet of a workbook or CSV into cells. Loaded by the
 * thread itself; nothing here runs on the server's thread.
 */
import type { Value } from '../data/bulk';
import { Sheet } from '../domain/population';
import { readPopulation, ReadOutcome, ReadRequest, UploadedFile } from '../population/reading';
import {
  decodeText,
  detectFormat,
  findWorksheet,
  parseCsv,
  readWorkbook,
  sheetOf,
  UnreadableFile,
  ZipLimits,
} from './formats';

export type ReadJob = { zip: ZipLimits } & (
  | { kind: 'population'; request: ReadRequest }
  | { kind: 'sheet'; file: UploadedFile; sheetName: string; maxRows: number }
);

export type JobOutcome =
  | { kind: 'population'; outcome: ReadOutcome }
  | { kind: 'sheet'; sheet: Sheet }
  | { kind: 'unreadable'; message: string };

/** One sheet of an uploaded file: the named sheet of a workbook (or its first), or the CSV. */
async function readOneSheet(file: UploadedFile, sheetName: string, maxRows: number, limits: ZipLimits): Promise<Sheet> {
  if (detectFormat(file.data) === 'csv') return parseCsv(decodeText(file.data).text, sheetName, maxRows);
  const workbook = await readWorkbook(file.data, limits);
  const found = findWorksheet(workbook, sheetName) ?? workbook.worksheets[0];
  if (!found) throw new UnreadableFile('工作簿里没有工作表');
  return sheetOf(found, maxRows);
}

export async function runJob(job: ReadJob, emit: (rows: Value[][]) => void): Promise<JobOutcome> {
  try {
    if (job.kind === 'population')
      return { kind: 'population', outcome: await readPopulation(job.request, emit, job.zip) };
    return { kind: 'sheet', sheet: await readOneSheet(job.file, job.sheetName, job.maxRows, job.zip) };
  } catch (err) {
    if (err instanceof UnreadableFile) return { kind: 'unreadable', message: err.message };
    throw err;
  }
}
