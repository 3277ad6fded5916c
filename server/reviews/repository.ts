import { Queryable } from '../data/database';
import { jsonNumber } from '../data/engine';
import { insertedId, toDate, toInt } from '../data/values';
import { ReviewContent, ReviewStatus } from '../domain/review';
import { ReviewSnapshot } from '../domain/reviewHistory';
import { Role } from '../domain/roles';

/** Reviews and their versions (append-only). */

/** Whether any review of the round has been saved. */
export async function hasReviews(db: Queryable, roundId: number): Promise<boolean> {
  return (await db('reviews').where('round_id', roundId).first('id')) !== undefined;
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
 * The versions of an item's review without their snapshots, the latest first, up to `latest` of them: what
 * the review page lists. The score is read from the snapshot in the SQL.
 */
export async function findVersionList(
  db: Queryable,
  submissionId: number,
  latest?: number,
): Promise<VersionListEntry[]> {
  // By the item rather than its review's id, so that it can be read beside the review itself.
  const query = db('review_versions')
    .join('reviews', 'reviews.id', 'review_versions.review_id')
    .join('users', 'users.id', 'review_versions.changed_by')
    .where('reviews.submission_id', submissionId)
    .orderBy('review_versions.version', 'desc')
    .select(
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
