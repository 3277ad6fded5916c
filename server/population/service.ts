import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database } from '../data/database';
import { fenToWan } from '../domain/money';
import { checkIndicatorCodes, ImportProblem, IndicatorInput, MAX_ROWS, ProblemList, readIndicators, readSubmissions, Sheet, sortProblems, summarisePopulation } from '../domain/population';
import { canonicalOrder, populationFingerprint } from '../domain/sampling';
import { assess, isExecutionIndicator } from '../domain/warnings';
import { conflict, HttpError, notFound } from '../http/errors';
import { findRound, lockRound, Round } from '../rounds/repository';
import { ListIndexCache } from './listIndex';
import { PopulationRecordsCache } from './recordsCache';
import { decodeText, detectFormat, findWorksheet, parseCsv, readWorkbook, sheetOf, UnreadableFile } from './files';
import {
  activeImportsByRound, AssessedSubmission, findSubmissionsByIds, Submission, findActiveImport, findIndicators, findSubmissionByCode,
  insertImport, insertIndicators, openSubmissionInserter, listImports, PopulationImport, PopulationQuery,
  retirePopulation, storeFile,
} from './repository';

export interface UploadedFile {
  name: string;
  data: Buffer;
}

export const POPULATION_SHEET = '自评汇总';
export const INDICATOR_SHEET = '绩效指标';

/** A refused import: every problem found, listed (up to the cap) and counted. */
export class ImportRefused extends HttpError {
  constructor(
    readonly problems: ImportProblem[],
    readonly problemCount: number,
  ) {
    super(
      422,
      'invalid_file',
      problemCount === 1 ? `文件有1处错误，未导入任何记录：${describeProblem(problems[0])}` : `文件有${problemCount}处错误，未导入任何记录，请更正后重新上传`,
      problems,
    );
  }
}

