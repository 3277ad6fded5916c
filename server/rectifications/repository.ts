import { Queryable } from '../data/database';
import { toBool, toDate, toInt } from '../data/values';
import { Kind } from '../domain/population';
import { RectificationStatus } from '../domain/rectification';
import { evidenceIdsColumn, evidenceIdsOf } from '../findings/repository';
import { coveredBy } from '../units/repository';

/** Rectification tasks (整改事项) and their steps, append-only. */

export interface Rectification {
  id: number;
  roundId: number;
  submissionId: number;
  findingId: number;
  code: string;
  kind: Kind;
  name: string;
  unit: string;
  department: string;
  category: string;
  categoryTitle: string;
  finding: string;
  dueDate: string;
  status: RectificationStatus;
  measures: string | null;
  result: string | null;
  evidenceIds: number[];
  returnReason: string | null;
  recordedByLead: boolean;
  version: number;
  updatedByName: string | null;
  updatedAt: Date;
}

export interface RectificationStep {
  rectificationId: number;
  version: number;
  action: string;
  status: RectificationStatus;
  measures: string | null;
  result: string | null;
  reason: string | null;
  recordedByLead: boolean;
  byName: string | null;
  at: Date;
}

/**
 * A task for every standing finding on the round's sampled items that has none yet, due on
 * `dueDate`, each with its first step. Returns the ids made.
 */
export async function insertMissingTasks(db: Queryable, roundId: number, dueDate: string, at: Date): Promise<number[]> {
  const findings = (await db('findings')
    .join('draw_picks', 'draw_picks.submission_id', 'findings.submission_id')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .leftJoin('rectifications', 'rectifications.finding_id', 'findings.id')
    .where({ 'findings.round_id': roundId, 'draws.round_id': roundId, 'draws.status': 'active' })
    .whereNull('findings.withdrawn_at')
    .whereNull('rectifications.id')
    .orderBy('findings.id')
    .select('findings.id', 'findings.submission_id')) as Array<{ id: number; submission_id: number }>;
  const ids: number[] = [];
  for (const f of findings) {
    const [row] = (await db('rectifications')
      .insert({
        round_id: roundId,
        submission_id: f.submission_id,
        finding_id: f.id,
        due_date: dueDate,
        status: 'open',
        version: 1,
        created_at: at,
        updated_at: at,
      })
      .returning('id')) as Array<{ id: number | string }>;
    const id = Number(row.id);
    await db('rectification_steps').insert({
      rectification_id: id,
      version: 1,
      action: 'create',
      status: 'open',
      at,
    });
    ids.push(id);
  }
  return ids;
}

function selectTasks(db: Queryable) {
  return db('rectifications')
    .join('submissions', 'submissions.id', 'rectifications.submission_id')
    .join('findings', 'findings.id', 'rectifications.finding_id')
    .join('finding_categories', 'finding_categories.code', 'findings.category')
    .leftJoin('users', 'users.id', 'rectifications.updated_by')
    .orderBy([{ column: 'submissions.department' }, { column: 'submissions.code' }, { column: 'rectifications.id' }])
    .select(
      'rectifications.*',
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.department',
      'findings.category',
      'finding_categories.title as category_title',
      'findings.description as finding',
      'users.display_name as updated_by_name',
    );
}

function toTask(r: Record<string, unknown>): Rectification {
  return {
    id: r.id as number,
    roundId: r.round_id as number,
    submissionId: r.submission_id as number,
    findingId: r.finding_id as number,
    code: r.code as string,
    kind: r.kind as Kind,
    name: r.name as string,
    unit: r.unit as string,
    department: r.department as string,
    category: r.category as string,
    categoryTitle: r.category_title as string,
    finding: r.finding as string,
    dueDate: r.due_date as string,
    status: r.status as RectificationStatus,
    measures: (r.measures as string | null) ?? null,
    result: (r.result as string | null) ?? null,
    evidenceIds: evidenceIdsOf(r.evidence_ids),
    returnReason: (r.return_reason as string | null) ?? null,
    recordedByLead: toBool(r.recorded_by_lead),
    version: toInt(r.version),
    updatedByName: (r.updated_by_name as string | null) ?? null,
    updatedAt: toDate(r.updated_at),
  };
}

/** Tasks of a round, of one submission, or one by its id. */
export async function findTasks(
  db: Queryable,
  where: { roundId: number } | { submissionIds: number[] } | { id: number },
): Promise<Rectification[]> {
  const query = selectTasks(db);
  if ('roundId' in where) query.where('rectifications.round_id', where.roundId);
  else if ('id' in where) query.where('rectifications.id', where.id);
  else query.whereIn('rectifications.submission_id', where.submissionIds);
  return ((await query) as Array<Record<string, unknown>>).map(toTask);
}

/** A unit contact's tasks, through its units and departments, in the query itself. */
export async function findUnitTasks(db: Queryable, userId: number): Promise<Rectification[]> {
  const query = selectTasks(db).andWhere(coveredBy(userId));
  return ((await query) as Array<Record<string, unknown>>).map(toTask);
}

export async function findSteps(db: Queryable, ids: number[]): Promise<RectificationStep[]> {
  if (!ids.length) return [];
  const rows = (await db('rectification_steps')
    .leftJoin('users', 'users.id', 'rectification_steps.by')
    .whereIn('rectification_steps.rectification_id', ids)
    .orderBy([{ column: 'rectification_steps.rectification_id' }, { column: 'rectification_steps.version' }])
    .select('rectification_steps.*', 'users.display_name as by_name')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    rectificationId: r.rectification_id as number,
    version: toInt(r.version),
    action: r.action as string,
    status: r.status as RectificationStatus,
    measures: (r.measures as string | null) ?? null,
    result: (r.result as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    recordedByLead: toBool(r.recorded_by_lead),
    byName: (r.by_name as string | null) ?? null,
    at: toDate(r.at),
  }));
}

export interface TaskWrite {
  status: RectificationStatus;
  measures: string | null;
  result: string | null;
  evidenceIds: number[];
  returnReason: string | null;
  recordedByLead: boolean;
}

/** The task's next state at the version read, and its step; false when the version moved on. */
export async function writeTask(
  db: Queryable,
  id: number,
  version: number,
  action: string,
  write: TaskWrite,
  reason: string | null,
  by: number,
  at: Date,
): Promise<boolean> {
  const changed = await db('rectifications')
    .where({ id, version })
    .update({
      status: write.status,
      measures: write.measures,
      result: write.result,
      evidence_ids: evidenceIdsColumn(write.evidenceIds),
      return_reason: write.returnReason,
      recorded_by_lead: write.recordedByLead,
      version: version + 1,
      updated_by: by,
      updated_at: at,
    });
  if (Number(changed) !== 1) return false;
  await db('rectification_steps').insert({
    rectification_id: id,
    version: version + 1,
    action,
    status: write.status,
    measures: write.measures,
    result: write.result,
    evidence_ids: evidenceIdsColumn(write.evidenceIds),
    reason,
    recorded_by_lead: write.recordedByLead,
    by,
    at,
  });
  return true;
}

/** Whether the item has a task its unit may still write (open or returned): its files may still come. */
export async function hasWritableTask(db: Queryable, submissionId: number): Promise<boolean> {
  const row = await db('rectifications')
    .where('submission_id', submissionId)
    .whereIn('status', ['open', 'returned'])
    .first('id');
  return row !== undefined;
}
