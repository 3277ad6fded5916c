import { Knex } from 'knex';
import { insertRows, Value } from '../data/bulk';
import { Queryable } from '../data/database';
import { whereContains } from '../data/engine';
import { countOf, insertedId, toDate, toInt } from '../data/values';
import { Grade, gradeFor, scoreBand } from '../domain/grades';
import { canonicalOrder, PopulationRecord } from '../domain/sampling';
import { IndicatorInput, Kind, PopulationSummary, SubmissionInput, DepartmentTotals } from '../domain/population';
import { WARNINGS, WarningKey } from '../domain/warnings';
import { SUBMISSION_COLUMNS } from './reading';

export interface StoredFileInput {
  sha256: string;
  size: number;
  mediaType: string;
  content: Buffer;
}

/** Content-addressed: storing the same bytes twice keeps one copy. */
export async function storeFile(db: Queryable, file: StoredFileInput, at: Date): Promise<void> {
  const existing = await db('stored_files').where('sha256', file.sha256).first('sha256');
  if (existing) return;
  await db('stored_files').insert({ sha256: file.sha256, size: file.size, media_type: file.mediaType, content: file.content, created_at: at });
}

export async function readStoredFile(db: Queryable, sha256: string): Promise<{ content: Buffer; mediaType: string } | undefined> {
  const row = (await db('stored_files').where('sha256', sha256).first('content', 'media_type')) as { content: Buffer; media_type: string } | undefined;
  return row && { content: Buffer.from(row.content), mediaType: row.media_type };
}

export interface PopulationImport {
  id: number;
  roundId: number;
  status: 'active' | 'replaced';
  fileName: string;
  fileSha256: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  indicatorsFileName: string | null;
  indicatorsFileSha256: string | null;
  recordCount: number;
  projectCount: number;
  departmentCount: number;
  indicatorCount: number;
  budgetFen: bigint;
  executedFen: bigint;
  fingerprint: string;
  summary: PopulationSummary;
  importedBy: number;
  importedByName: string;
  importedAt: Date;
  replacedAt: Date | null;
}

type JsonSummary = Omit<PopulationSummary, 'byKind' | 'byDepartment'> & {
  byKind: Record<Kind, { count: number; budgetFen: string; executedFen: string }>;
  byDepartment: Array<Omit<DepartmentTotals, 'budgetFen'> & { budgetFen: string }>;
};

export function summaryToJson(summary: PopulationSummary): string {
  const json: JsonSummary = {
    ...summary,
    byKind: {
      project: { ...summary.byKind.project, budgetFen: String(summary.byKind.project.budgetFen), executedFen: String(summary.byKind.project.executedFen) },
      department: { ...summary.byKind.department, budgetFen: String(summary.byKind.department.budgetFen), executedFen: String(summary.byKind.department.executedFen) },
    },
    byDepartment: summary.byDepartment.map((d) => ({ ...d, budgetFen: String(d.budgetFen) })),
  };
  return JSON.stringify(json);
}

function summaryFromJson(text: string): PopulationSummary {
  const json = JSON.parse(text) as JsonSummary;
  const kind = (k: Kind) => ({ count: json.byKind[k].count, budgetFen: BigInt(json.byKind[k].budgetFen), executedFen: BigInt(json.byKind[k].executedFen) });
  return {
    ...json,
    byKind: { project: kind('project'), department: kind('department') },
    byDepartment: json.byDepartment.map((d) => ({ ...d, budgetFen: BigInt(d.budgetFen) })),
  };
}

interface ImportRow {
  id: number;
  round_id: number;
  status: 'active' | 'replaced';
  file_name: string;
  file_sha256: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  indicators_file_name: string | null;
  indicators_file_sha256: string | null;
  record_count: unknown;
  project_count: unknown;
  department_count: unknown;
  indicator_count: unknown;
  budget_fen: unknown;
  executed_fen: unknown;
  fingerprint: string;
  summary: string;
  imported_by: number;
  imported_by_name: string;
  imported_at: unknown;
  replaced_at: unknown;
}

const bigintOf = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as string | number));

