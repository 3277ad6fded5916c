import type { Value } from '../data/bulk';
import {
  checkIndicatorCodes,
  ImportProblem,
  IndicatorInput,
  MAX_ROWS,
  PopulationSummary,
  ProblemList,
  readIndicators,
  readSubmissions,
  Sheet,
  sortProblems,
  SubmissionInput,
  summarisePopulation,
} from '../domain/population';
import { Assessment, assess, isExecutionIndicator } from '../domain/warnings';
import { MAX_TOTAL_FEN } from '../domain/cells';
import { fenToWan } from '../domain/money';
import {
  decodeText,
  detectFormat,
  findWorksheet,
  parseCsv,
  readWorkbook,
  sheetOf,
  UnreadableFile,
  ZIP_LIMITS,
  ZipLimits,
} from '../files/formats';

/**
 * Reading a population file into the rows the database stores: decoding, every check of every
 * row, warning signs and totals. Pure of the database, so that it runs on the import thread
 * (population/importReader.ts) while the server's thread stores the rows it hands over.
 */

export interface UploadedFile {
  name: string;
  data: Buffer;
}

export const POPULATION_SHEET = '自评汇总';
export const INDICATOR_SHEET = '绩效指标';

/** The columns of `submissions` in the order of the rows handed over. */
export const SUBMISSION_COLUMNS = [
  'round_id',
  'row_number',
  'kind',
  'code',
  'department',
  'unit',
  'name',
  'funding_source',
  'budget_fen',
  'executed_fen',
  'self_score',
  'self_grade',
  'submitted_on',
  'execution_rate_bp',
  'warnings',
  'indicator_count',
  'details',
];
/** Where FUHE-DRAW-1's fields are in such a row. */
export const ROW = { kind: 2, code: 3, budgetFen: 8, selfScore: 10 } as const;

export interface ReadRequest {
  roundId: number;
  /** The round's deadline: a record submitted after it is late. */
  deadline: string | null;
  file: UploadedFile;
  indicatorsFile?: UploadedFile;
  /** Rows per batch handed over. */
  batchSize: number;
}

export interface ReadOutcome {
  format: 'csv' | 'xlsx';
  encoding: string | null;
  /** Every problem, sorted by sheet, row and column (the first ones, up to the cap); none if the file is good. */
  problems: ImportProblem[];
  problemCount: number;
  summary: PopulationSummary | null;
  recordCount: number;
  indicators: Array<IndicatorInput & { isExecution: boolean }>;
}

interface ReadFile {
  format: 'csv' | 'xlsx';
  encoding: string | null;
  population?: Sheet;
  indicators?: Sheet;
}

async function readUpload(file: UploadedFile, role: 'population' | 'indicators', limits: ZipLimits): Promise<ReadFile> {
  const format = detectFormat(file.data);
  if (format === 'csv') {
    const { text, encoding } = decodeText(file.data);
    const sheet = parseCsv(text, role === 'population' ? POPULATION_SHEET : INDICATOR_SHEET, MAX_ROWS);
    return { format, encoding, [role]: sheet };
  }
  const workbook = await readWorkbook(file.data, limits);
  const first = workbook.worksheets[0];
  if (!first) throw new UnreadableFile('工作簿里没有工作表');
  if (role === 'indicators') {
    return { format, encoding: null, indicators: sheetOf(findWorksheet(workbook, INDICATOR_SHEET) ?? first, MAX_ROWS) };
  }
  const populationSheet = findWorksheet(workbook, POPULATION_SHEET) ?? first;
  const indicatorSheet = findWorksheet(workbook, INDICATOR_SHEET);
  return {
    format,
    encoding: null,
    population: sheetOf(populationSheet, MAX_ROWS),
    indicators: indicatorSheet && indicatorSheet !== populationSheet ? sheetOf(indicatorSheet, MAX_ROWS) : undefined,
  };
}

class Refusal {
  constructor(readonly problem: ImportProblem) {}
}

async function readOrRefuse(
  file: UploadedFile,
  role: 'population' | 'indicators',
  limits: ZipLimits,
): Promise<ReadFile> {
  try {
    return await readUpload(file, role, limits);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new Refusal({
      sheet: role === 'population' ? POPULATION_SHEET : INDICATOR_SHEET,
      row: null,
      column: null,
      message: `${file.name}：${err.message}`,
    });
  }
}

/** Fen as a number: exact, since amounts are at most MAX_AMOUNT_FEN (10^15 fen). */
const fenValue = (fen: bigint): number => Number(fen);

