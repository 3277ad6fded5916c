import { Queryable } from '../data/database';
import { insertedId, toDate, toInt } from '../data/values';
import { AnnouncedItem, AnnouncementFigures, AnnouncementStatus, Section } from '../domain/announcement';
import { Kind } from '../domain/population';

/** What the lead has written into a draft, beside the generated text. */
export interface AnnouncementDocument {
  /** Edited sections by key; a section not here follows the generated text. */
  edits: Record<string, string>;
  /** The figure values each edited section was saved against, to spot numbers that went stale. */
  savedWith: Record<string, Record<string, string>>;
  /** 整改期限, YYYY-MM-DD. */
  deadline: string;
  /** Problem sections whose default cause the lead has read and keeps as it is. */
  reviewedCauses?: string[];
}

export interface Announcement {
  id: number;
  roundId: number;
  version: number;
  status: AnnouncementStatus;
  title: string;
  document: AnnouncementDocument;
  figures: AnnouncementFigures;
  publishedSections: Section[] | null;
  correctionNote: string | null;
  slug: string | null;
  revision: number;
  createdAt: Date;
  updatedByName: string;
  updatedAt: Date;
  submittedByName: string | null;
  submittedAt: Date | null;
  publishedByName: string | null;
  publishedAt: Date | null;
}

function select(db: Queryable) {
  return db('announcements')
    .join('users as updater', 'updater.id', 'announcements.updated_by')
    .leftJoin('users as submitter', 'submitter.id', 'announcements.submitted_by')
    .leftJoin('users as publisher', 'publisher.id', 'announcements.published_by')
    .select(
      'announcements.*',
      'updater.display_name as updated_by_name',
      'submitter.display_name as submitted_by_name',
      'publisher.display_name as published_by_name',
    );
}

function toAnnouncement(r: Record<string, unknown>): Announcement {
  return {
    id: r.id as number,
    roundId: r.round_id as number,
    version: toInt(r.version),
    status: r.status as AnnouncementStatus,
    title: r.title as string,
    document: JSON.parse(r.document as string) as AnnouncementDocument,
    figures: JSON.parse(r.figures as string) as AnnouncementFigures,
    publishedSections: r.published_sections ? (JSON.parse(r.published_sections as string) as Section[]) : null,
    correctionNote: (r.correction_note as string | null) ?? null,
    slug: (r.slug as string | null) ?? null,
    revision: toInt(r.revision),
    createdAt: toDate(r.created_at),
    updatedByName: r.updated_by_name as string,
    updatedAt: toDate(r.updated_at),
    submittedByName: (r.submitted_by_name as string | null) ?? null,
    submittedAt: r.submitted_at ? toDate(r.submitted_at) : null,
    publishedByName: (r.published_by_name as string | null) ?? null,
    publishedAt: r.published_at ? toDate(r.published_at) : null,
  };
}

/** The draft or submitted version of a round, if any. */
export async function findOpen(db: Queryable, roundId: number): Promise<Announcement | undefined> {
  const row = (await select(db)
    .where('announcements.round_id', roundId)
    .whereIn('announcements.status', ['draft', 'submitted'])
    .first()) as Record<string, unknown> | undefined;
  return row && toAnnouncement(row);
}

/** Published versions of a round, newest first. */
export async function findPublished(db: Queryable, roundId: number): Promise<Announcement[]> {
  const rows = (await select(db)
    .where({ 'announcements.round_id': roundId, 'announcements.status': 'published' })
    .orderBy('announcements.version', 'desc')) as Array<Record<string, unknown>>;
  return rows.map(toAnnouncement);
}

export async function findPublishedBySlug(db: Queryable, slug: string): Promise<Announcement[]> {
  const rows = (await select(db)
    .where({ 'announcements.slug': slug, 'announcements.status': 'published' })
    .orderBy('announcements.version', 'desc')) as Array<Record<string, unknown>>;
  return rows.map(toAnnouncement);
}

export async function listVersions(db: Queryable, roundId: number): Promise<Announcement[]> {
  const rows = (await select(db).where('announcements.round_id', roundId).orderBy('announcements.id', 'desc')) as Array<
    Record<string, unknown>
  >;
  return rows.map(toAnnouncement);
}

export interface NewAnnouncement {
  roundId: number;
  version: number;
  title: string;
  document: AnnouncementDocument;
  figures: AnnouncementFigures;
  correctionNote: string | null;
  slug: string | null;
}

export async function insertAnnouncement(db: Queryable, a: NewAnnouncement, by: number, at: Date): Promise<number> {
  return insertedId(
    await db('announcements')
      .insert({
        round_id: a.roundId,
        version: a.version,
        status: 'draft',
        title: a.title,
        document: JSON.stringify(a.document),
        figures: JSON.stringify(a.figures),
        correction_note: a.correctionNote,
        slug: a.slug,
        revision: 1,
        created_by: by,
        created_at: at,
        updated_by: by,
        updated_at: at,
      })
      .returning('id'),
  );
}