function toImport(row: ImportRow): PopulationImport {
  return {
    id: row.id,
    roundId: row.round_id,
    status: row.status,
    fileName: row.file_name,
    fileSha256: row.file_sha256,
    format: row.format,
    encoding: row.encoding,
    indicatorsFileName: row.indicators_file_name,
    indicatorsFileSha256: row.indicators_file_sha256,
    recordCount: toInt(row.record_count),
    projectCount: toInt(row.project_count),
    departmentCount: toInt(row.department_count),
    indicatorCount: toInt(row.indicator_count),
    budgetFen: bigintOf(row.budget_fen),
    executedFen: bigintOf(row.executed_fen),
    fingerprint: row.fingerprint,
    summary: summaryFromJson(row.summary),
    importedBy: row.imported_by,
    importedByName: row.imported_by_name,
    importedAt: toDate(row.imported_at),
    replacedAt: row.replaced_at === null || row.replaced_at === undefined ? null : toDate(row.replaced_at),
  };
}

function selectImports(db: Queryable) {
  return db('population_imports')
    .join('users', 'users.id', 'population_imports.imported_by')
    .select('population_imports.*', 'users.display_name as imported_by_name');
}

export async function findActiveImport(db: Queryable, roundId: number): Promise<PopulationImport | undefined> {
  const row = (await selectImports(db).where({ 'population_imports.round_id': roundId, 'population_imports.status': 'active' }).first()) as ImportRow | undefined;
  return row && toImport(row);
}

/** The active import of every round that has one, for the round list. */
export async function activeImportsByRound(db: Queryable): Promise<Map<number, PopulationImport>> {
  const rows = (await selectImports(db).where('population_imports.status', 'active')) as ImportRow[];
  return new Map(rows.map((row) => [row.round_id, toImport(row)]));
}

export async function listImports(db: Queryable, roundId: number): Promise<PopulationImport[]> {
  const rows = (await selectImports(db).where('population_imports.round_id', roundId).orderBy('population_imports.id', 'desc')) as ImportRow[];
  return rows.map(toImport);
}

export type NewImport = Omit<PopulationImport, 'id' | 'status' | 'importedByName' | 'replacedAt'>;

export async function insertImport(db: Queryable, value: NewImport): Promise<number> {
  return insertedId((await db('population_imports')
    .insert({
      round_id: value.roundId,
      status: 'active',
      file_name: value.fileName,
      file_sha256: value.fileSha256,
      format: value.format,
      encoding: value.encoding,
      indicators_file_name: value.indicatorsFileName,
      indicators_file_sha256: value.indicatorsFileSha256,
      record_count: value.recordCount,
      project_count: value.projectCount,
      department_count: value.departmentCount,
      indicator_count: value.indicatorCount,
      budget_fen: String(value.budgetFen),
      executed_fen: String(value.executedFen),
      fingerprint: value.fingerprint,
      summary: summaryToJson(value.summary),
      imported_by: value.importedBy,
      imported_at: value.importedAt,
    })
    .returning('id')) as Array<{ id: number } | number>);
}

/** Marks the round's active import replaced and removes its records; its files stay. */
export async function retirePopulation(db: Queryable, roundId: number, at: Date): Promise<void> {
  await db('indicators').where('round_id', roundId).delete();
  await db('submissions').where('round_id', roundId).delete();
  await db('population_imports').where({ round_id: roundId, status: 'active' }).update({ status: 'replaced', replaced_at: at });
}

export async function updateImportSummary(db: Queryable, importId: number, summary: PopulationSummary): Promise<void> {
  await db('population_imports').where('id', importId).update({ summary: summaryToJson(summary) });
}

const INDICATOR_COLUMNS = [
  'submission_id', 'round_id', 'row_number', 'position', 'level1', 'level2', 'level3', 'nature', 'target',
  'unit', 'weight', 'actual', 'score', 'is_execution',
];

/** Stores the rows `reading.ts` made of a population file (SUBMISSION_COLUMNS, in that order). */
export async function insertSubmissions(db: Knex.Transaction, rows: Value[][]): Promise<void> {
  await insertRows(db, 'submissions', SUBMISSION_COLUMNS, rows);
}

