import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { fenToWan } from '../domain/money';
import { ImportProblem, Kind } from '../domain/population';
import { canonicalOrder, PopulationRecord, populationFingerprint } from '../domain/sampling';
import { assess } from '../domain/warnings';
import { Conflict, Invalid, NotFound } from '../errors';
import { findRound, lockRound, Round } from '../rounds/repository';
import { FileReader } from '../files/reader';
import type { Value } from '../data/bulk';
import { ROW, UploadedFile } from './reading';
import {
  countLate,
  findIndicators,
  findPopulationPage,
  findSubmissionByCode,
  findSubmissionsByIds,
  insertIndicators,
  insertSubmissions,
  PopulationQuery,
  refreshLateWarnings,
  markHistory,
  Submission,
} from './repository';
import {
  activeImportsByRound,
  findActiveImport,
  insertImport,
  listImports,
  PopulationImport,
  retirePopulation,
  updateImportSummary,
} from './importRepository';
import { readStoredFile, storeFile } from '../files/repository';

/** A refused import: every problem found, listed (up to the cap) and counted. */
export class ImportRefused extends Invalid {
  constructor(
    readonly problems: ImportProblem[],
    readonly problemCount: number,
  ) {
    super(
      problemCount === 1
        ? `文件有1处错误，未导入任何记录：${describeProblem(problems[0])}`
        : `文件有${problemCount}处错误，未导入任何记录，请更正后重新上传`,
      problems,
      'invalid_file',
    );
  }
}

