import { Queryable } from '../data/database';
import { jsonNumber } from '../data/engine';
import { insertedId, toBool, toDate, toInt } from '../data/values';
import { Kind } from '../domain/population';
import { ReviewContent, ReviewStatus } from '../domain/review';
import { ReviewSnapshot } from '../domain/reviewHistory';
import { Role } from '../domain/roles';
import { Submission, SubmissionRow, toSubmission } from '../population/repository';

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
  };
}

/** The active draw's picks of a round with their records, assignees and review status. */
export async function findSampleItems(db: Queryable, roundId: number, onlyUserId?: number): Promise<SampleItem[]> {
  const query = samplePicks(db, roundId)
    .select(
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.department',
      'submissions.self_score',
      'submissions.warnings',
      ...PICK_COLUMNS,
    )
    .orderBy([{ column: 'draw_picks.kind', order: 'desc' }, { column: 'draw_picks.rank' }]);
  // Per-object access is part of the query: a reviewer's list holds their items and nothing else.
  if (onlyUserId !== undefined) query.where('assignments.user_id', onlyUserId);
  return ((await query) as Array<Record<string, unknown>>).map(toSampleItem);
}

/**
 * One record of a round by its code with its sample item, in one query; undefined unless the
 * record is in the round's active draw. The picks are indexed by their draw and code.
 */
export async function findSampledRecord(
  db: Queryable,
  roundId: number,
  code: string,
): Promise<{ submission: Submission; item: SampleItem } | undefined> {
  const row = (await samplePicks(db, roundId)
    .where({ 'draw_picks.code': code, 'submissions.code': code })
    .first('submissions.*', ...PICK_COLUMNS)) as Record<string, unknown> | undefined;
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

/** Whether any review of the round has been saved. */
export async function hasReviews(db: Queryable, roundId: number): Promise<boolean> {
  return (await db('reviews').where('round_id', roundId).first('id')) !== undefined;
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
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.department',
      'submissions.self_score',
      'submissions.warnings',
      'reviews.status',
      'reviews.review_score',
      'reviews.updated_at',
    )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    ...recordWithStatus(r),
    roundId: r.round_id as number,
    roundTitle: r.round_title as string,
    blindReview: toBool(r.blind_review),
    updatedAt: r.updated_at ? toDate(r.updated_at) : null,
  }));
}

export interface Review {
  id: number;
  roundId: number;
  submissionId: number;
  status: ReviewStatus;
  reviewScore: number | null;
  qualityScore: number | null;
  comment: string | null;
  content: ReviewContent;
  returnReason: string | null;
  version: number;
  updatedBy: number;
  updatedByName: string;
  updatedAt: Date;
}

export async function findReview(db: Queryable, submissionId: number): Promise<Review | undefined> {
  const row = (await db('reviews')
    .join('users', 'users.id', 'reviews.updated_by')
    .where('reviews.submission_id', submissionId)
    .first('reviews.*', 'users.display_name as updated_by_name')) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    id: row.id as number,
    roundId: row.round_id as number,
    submissionId: row.submission_id as number,
    status: row.status as ReviewStatus,
    reviewScore: row.review_score === null ? null : toInt(row.review_score),
    qualityScore: row.quality_score === null ? null : toInt(row.quality_score),
    comment: row.comment as string | null,
    content: JSON.parse(row.details as string) as ReviewContent,
    returnReason: row.return_reason as string | null,
    version: toInt(row.version),
    updatedBy: row.updated_by as number,
    updatedByName: row.updated_by_name as string,
    updatedAt: toDate(row.updated_at),
  };
}

export interface ReviewWrite {
  status: ReviewStatus;
  reviewScore: number | null;
  qualityScore: number | null;
  comment: string | null;
  content: ReviewContent;
  returnReason: string | null;
}