export async function insertIndicators(db: Knex.Transaction, roundId: number, indicators: Array<IndicatorInput & { isExecution: boolean }>): Promise<void> {
  if (indicators.length === 0) return;
  const ids = new Map<string, number>();
  for (const row of (await db('submissions').where('round_id', roundId).select('id', 'code')) as Array<{ id: number; code: string }>) ids.set(row.code, row.id);
  const rows = indicators.map((i) => [
    ids.get(i.code)!, roundId, i.rowNumber, i.position, i.level1, i.level2, i.level3, i.nature, i.target, i.unit,
    i.weight, i.actual, i.score, i.isExecution,
  ]);
  await insertRows(db, 'indicators', INDICATOR_COLUMNS, rows);
}

/** Sets or clears the late bit of every record after the round's deadline changed. */
export async function refreshLateWarnings(db: Queryable, roundId: number, deadline: string | null): Promise<void> {
  const bit = WARNINGS.late.bit;
  await db('submissions')
    .where('round_id', roundId)
    .update({
      warnings: deadline
        ? db.raw('(warnings & ?) | (case when submitted_on > ? then ? else 0 end)', [~bit & 0x7fffffff, deadline, bit])
        : db.raw('warnings & ?', [~bit & 0x7fffffff]),
    });
}

export async function countLate(db: Queryable, roundId: number): Promise<number> {
  return countOf(await db('submissions').where('round_id', roundId).whereRaw('(warnings & ?) <> 0', [WARNINGS.late.bit]).count({ n: '*' }).first());
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A stored self-evaluation: what was imported, and what the import computed for it. */
export interface Submission extends SubmissionInput {
  id: number;
  roundId: number;
  /** The grade the self-score earns. */
  scoreGrade: Grade;
  executionRateBp: number | null;
  warnings: number;
  indicatorCount: number;
}

export interface SubmissionRow {
  id: number;
  round_id: number;
  row_number: unknown;
  kind: Kind;
  code: string;
  department: string;
  unit: string;
  name: string;
  funding_source: string | null;
  budget_fen: unknown;
  executed_fen: unknown;
  self_score: unknown;
  self_grade: Grade | null;
  submitted_on: string | null;
  execution_rate_bp: unknown;
  warnings: unknown;
  indicator_count: unknown;
  details: string | null;
}

const intOrNull = (value: unknown) => (value === null || value === undefined ? null : toInt(value));

export function toSubmission(row: SubmissionRow): Submission {
  const details = row.details ? (JSON.parse(row.details) as { contact: string | null; note: string | null; extra: Record<string, string> | null }) : null;
  const selfScore = toInt(row.self_score);
  return {
    id: row.id,
    roundId: row.round_id,
    rowNumber: toInt(row.row_number),
    kind: row.kind,
    code: row.code,
    department: row.department,
    unit: row.unit,
    name: row.name,
    fundingSource: row.funding_source,
    budgetFen: bigintOf(row.budget_fen),
    executedFen: row.executed_fen === null || row.executed_fen === undefined ? null : bigintOf(row.executed_fen),
    selfScore,
    selfGrade: row.self_grade,
    scoreGrade: gradeFor(selfScore),
    submittedOn: row.submitted_on,
    contact: details?.contact ?? null,
    note: details?.note ?? null,
    extra: details?.extra ?? null,
    executionRateBp: intOrNull(row.execution_rate_bp),
    warnings: toInt(row.warnings),
    indicatorCount: toInt(row.indicator_count),
  };
}

export const SORTS = {
  code: { label: '编码' },
  budget: { label: '预算数' },
  selfScore: { label: '自评得分' },
  executionRate: { label: '执行率' },
  department: { label: '主管部门' },
} as const;
export type SortKey = keyof typeof SORTS;

export interface PopulationQuery {
  kind?: Kind;
  department?: string;
  grade?: Grade;
  warning?: WarningKey;
  /** Part of the code, name or unit. */
  q?: string;
  sort: SortKey;
  descending: boolean;
}

/** The columns a list sorts by; every order ends with the code, so that ties are in code order. */
const SORT_COLUMNS: Record<SortKey, string> = {
  code: 'code',
  budget: 'budget_fen',
  selfScore: 'self_score',
  // Records without an execution rate sort as the lowest rate on both engines.
  executionRate: 'coalesce(execution_rate_bp, -1)',
  department: 'department',
};

/** A round's records narrowed by a list's filters, in no order yet. */
function selected(db: Queryable, roundId: number, query: PopulationQuery) {
  const q = db('submissions').where('round_id', roundId);
  if (query.kind) q.where('kind', query.kind);
  if (query.department) q.where('department', query.department);
  if (query.grade) q.whereBetween('self_score', scoreBand(query.grade));
  if (query.warning) q.whereRaw('(warnings & ?) <> 0', [WARNINGS[query.warning].bit]);
  if (query.q) whereContains(q, db, ['code', 'name', 'unit'], query.q);
  return q;
}

/** A page of a round's population as a list shows it: filtered, searched, sorted, and counted. */
export async function findPopulationPage(db: Queryable, roundId: number, query: PopulationQuery, page: { offset: number; limit: number }): Promise<{ total: number; items: Submission[] }> {
  const [{ n }] = (await selected(db, roundId, query).count({ n: '*' })) as Array<{ n: unknown }>;
  const rows = (await selected(db, roundId, query)
    .orderByRaw(`${SORT_COLUMNS[query.sort]} ${query.descending ? 'desc' : 'asc'}, code asc`)
    .offset(page.offset)
    .limit(page.limit)
    .select('*')) as SubmissionRow[];
  return { total: toInt(n), items: rows.map(toSubmission) };
}

/** The records with these ids, in the order given. */
export async function findSubmissionsByIds(db: Queryable, ids: number[]): Promise<Submission[]> {
  const rows = new Map<number, Submission>();
  for (let start = 0; start < ids.length; start += 500) {
    const found = (await db('submissions').whereIn('id', ids.slice(start, start + 500)).select('*')) as SubmissionRow[];
    for (const row of found) rows.set(row.id, toSubmission(row));
  }
  return ids.map((id) => rows.get(id)).filter((s): s is Submission => s !== undefined);
}

/** The records FUHE-DRAW-1 reads: code, kind, budget and self-score, in canonical order. */
export async function findPopulationRecords(db: Queryable, roundId: number): Promise<readonly PopulationRecord[]> {
  const rows = (await db('submissions').where('round_id', roundId).orderBy('code').select('code', 'kind', 'budget_fen', 'self_score')) as Array<Record<string, unknown>>;
  // The database's collation may differ from FUHE-DRAW-1's (UTF-16 code units): canonicalOrder checks, and sorts if it must.
  return canonicalOrder(rows.map((r) => ({ code: r.code as string, kind: r.kind as Kind, budgetFen: bigintOf(r.budget_fen), selfScore: toInt(r.self_score) })));
}

/** Whether the round's population has a record of this department or unit. */
export async function hasSubmissionsOf(db: Queryable, roundId: number, column: 'department' | 'unit', name: string): Promise<boolean> {
  return (await db('submissions').where({ round_id: roundId, [column]: name }).first('id')) !== undefined;
}

export async function findSubmissionByCode(db: Queryable, roundId: number, code: string): Promise<Submission | undefined> {
  const row = (await db('submissions').where({ round_id: roundId, code }).first()) as SubmissionRow | undefined;
  return row && toSubmission(row);
}

export interface Indicator {
  id: number;
  rowNumber: number;
  position: number;
  level1: string;
  level2: string | null;
  level3: string;
  nature: string | null;
  target: string | null;
  unit: string | null;
  weight: number;
  actual: string | null;
  score: number;
  isExecution: boolean;
}

export async function findIndicators(db: Queryable, submissionId: number): Promise<Indicator[]> {
  const rows = (await db('indicators').where('submission_id', submissionId).orderBy('position')) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    id: row.id as number,
    rowNumber: toInt(row.row_number),
    position: toInt(row.position),
    level1: row.level1 as string,
    level2: row.level2 as string | null,
    level3: row.level3 as string,
    nature: row.nature as string | null,
    target: row.target as string | null,
    unit: row.unit as string | null,
    weight: toInt(row.weight),
    actual: row.actual as string | null,
    score: toInt(row.score),
    isExecution: row.is_execution === true || row.is_execution === 1,
  }));
}