function detailsOf(s: SubmissionInput): string | null {
  if (s.contact === null && s.note === null && s.extra === null) return null;
  return JSON.stringify({ contact: s.contact, note: s.note, extra: s.extra });
}

function submissionRow(roundId: number, s: SubmissionInput, a: Assessment, indicatorCount: number): Value[] {
  return [
    roundId,
    s.rowNumber,
    s.kind,
    s.code,
    s.department,
    s.unit,
    s.name,
    s.fundingSource,
    fenValue(s.budgetFen),
    s.executedFen === null ? null : fenValue(s.executedFen),
    s.selfScore,
    s.selfGrade,
    s.submittedOn,
    a.executionRateBp,
    a.warnings,
    indicatorCount,
    detailsOf(s),
  ];
}

/**
 * Reads the files and hands over the rows batch by batch while no problem has been found; once
 * one has, it goes on checking (every problem is listed) but hands over nothing more.
 */
export async function readPopulation(
  request: ReadRequest,
  emit: (rows: Value[][]) => void,
  limits: ZipLimits = ZIP_LIMITS,
): Promise<ReadOutcome> {
  const { file, indicatorsFile } = request;
  let read: ReadFile;
  let indicatorSheet: Sheet | undefined;
  try {
    read = await readOrRefuse(file, 'population', limits);
    indicatorSheet = read.indicators;
    if (indicatorsFile) {
      if (indicatorSheet) {
        throw new Refusal({
          sheet: INDICATOR_SHEET,
          row: null,
          column: null,
          message: `工作簿中已有"${INDICATOR_SHEET}"工作表，又另外上传了指标文件，请只保留一处`,
        });
      }
      indicatorSheet = (await readOrRefuse(indicatorsFile, 'indicators', limits)).indicators;
    }
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return {
      format: 'csv',
      encoding: null,
      problems: [err.problem],
      problemCount: 1,
      summary: null,
      recordCount: 0,
      indicators: [],
    };
  }
  const populationSheet = read.population!;

  // Indicators first (a record's warning signs depend on them); their codes are checked against
  // the population once it has been read.
  const problems = new ProblemList();
  const indicatorRead = indicatorSheet ? readIndicators(indicatorSheet, problems) : undefined;
  const byCode = new Map<string, IndicatorInput[]>();
  for (const indicator of indicatorRead?.indicators ?? []) {
    const list = byCode.get(indicator.code);
    if (list) list.push(indicator);
    else byCode.set(indicator.code, [indicator]);
  }
  const noIndicators: IndicatorInput[] = [];
  const seenCodes = new Set<string>();
  let recordCount = 0;
  let batch: Value[][] = [];
  // Each record is totalled as it is read and then let go: 100,000 records kept until the end
  // would cost the garbage collector more than reading them.
  function* assessed() {
    for (const input of readSubmissions(populationSheet, problems, seenCodes)) {
      const indicators = byCode.get(input.code) ?? noIndicators;
      const assessment = assess(input, indicators, request.deadline);
      recordCount += 1;
      if (problems.count === 0) {
        batch.push(submissionRow(request.roundId, input, assessment, indicators.length));
        if (batch.length === request.batchSize) {
          emit(batch);
          batch = [];
        }
      }
      yield { input, assessment, indicatorCount: indicators.length };
    }
  }
  const summary = summarisePopulation(assessed());
  if (indicatorRead) checkIndicatorCodes(indicatorSheet!.name, indicatorRead, seenCodes, problems);
  const total = summary.byKind.project.budgetFen + summary.byKind.department.budgetFen;
  if (total > MAX_TOTAL_FEN) {
    problems.add({
      sheet: populationSheet.name,
      row: null,
      column: '预算数（万元）',
      message: `预算数合计${fenToWan(total)}万元，超过一个批次的上限${fenToWan(MAX_TOTAL_FEN)}万元`,
    });
  }
  if (problems.count === 0 && batch.length) emit(batch);
  if (problems.count > 0) {
    return {
      format: read.format,
      encoding: read.encoding,
      problems: sortProblems(problems.listed, [populationSheet.name, indicatorSheet?.name ?? '']),
      problemCount: problems.count,
      summary: null,
      recordCount: 0,
      indicators: [],
    };
  }
  return {
    format: read.format,
    encoding: read.encoding,
    problems: [],
    problemCount: 0,
    summary,
    recordCount,
    indicators: (indicatorRead?.indicators ?? []).map((i) => ({ ...i, isExecution: isExecutionIndicator(i.level1) })),
  };
}