export async function insertReview(
  db: Queryable,
  roundId: number,
  submissionId: number,
  write: ReviewWrite,
  by: number,
  at: Date,
): Promise<number> {
  return insertedId(
    await db('reviews')
      .insert({
        round_id: roundId,
        submission_id: submissionId,
        status: write.status,
        review_score: write.reviewScore,
        quality_score: write.qualityScore,
        comment: write.comment,
        details: JSON.stringify(write.content),
        return_reason: write.returnReason,
        version: 1,
        updated_by: by,
        updated_at: at,
      })
      .returning('id'),
  );
}

/** Writes only if the stored version is the one the writer read; returns whether it did. */
export async function updateReview(
  db: Queryable,
  id: number,
  version: number,
  write: ReviewWrite,
  by: number,
  at: Date,
): Promise<boolean> {
  const changed = await db('reviews')
    .where({ id, version })
    .update({
      status: write.status,
      review_score: write.reviewScore,
      quality_score: write.qualityScore,
      comment: write.comment,
      details: JSON.stringify(write.content),
      return_reason: write.returnReason,
      version: version + 1,
      updated_by: by,
      updated_at: at,
    });
  return Number(changed) === 1;
}

export async function insertReviewVersion(
  db: Queryable,
  reviewId: number,
  version: number,
  action: string,
  status: ReviewStatus,
  snapshot: unknown,
  reason: string | null,
  by: number,
  at: Date,
): Promise<void> {
  await db('review_versions').insert({
    review_id: reviewId,
    version,
    action,
    status,
    snapshot: JSON.stringify(snapshot),
    reason,
    changed_by: by,
    changed_at: at,
  });
}

export interface VersionListEntry {
  version: number;
  action: string;
  status: ReviewStatus;
  /** The review score this version stored (hundredths), or null. */
  reviewScore: number | null;
  reason: string | null;
  changedByName: string;
  changedByRole: Role;
  changedAt: Date;
}

export interface ReviewVersion extends VersionListEntry {
  snapshot: ReviewSnapshot;
}

/** A review's versions with who made them, the latest first. */
const versionsQuery = (q: Queryable, reviewId: number) =>
  q('review_versions')
    .join('users', 'users.id', 'review_versions.changed_by')
    .where('review_versions.review_id', reviewId)
    .orderBy('review_versions.version', 'desc');
const WRITER_COLUMNS = ['users.display_name as changed_by_name', 'users.role as changed_by_role'];

/** Every version of a review with its snapshot, the latest first: for the history and its diffs. */
export async function findReviewVersions(db: Queryable, reviewId: number): Promise<ReviewVersion[]> {
  const rows = (await versionsQuery(db, reviewId).select('review_versions.*', ...WRITER_COLUMNS)) as Array<
    Record<string, unknown>
  >;
  return rows.map((r) => {
    const snapshot = JSON.parse(r.snapshot as string) as ReviewSnapshot;
    return { ...versionEntry(r), reviewScore: snapshot.reviewScore, snapshot };
  });
}

/**
 * A review's versions without their snapshots, the latest first, up to `latest` of them: what
 * the review page lists. The score is read from the snapshot in the SQL.
 */
export async function findVersionList(db: Queryable, reviewId: number, latest?: number): Promise<VersionListEntry[]> {
  const query = versionsQuery(db, reviewId).select(
    'review_versions.version',
    'review_versions.action',
    'review_versions.status',
    'review_versions.reason',
    'review_versions.changed_at',
    jsonNumber(db, 'review_versions.snapshot', 'reviewScore', 'review_score'),
    ...WRITER_COLUMNS,
  );
  if (latest !== undefined) query.limit(latest);
  const rows = (await query) as Array<Record<string, unknown>>;
  return rows.map((r) => ({ ...versionEntry(r), reviewScore: r.review_score === null ? null : toInt(r.review_score) }));
}

function versionEntry(r: Record<string, unknown>) {
  return {
    version: toInt(r.version),
    action: r.action as string,
    status: r.status as ReviewStatus,
    reason: r.reason as string | null,
    changedByName: r.changed_by_name as string,
    changedByRole: r.changed_by_role as Role,
    changedAt: toDate(r.changed_at),
  };
}