export function describeProblem(p: ImportProblem): string {
  const where = [p.row !== null ? `行 ${p.row}` : '', p.column ? `列"${p.column}"` : ''].filter(Boolean).join('，');
  return where ? `${where}：${p.message}` : p.message;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ReadFile {
  format: 'csv' | 'xlsx';
  encoding: string | null;
  population?: Sheet;
  indicators?: Sheet;
}

async function readUpload(file: UploadedFile, role: 'population' | 'indicators'): Promise<ReadFile> {
  const format = detectFormat(file.data);
  if (format === 'csv') {
    const { text, encoding } = decodeText(file.data);
    const sheet = parseCsv(text, role === 'population' ? POPULATION_SHEET : INDICATOR_SHEET, MAX_ROWS);
    return { format, encoding, [role]: sheet };
  }
  const workbook = await readWorkbook(file.data);
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

async function readOrRefuse(file: UploadedFile, role: 'population' | 'indicators'): Promise<ReadFile> {
  try {
    return await readUpload(file, role);
  } catch (err) {
    if (err instanceof UnreadableFile) {
      const sheet = role === 'population' ? POPULATION_SHEET : INDICATOR_SHEET;
      throw new ImportRefused([{ sheet, row: null, column: null, message: `${file.name}：${err.message}` }], 1);
    }
    throw err;
  }
}

export interface ImportResult {
  import: PopulationImport;
  replaced: PopulationImport | undefined;
}

/** What the audit log keeps of an import: enough to identify the file and what it held. */
function auditView(value: PopulationImport) {
  return {
    fileName: value.fileName,
    fileSha256: value.fileSha256,
    indicatorsFileName: value.indicatorsFileName,
    records: value.recordCount,
    project: value.projectCount,
    department: value.departmentCount,
    indicators: value.indicatorCount,
    budgetWan: fenToWan(value.budgetFen),
    fingerprint: value.fingerprint,
  };
}


/** Records per batch handed to the database while the next batch is read. */
const IMPORT_BATCH = 2000;

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

export function populationService({ db, now, populationRecords }: { db: Database; now: () => Date; populationRecords: PopulationRecordsCache }) {
  async function requireRound(roundId: number): Promise<Round> {
    const round = Number.isSafeInteger(roundId) ? await findRound(db, roundId) : undefined;
    if (!round) throw notFound('复核批次不存在');
    return round;
  }

  const indexes = new ListIndexCache();

  /** The ids of the records a query selects, in its order; none without a population. The caller has read the round. */
  async function selection(round: Round, query: PopulationQuery): Promise<{ active: PopulationImport | undefined; ids: Int32Array }> {
    const active = await findActiveImport(db, round.id);
    if (!active) return { active, ids: new Int32Array(0) };
    const index = await indexes.get(db, round.id, `${active.id}:${round.version}`);
    return { active, ids: index.select(query) };
  }

  return {
    /**
     * Imports a population, all or nothing, in one transaction. The files are read first; then,
     * inside the transaction, the round's previous population (if any, and only while no draw
     * exists) is retired, and the rows are checked and stored batch by batch: the database stores
     * one batch while the next is being checked. A single problem anywhere stops the storing;
     * every problem is still listed, and the transaction is rolled back, so nothing is kept.
     */
    async import(context: AuditContext, roundId: number, file: UploadedFile, indicatorsFile?: UploadedFile): Promise<ImportResult> {
      const round = await requireRound(roundId);
      if (round.state !== 'preparing') throw conflict('该批次已抽样，自评记录已冻结，不能再导入或替换');
      const refused = async (err: ImportRefused) => {
        await appendAudit(db, context, {
          action: 'population.refused',
          objectType: 'round',
          objectId: roundId,
          detail: `${file.name}${indicatorsFile ? ` + ${indicatorsFile.name}` : ''}：${err.problemCount}处错误；${err.problems.slice(0, 3).map(describeProblem).join('；')}`.slice(0, 1000),
        });
        return err;
      };

      let read: ReadFile;
      let indicatorSheet: Sheet | undefined;
      try {
        read = await readOrRefuse(file, 'population');
        indicatorSheet = read.indicators;
        if (indicatorsFile) {
          if (indicatorSheet) {
            throw new ImportRefused([{ sheet: INDICATOR_SHEET, row: null, column: null, message: `工作簿中已有"${INDICATOR_SHEET}"工作表，又另外上传了指标文件，请只保留一处` }], 1);
          }
          indicatorSheet = (await readOrRefuse(indicatorsFile, 'indicators')).indicators;
        }
      } catch (err) {
        throw err instanceof ImportRefused ? await refused(err) : err;
      }
      const populationSheet = read.population!;
      const at = now();
      const fileSha = sha256(file.data);
      const indicatorsSha = indicatorsFile ? sha256(indicatorsFile.data) : null;

      try {
        const result = await db.transaction(async (trx) => {
          const locked = await lockRound(trx, roundId);
          if (!locked) throw notFound('复核批次不存在');
          if (locked.state !== 'preparing') throw conflict('该批次已抽样，自评记录已冻结，不能再导入或替换');
          const replaced = await findActiveImport(trx, roundId);
          if (replaced) await retirePopulation(trx, roundId, at);

          // Indicators first (a record's warning signs depend on them); their codes are checked
          // against the population once it has been read.
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
          const inserter = await openSubmissionInserter(trx, roundId);
          const assessed: AssessedSubmission[] = [];
          let batchStart = 0;
          for (const input of readSubmissions(populationSheet, problems, seenCodes)) {
            const indicators = byCode.get(input.code) ?? noIndicators;
            assessed.push({ input, assessment: assess(input, indicators, locked.deadline), indicatorCount: indicators.length });
            if (assessed.length - batchStart === IMPORT_BATCH) {
              if (problems.count === 0) inserter.add(assessed.slice(batchStart));
              batchStart = assessed.length;
              // Let other work run between batches: PostgreSQL's replies, other requests' pages.
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }
          if (indicatorRead) checkIndicatorCodes(indicatorSheet!.name, indicatorRead, seenCodes, problems);
          if (problems.count === 0) inserter.add(assessed.slice(batchStart));
          await inserter.finish();
          if (problems.count > 0) throw new ImportRefused(sortProblems(problems.listed, [populationSheet.name, indicatorSheet?.name ?? '']), problems.count);

          const summary = summarisePopulation(assessed);
          const records = canonicalOrder(assessed.map((a) => a.input));
          const indicatorInputs = indicatorRead?.indicators ?? [];
          await storeFile(trx, { sha256: fileSha, size: file.data.length, mediaType: read.format === 'xlsx' ? XLSX_TYPE : 'text/csv', content: file.data }, at);
          if (indicatorsFile) await storeFile(trx, { sha256: indicatorsSha!, size: indicatorsFile.data.length, mediaType: 'application/octet-stream', content: indicatorsFile.data }, at);
          await insertImport(trx, {
            roundId,
            fileName: file.name,
            fileSha256: fileSha,
            format: read.format,
            encoding: read.encoding,
            indicatorsFileName: indicatorsFile?.name ?? null,
            indicatorsFileSha256: indicatorsSha,
            recordCount: records.length,
            projectCount: summary.byKind.project.count,
            departmentCount: summary.byKind.department.count,
            indicatorCount: indicatorInputs.length,
            budgetFen: summary.byKind.project.budgetFen + summary.byKind.department.budgetFen,
            executedFen: summary.byKind.project.executedFen + summary.byKind.department.executedFen,
            fingerprint: populationFingerprint(records),
            summary,
            importedBy: context.actor!.id,
            importedAt: at,
          });
          await insertIndicators(trx, roundId, indicatorInputs.map((i) => ({ ...i, isExecution: isExecutionIndicator(i.level1) })));
          const stored = (await findActiveImport(trx, roundId))!;
          await appendAudit(
            trx,
            context,
            {
              action: replaced ? 'population.replace' : 'population.import',
              objectType: 'round',
              objectId: roundId,
              before: replaced ? auditView(replaced) : undefined,
              after: auditView(stored),
            },
            at,
          );
          return { result: { import: stored, replaced }, records };
        });
        // Only once committed: the draw will read these records rather than the database.
        populationRecords.put(roundId, result.result.import.id, result.records);
        return result.result;
      } catch (err) {
        throw err instanceof ImportRefused ? await refused(err) : err;
      }
    },

    async current(roundId: number): Promise<PopulationImport | undefined> {
      await requireRound(roundId);
      return findActiveImport(db, roundId);
    },

    history: (roundId: number) => listImports(db, roundId),

    byIds: (ids: number[]) => findSubmissionsByIds(db, ids),

    /** The active import of every round, by round id. */
    byRound: () => activeImportsByRound(db),

    /** A page of the population, filtered, searched and sorted through the round's list index. */
    async page(round: Round, query: PopulationQuery, page: { offset: number; limit: number }) {
      const { active, ids } = await selection(round, query);
      return { active, total: ids.length, items: await findSubmissionsByIds(db, ids.subarray(page.offset, page.offset + page.limit)) };
    },

    /** Every record of a selection, in its order, a batch at a time (for exports). */
    async *each(round: Round, query: PopulationQuery): AsyncGenerator<Submission> {
      const { ids } = await selection(round, query);
      for (let start = 0; start < ids.length; start += 2000) {
        for (const submission of await findSubmissionsByIds(db, ids.subarray(start, start + 2000))) yield submission;
      }
    },

    /** Taking the whole list away is worth a line in the audit log. */
    recordExport: (context: AuditContext, roundId: number, filter: string) =>
      appendAudit(db, context, { action: 'population.export', objectType: 'round', objectId: roundId, detail: filter.slice(0, 500) || '全部' }),

    /** One record with its indicators and what the import computed for it, computed again. */
    async record(roundId: number, code: string) {
      const round = await requireRound(roundId);
      const submission = await findSubmissionByCode(db, roundId, code);
      if (!submission) throw notFound('该批次中没有这个编码的自评记录');
      const indicators = await findIndicators(db, submission.id);
      return { submission, indicators, assessment: assess(submission, indicators, round.deadline) };
    },
  };
}

export type PopulationService = ReturnType<typeof populationService>;