export function describeProblem(p: ImportProblem): string {
  const where = [p.row !== null ? `行 ${p.row}` : '', p.column ? `列"${p.column}"` : ''].filter(Boolean).join('，');
  return where ? `${where}：${p.message}` : p.message;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

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

/** Records per batch handed over by the import thread while it reads the next. */
const IMPORT_BATCH = 2000;

/** Records read per query while exporting a list. */
const EXPORT_PAGE = 2000;

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** "Submitted after the deadline" depends on the round's deadline: a new one re-marks the population. */
export async function refreshLateness(trx: Queryable, roundId: number, deadline: string | null): Promise<void> {
  const active = await findActiveImport(trx, roundId);
  if (!active) return;
  await refreshLateWarnings(trx, roundId, deadline);
  const summary = {
    ...active.summary,
    byWarning: { ...active.summary.byWarning, late: await countLate(trx, roundId) },
  };
  await updateImportSummary(trx, active.id, summary);
}

export function populationService({ db, now, files }: { db: Database; now: () => Date; files: FileReader }) {
  async function requireRound(roundId: number): Promise<Round> {
    const round = Number.isSafeInteger(roundId) ? await findRound(db, roundId) : undefined;
    if (!round) throw new NotFound('复核批次不存在');
    return round;
  }

  const reader = files;

  return {
    /**
     * Imports a population, all or nothing. The files are read and every row checked first, on
     * the reader's thread and without holding any lock (every problem is listed, and a refused
     * file changes nothing); then one short transaction retires the round's previous population
     * (only while no draw exists) and stores the rows.
     */
    async import(
      context: AuditContext,
      roundId: number,
      file: UploadedFile,
      indicatorsFile?: UploadedFile,
    ): Promise<ImportResult> {
      const round = await requireRound(roundId);
      if (round.state !== 'preparing') throw new Conflict('该批次已抽样，自评记录已冻结，不能再导入或替换');
      const batches: Value[][][] = [];
      const read = await reader.readPopulation(
        { roundId, deadline: round.deadline, file, indicatorsFile, batchSize: IMPORT_BATCH },
        (rows) => batches.push(rows),
      );
      if (read.problemCount > 0) {
        const refused = new ImportRefused(read.problems, read.problemCount);
        await appendAudit(db, context, {
          action: 'population.refused',
          objectType: 'round',
          objectId: roundId,
          detail:
            `${file.name}${indicatorsFile ? ` + ${indicatorsFile.name}` : ''}：${refused.problemCount}处错误；${refused.problems.slice(0, 3).map(describeProblem).join('；')}`.slice(
              0,
              1000,
            ),
        });
        throw refused;
      }

      const records: PopulationRecord[] = [];
      for (const rows of batches) {
        for (const row of rows)
          records.push({
            code: row[ROW.code] as string,
            kind: row[ROW.kind] as Kind,
            budgetFen: BigInt(row[ROW.budgetFen] as number),
            selfScore: row[ROW.selfScore] as number,
          });
      }
      const ordered = canonicalOrder(records);
      const summary = read.summary!;
      const at = now();
      const fileSha = sha256(file.data);
      const indicatorsSha = indicatorsFile ? sha256(indicatorsFile.data) : null;
      const result = await writeTransaction(db, async (trx) => {
        const locked = await lockRound(trx, roundId);
        if (!locked) throw new NotFound('复核批次不存在');
        if (locked.state !== 'preparing') throw new Conflict('该批次已抽样，自评记录已冻结，不能再导入或替换');
        // Lateness was judged against the deadline read before: it must still be the round's.
        if (locked.deadline !== round.deadline) throw new Conflict('导入期间复核批次的报送截止日期被修改，请重新导入');
        const replaced = await findActiveImport(trx, roundId);
        if (replaced) await retirePopulation(trx, roundId, at);
        for (const rows of batches) await insertSubmissions(trx, rows);
        // Units left with an unaccepted rectification or a recurring problem by earlier years.
        const history = await markHistory(trx, roundId, locked.fiscalYear);
        summary.byWarning = { ...summary.byWarning, ...history };
        await storeFile(
          trx,
          {
            sha256: fileSha,
            size: file.data.length,
            mediaType: read.format === 'xlsx' ? XLSX_TYPE : 'text/csv',
            content: file.data,
          },
          at,
        );
        if (indicatorsFile)
          await storeFile(
            trx,
            {
              sha256: indicatorsSha!,
              size: indicatorsFile.data.length,
              mediaType: 'application/octet-stream',
              content: indicatorsFile.data,
            },
            at,
          );
        await insertImport(trx, {
          roundId,
          fileName: file.name,
          fileSha256: fileSha,
          format: read.format,
          encoding: read.encoding,
          indicatorsFileName: indicatorsFile?.name ?? null,
          indicatorsFileSha256: indicatorsSha,
          recordCount: read.recordCount,
          projectCount: summary.byKind.project.count,
          departmentCount: summary.byKind.department.count,
          indicatorCount: read.indicators.length,
          budgetFen: summary.byKind.project.budgetFen + summary.byKind.department.budgetFen,
          executedFen: summary.byKind.project.executedFen + summary.byKind.department.executedFen,
          fingerprint: populationFingerprint(ordered),
          summary,
          importedBy: context.actor!.id,
          importedAt: at,
        });
        await insertIndicators(trx, roundId, read.indicators);
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
        return { import: stored, replaced };
      });
      return result;
    },

    async current(roundId: number): Promise<PopulationImport | undefined> {
      await requireRound(roundId);
      return findActiveImport(db, roundId);
    },

    history: (roundId: number) => listImports(db, roundId),

    /**
     * The file an import of this round was made from, as uploaded (`indicators`: the separate
     * indicators file). Each download is a line in the audit log, like an export.
     */
    async importFile(context: AuditContext, roundId: number, importId: number, part: 'file' | 'indicators') {
      const found = (await listImports(db, roundId)).find((i) => i.id === importId);
      const name = part === 'file' ? found?.fileName : found?.indicatorsFileName;
      const sha256 = part === 'file' ? found?.fileSha256 : found?.indicatorsFileSha256;
      const stored = name && sha256 ? await readStoredFile(db, sha256) : undefined;
      if (!stored) throw new NotFound('该批次没有这次导入的文件');
      await appendAudit(db, context, {
        action: 'population.file',
        objectType: 'round',
        objectId: roundId,
        detail: `${name}（导入 ${importId}，SHA-256 ${sha256}）`,
      });
      return { name: name!, content: stored.content, mediaType: stored.mediaType };
    },

    byIds: (ids: number[]) => findSubmissionsByIds(db, ids),

    /** The active import of every round, by round id. */
    byRound: () => activeImportsByRound(db),

    /** A page of the population, filtered, searched, sorted and counted. */
    async page(round: Round, query: PopulationQuery, page: { offset: number; limit: number }) {
      const active = await findActiveImport(db, round.id);
      if (!active) return { active, total: 0, items: [] };
      return { active, ...(await findPopulationPage(db, round.id, query, page)) };
    },

    /** Every record a list selects, in its order, a page at a time (for exports). */
    async *each(round: Round, query: PopulationQuery): AsyncGenerator<Submission> {
      for (let offset = 0; ; offset += EXPORT_PAGE) {
        const { items } = await findPopulationPage(db, round.id, query, { offset, limit: EXPORT_PAGE });
        yield* items;
        if (items.length < EXPORT_PAGE) return;
      }
    },

    /** Taking the whole list away is worth a line in the audit log. */
    recordExport: (context: AuditContext, roundId: number, filter: string) =>
      appendAudit(db, context, {
        action: 'population.export',
        objectType: 'round',
        objectId: roundId,
        detail: filter.slice(0, 500) || '全部',
      }),

    /** One record with its indicators and what the import computed for it, computed again. */
    async record(roundId: number, code: string) {
      const round = await requireRound(roundId);
      const submission = await findSubmissionByCode(db, roundId, code);
      if (!submission) throw new NotFound('该批次中没有这个编码的自评记录');
      const indicators = await findIndicators(db, submission.id);
      return { submission, indicators, assessment: assess(submission, indicators, round.deadline) };
    },
  };
}
