import { Queryable } from '../data/database';
import { toBool, toDate, toInt } from '../data/values';
import { Kind } from '../domain/population';
import { ReviewStatus } from '../domain/review';
import { Role } from '../domain/roles';
import { Submission, SubmissionRow, toSubmission } from '../population/repository';

/** The sample as review work sees it: its items, who is assigned each, and each reviewer's work. */

export interface SampleItem {
  submissionId: number;
  code: string;
  kind: Kind;
  rank: number;
  reason: string;
  name: string;
  unit: string;
  department: string;
  selfScore: number;
  warnings: number;
  assigneeId: number | null;
  assigneeUsername: string | null;
  assigneeName: string | null;
  assigneeRole: Role | null;
  assigneeOrganisation: string | null;
  status: ReviewStatus | null;
  reviewScore: number | null;
  /** The review's version, for a step taken from a list (confirming several at once). */
  reviewVersion: number | null;
}

/** The active draw's picks of a round, joined to their records, current assignees and reviews. */
function samplePicks(db: Queryable, roundId: number) {
  const query = db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .leftJoin('assignments', function () {
      this.on('assignments.submission_id', '=', 'submissions.id').andOnNull('assignments.ended_at');
    })
    .leftJoin('users', 'users.id', 'assignments.user_id')
    .leftJoin('reviews', 'reviews.submission_id', 'submissions.id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' });
  return query;
}

/** The record columns both item lists show (recordWithStatus reads them). */
const RECORD_COLUMNS = [
  'submissions.code',
  'submissions.kind',
  'submissions.name',
  'submissions.unit',
  'submissions.department',
  'submissions.self_score',
  'submissions.warnings',
];

/** What a sample item adds to its record: the pick, the assignee and the review status. */
const PICK_COLUMNS = [
  'submissions.id as submission_id',
  'draw_picks.rank',
  'draw_picks.reason',
  'users.id as assignee_id',
  'users.username as assignee_username',
  'users.display_name as assignee_name',
  'users.role as assignee_role',
  'users.organisation as assignee_organisation',
  'reviews.status',
  'reviews.review_score',
  'reviews.version as review_version',
];

function toSampleItem(r: Record<string, unknown>): SampleItem {
  return {
    ...recordWithStatus(r),
    submissionId: r.submission_id as number,
    rank: toInt(r.rank),
    reason: r.reason as string,
    assigneeId: (r.assignee_id as number | null) ?? null,
    assigneeUsername: (r.assignee_username as string | null) ?? null,
    assigneeName: (r.assignee_name as string | null) ?? null,
    assigneeRole: (r.assignee_role as Role | null) ?? null,
    assigneeOrganisation: (r.assignee_organisation as string | null) ?? null,
    reviewVersion: r.review_version === null || r.review_version === undefined ? null : toInt(r.review_version),
  };
}

/** The active draw's picks of a round with their records, assignees and review status. */
export async function findSampleItems(db: Queryable, roundId: number, onlyUserId?: number): Promise<SampleItem[]> {
  const query = samplePicks(db, roundId)
    .select(...RECORD_COLUMNS, ...PICK_COLUMNS)
    .orderBy([{ column: 'draw_picks.kind', order: 'desc' }, { column: 'draw_picks.rank' }]);
  // Per-object access is part of the query: a reviewer's list holds their items and nothing else.
  if (onlyUserId !== undefined) query.where('assignments.user_id', onlyUserId);
  return ((await query) as Array<Record<string, unknown>>).map(toSampleItem);
}

/**
 * One record of a round by its code with its sample item, in one query; undefined unless the
 * record is in the round's active draw. The picks are indexed by their draw and code. With
 * `lock`, the record stays locked for the transaction: the item's writes run one at a time
 * (see the locking note in rounds/repository.ts).
 */
export async function findSampledRecord(
  db: Queryable,
  roundId: number,
  code: string,
  { lock = false } = {},
): Promise<{ submission: Submission; item: SampleItem } | undefined> {
  const query = samplePicks(db, roundId).where({ 'draw_picks.code': code, 'submissions.code': code });
  // FOR NO KEY UPDATE: exclusive among the item's writers, yet rows that refer to the record
  // (its review, findings, evidence) can still be inserted by the holder without waiting on itself.
  if (lock) query.forNoKeyUpdate('submissions');
  const row = (await query.first('submissions.*', ...PICK_COLUMNS)) as Record<string, unknown> | undefined;
  return row && { submission: toSubmission(row as unknown as SubmissionRow), item: toSampleItem(row) };
}