export interface AnnouncementUpdate {
  status?: AnnouncementStatus;
  title?: string;
  document?: AnnouncementDocument;
  figures?: AnnouncementFigures;
  correctionNote?: string | null;
  publishedSections?: Section[];
  slug?: string;
  submittedBy?: number | null;
  submittedAt?: Date | null;
  publishedBy?: number;
  publishedAt?: Date;
}

/** Writes only if the stored revision is the one the writer read; returns whether it did. */
export async function updateAnnouncement(
  db: Queryable,
  id: number,
  revision: number,
  u: AnnouncementUpdate,
  by: number,
  at: Date,
): Promise<boolean> {
  const columns: Record<string, unknown> = { revision: revision + 1, updated_by: by, updated_at: at };
  if (u.status !== undefined) columns.status = u.status;
  if (u.title !== undefined) columns.title = u.title;
  if (u.document !== undefined) columns.document = JSON.stringify(u.document);
  if (u.figures !== undefined) columns.figures = JSON.stringify(u.figures);
  if (u.correctionNote !== undefined) columns.correction_note = u.correctionNote;
  if (u.publishedSections !== undefined) columns.published_sections = JSON.stringify(u.publishedSections);
  if (u.slug !== undefined) columns.slug = u.slug;
  if (u.submittedBy !== undefined) columns.submitted_by = u.submittedBy;
  if (u.submittedAt !== undefined) columns.submitted_at = u.submittedAt;
  if (u.publishedBy !== undefined) columns.published_by = u.publishedBy;
  if (u.publishedAt !== undefined) columns.published_at = u.publishedAt;
  return Number(await db('announcements').where({ id, revision }).update(columns)) === 1;
}

export async function insertRevision(
  db: Queryable,
  announcementId: number,
  revision: number,
  action: string,
  title: string,
  document: AnnouncementDocument,
  reason: string | null,
  by: number,
  at: Date,
): Promise<void> {
  await db('announcement_revisions').insert({
    announcement_id: announcementId,
    revision,
    action,
    title,
    document: JSON.stringify(document),
    reason,
    changed_by: by,
    changed_at: at,
  });
}

export async function findRevisions(db: Queryable, announcementId: number) {
  const rows = (await db('announcement_revisions')
    .join('users', 'users.id', 'announcement_revisions.changed_by')
    .where('announcement_id', announcementId)
    .orderBy('revision', 'desc')
    .select(
      'announcement_revisions.revision',
      'announcement_revisions.action',
      'announcement_revisions.reason',
      'announcement_revisions.changed_at',
      'users.display_name as changed_by_name',
    )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    revision: toInt(r.revision),
    action: r.action as string,
    reason: r.reason as string | null,
    changedByName: r.changed_by_name as string,
    changedAt: toDate(r.changed_at),
  }));
}

/** The active draw's sampled records with their review (if any) and the findings still standing. */
export async function findAnnouncedItems(db: Queryable, roundId: number): Promise<AnnouncedItem[]> {
  const rows = (await db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .leftJoin('reviews', 'reviews.submission_id', 'submissions.id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' })
    .orderBy([{ column: 'draw_picks.kind', order: 'desc' }, { column: 'draw_picks.rank' }])
    .select(
      'submissions.id',
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.budget_fen',
      'submissions.self_score',
      'draw_picks.reason',
      'reviews.status',
      'reviews.review_score',
      'reviews.quality_score',
    )) as Array<Record<string, unknown>>;
  const findings = (await db('findings')
    .where('round_id', roundId)
    .whereNull('withdrawn_at')
    .orderBy('id')
    .select('submission_id', 'category', 'description')) as Array<Record<string, unknown>>;
  const bySubmission = new Map<number, Array<{ category: string; description: string }>>();
  for (const f of findings) {
    const list = bySubmission.get(f.submission_id as number) ?? [];
    list.push({ category: f.category as string, description: f.description as string });
    bySubmission.set(f.submission_id as number, list);
  }
  return rows.map((r) => {
    const confirmed = r.status === 'confirmed';
    return {
      code: r.code as string,
      kind: r.kind as Kind,
      name: r.name as string,
      unit: r.unit as string,
      budgetFen: BigInt(String(r.budget_fen)),
      selfScore: toInt(r.self_score),
      reviewScore: confirmed && r.review_score !== null ? toInt(r.review_score) : null,
      qualityScore: confirmed && r.quality_score !== null ? toInt(r.quality_score) : null,
      random: r.reason !== 'mandatory',
      findings: bySubmission.get(r.id as number) ?? [],
    };
  });
}

/** Whether a third-party agency worked on the round (the mechanism sentence names them). */
export async function evaluatorsTookPart(db: Queryable, roundId: number): Promise<boolean> {
  const row = await db('assignments')
    .join('users', 'users.id', 'assignments.user_id')
    .where({ 'assignments.round_id': roundId, 'users.role': 'evaluator' })
    .first('assignments.id');
  return row !== undefined;
}
