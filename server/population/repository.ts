import { Knex } from 'knex';
import { insertRows, Value } from '../data/bulk';
import { Queryable } from '../data/database';
import { whereContains } from '../data/engine';
import { countOf, toInt } from '../data/values';
import { Grade, gradeFor, scoreBand } from '../domain/grades';
import { canonicalOrder, PopulationRecord } from '../domain/sampling';
import { IndicatorInput, Kind, SubmissionInput } from '../domain/population';
import { WARNINGS, WarningKey } from '../domain/warnings';
import { SUBMISSION_COLUMNS } from './reading';

/** A round's population: its records (submissions) and their indicators. */

export const bigintOf = (value: unknown): bigint =>
  value === null || value === undefined ? 0n : BigInt(value as string | number);

const INDICATOR_COLUMNS = [
  'submission_id',
  'round_id',
  'row_number',
  'position',
  'level1',
  'level2',
  'level3',
  'nature',
  'target',
  'unit',
  'weight',
  'actual',
  'score',
  'is_execution',
];

/** Stores the rows `reading.ts` made of a population file (SUBMISSION_COLUMNS, in that order). */
export async function insertSubmissions(db: Knex.Transaction, rows: Value[][]): Promise<void> {
  await insertRows(db, 'submissions', SUBMISSION_COLUMNS, rows);
}

export async function insertIndicators(
  db: Knex.Transaction,
  roundId: number,
  indicators: Array<IndicatorInput & { isExecution: boolean }>,
): Promise<void> {
  if (indicators.length === 0) return;
  const ids = new Map<string, number>();
  for (const row of (await db('submissions').where('round_id', roundId).select('id', 'code')) as Array<{
    id: number;
    code: string;
  }>)
    ids.set(row.code, row.id);
  const rows = indicators.map((i) => [
    ids.get(i.code)!,
    roundId,
    i.rowNumber,
    i.position,
    i.level1,
    i.level2,
    i.level3,
    i.nature,
    i.target,
    i.unit,
    i.weight,
    i.actual,
    i.score,
    i.isExecution,
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

/**
 * Marks the records of units that earlier years left with something open: a rectification task
 * not accepted (整改未销号), or a problem found on the unit in two earlier rounds (问题重复). By
 * the unit's name; earlier means an earlier fiscal year. Returns how many records each marks.
 */
export async function markHistory(
  db: Queryable,
  roundId: number,
  fiscalYear: number,
): Promise<{ unrectified: number; recurring: number }> {
  const earlierRounds = (q: import('knex').Knex.QueryBuilder) =>
    q.from('rounds').where('fiscal_year', '<', fiscalYear).select('id');
  const unrectified = (
    (await db('rectifications')
      .join('submissions', 'submissions.id', 'rectifications.submission_id')
      .whereIn('rectifications.round_id', earlierRounds)
      .whereNot('rectifications.status', 'accepted')
      .distinct('submissions.unit')) as Array<{ unit: string }>
  ).map((r) => r.unit);
  const recurring = (
    (await db('findings')
      .join('submissions', 'submissions.id', 'findings.submission_id')
      .join('reviews', 'reviews.submission_id', 'submissions.id')
      .whereIn('findings.round_id', earlierRounds)
      .whereNull('findings.withdrawn_at')
      .where('reviews.status', 'confirmed')
      .groupBy('submissions.unit', 'findings.category')
      .havingRaw('count(distinct findings.round_id) > 1')
      .select('submissions.unit')) as Array<{ unit: string }>
  ).map((r) => r.unit);
  const mark = async (units: string[], bit: number) =>
    units.length
      ? Number(
          await db('submissions')
            .where('round_id', roundId)
            .whereIn('unit', [...new Set(units)])
            .update({ warnings: db.raw('warnings | ?', [bit]) }),
        )
      : 0;
  return {
    unrectified: await mark(unrectified, WARNINGS.unrectified.bit),
    recurring: await mark(recurring, WARNINGS.recurring.bit),
  };
}

/** The codes of the round's records that carry a warning sign. */
export async function findWarnedCodes(db: Queryable, roundId: number, bit: number): Promise<string[]> {
  const rows = (await db('submissions')
    .where('round_id', roundId)
    .whereRaw('(warnings & ?) <> 0', [bit])
    .orderBy('code')
    .select('code')) as Array<{ code: string }>;
  return rows.map((r) => r.code);
}

export async function countLate(db: Queryable, roundId: number): Promise<number> {
  return countOf(
    await db('submissions')
      .where('round_id', roundId)
      .whereRaw('(warnings & ?) <> 0', [WARNINGS.late.bit])
      .count({ n: '*' })
      .first(),
  );
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
  const details = row.details
    ? (JSON.parse(row.details) as { contact: string | null; note: string | null; extra: Record<string, string> | null })
    : null;
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
export async function findPopulationPage(
  db: Queryable,
  roundId: number,
  query: PopulationQuery,
  page: { offset: number; limit: number },
): Promise<{ total: number; items: Submission[] }> {
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
    const found = (await db('submissions')
      .whereIn('id', ids.slice(start, start + 500))
      .select('*')) as SubmissionRow[];
    for (const row of found) rows.set(row.id, toSubmission(row));
  }
  return ids.map((id) => rows.get(id)).filter((s): s is Submission => s !== undefined);
}

/** The records FUHE-DRAW-1 reads: code, kind, budget and self-score, in canonical order. */
export async function findPopulationRecords(db: Queryable, roundId: number): Promise<readonly PopulationRecord[]> {
  const rows = (await db('submissions')
    .where('round_id', roundId)
    .orderBy('code')
    .select('code', 'kind', 'budget_fen', 'self_score')) as Array<Record<string, unknown>>;
  // The database's collation may differ from FUHE-DRAW-1's (UTF-16 code units): canonicalOrder checks, and sorts if it must.
  return canonicalOrder(
    rows.map((r) => ({
      code: r.code as string,
      kind: r.kind as Kind,
      budgetFen: bigintOf(r.budget_fen),
      selfScore: toInt(r.self_score),
    })),
  );
}

/** The ids of a round's records with these codes, by code. */
export async function findSubmissionIds(db: Queryable, roundId: number, codes: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let start = 0; start < codes.length; start += 500) {
    const rows = (await db('submissions')
      .where('round_id', roundId)
      .whereIn('code', codes.slice(start, start + 500))
      .select('id', 'code')) as Array<{ id: number; code: string }>;
    for (const row of rows) ids.set(row.code, row.id);
  }
  return ids;
}

/** Whether the round's population has a record of this department or unit. */
export async function hasSubmissionsOf(
  db: Queryable,
  roundId: number,
  column: 'department' | 'unit',
  name: string,
): Promise<boolean> {
  return (
    (await db('submissions')
      .where({ round_id: roundId, [column]: name })
      .first('id')) !== undefined
  );
}

export async function findSubmissionByCode(
  db: Queryable,
  roundId: number,
  code: string,
): Promise<Submission | undefined> {
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
  const rows = (await db('indicators').where('submission_id', submissionId).orderBy('position')) as Array<
    Record<string, unknown>
  >;
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