/** The record and review-status columns both item lists select. */
function recordWithStatus(r: Record<string, unknown>) {
  return {
    code: r.code as string,
    kind: r.kind as Kind,
    name: r.name as string,
    unit: r.unit as string,
    department: r.department as string,
    selfScore: toInt(r.self_score),
    warnings: toInt(r.warnings),
    status: (r.status as ReviewStatus | null) ?? null,
    reviewScore: r.review_score === null || r.review_score === undefined ? null : toInt(r.review_score),
  };
}

/** Why the assignments of a round ended when its draw was cancelled. */
export const DRAW_CANCELLED = '抽样已作废';

/** Ends every current assignment of a round (its draw was cancelled); returns how many. */
export async function endRoundAssignments(
  db: Queryable,
  roundId: number,
  by: number,
  at: Date,
  reason: string,
): Promise<number> {
  return Number(
    await db('assignments')
      .where('round_id', roundId)
      .whereNull('ended_at')
      .update({ ended_by: by, ended_at: at, end_reason: reason }),
  );
}

export async function endAssignment(
  db: Queryable,
  submissionId: number,
  by: number,
  at: Date,
  reason: string | null = null,
): Promise<void> {
  await db('assignments')
    .where('submission_id', submissionId)
    .whereNull('ended_at')
    .update({ ended_by: by, ended_at: at, end_reason: reason });
}

/** The current assignments of a round to users of an organisation, with their items' department and unit. */
export async function findOrganisationAssignments(db: Queryable, roundId: number, organisation: string) {
  return (await db('assignments')
    .join('users', 'users.id', 'assignments.user_id')
    .join('submissions', 'submissions.id', 'assignments.submission_id')
    .where({ 'assignments.round_id': roundId, 'users.organisation': organisation })
    .whereNull('assignments.ended_at')
    .select(
      'assignments.submission_id as submissionId',
      'submissions.code',
      'submissions.department',
      'submissions.unit',
      'users.username',
    )) as Array<{
    submissionId: number;
    code: string;
    department: string;
    unit: string;
    username: string;
  }>;
}

/** Items of a round whose assignment a conflict declaration ended and that nobody has been given since. */
export async function findEndedByConflict(db: Queryable, roundId: number) {
  const rows = (await db('assignments')
    .join('users', 'users.id', 'assignments.user_id')
    .join('submissions', 'submissions.id', 'assignments.submission_id')
    .where('assignments.round_id', roundId)
    .whereNotNull('assignments.end_reason')
    // Ended with a cancelled draw: not a conflict, and not the new sample's.
    .whereNot('assignments.end_reason', DRAW_CANCELLED)
    .whereNotExists((q) =>
      q
        .select(db.raw('1'))
        .from('assignments as current')
        .whereRaw('current.submission_id = assignments.submission_id')
        .whereNull('current.ended_at'),
    )
    .orderBy('assignments.ended_at', 'desc')
    .select(
      'submissions.code',
      'submissions.name',
      'users.display_name as displayName',
      'users.organisation',
      'assignments.end_reason as reason',
      'assignments.ended_at as endedAt',
    )) as Array<{
    code: string;
    name: string;
    displayName: string;
    organisation: string | null;
    reason: string;
    endedAt: unknown;
  }>;
  return rows.map((r) => ({ ...r, endedAt: toDate(r.endedAt) }));
}

export async function insertAssignment(
  db: Queryable,
  roundId: number,
  submissionId: number,
  userId: number,
  by: number,
  at: Date,
): Promise<void> {
  await db('assignments').insert({
    round_id: roundId,
    submission_id: submissionId,
    user_id: userId,
    assigned_by: by,
    assigned_at: at,
  });
}

/** Every round's items assigned to a user now, with their review status. */
export async function findMyWork(db: Queryable, userId: number) {
  const rows = (await db('assignments')
    .join('submissions', 'submissions.id', 'assignments.submission_id')
    .join('rounds', 'rounds.id', 'assignments.round_id')
    .leftJoin('reviews', 'reviews.submission_id', 'submissions.id')
    .where('assignments.user_id', userId)
    .whereNull('assignments.ended_at')
    .orderBy([{ column: 'rounds.id', order: 'desc' }, { column: 'submissions.code' }])
    .select(
      'rounds.id as round_id',
      'rounds.title as round_title',
      'rounds.blind_review',
      ...RECORD_COLUMNS,
      'reviews.status',
      'reviews.review_score',
      'reviews.return_reason',
      'reviews.updated_at',
    )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    ...recordWithStatus(r),
    roundId: r.round_id as number,
    roundTitle: r.round_title as string,
    blindReview: toBool(r.blind_review),
    returnReason: (r.return_reason as string | null) ?? null,
    updatedAt: r.updated_at ? toDate(r.updated_at) : null,
  }));
}
