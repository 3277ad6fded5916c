import { Queryable } from '../data/database';
import { insertedId, toDate } from '../data/values';
import { Severity } from '../domain/findings';
import { Role } from '../domain/roles';

export interface Category {
  code: string;
  title: string;
  recommendation: string;
  builtin: boolean;
  retired: boolean;
}

/** The categories in use, code and title only: what a form to record a finding offers. */
export async function listCategoryTitles(db: Queryable): Promise<Array<{ code: string; title: string }>> {
  return (await db('finding_categories').whereNull('retired_at').orderBy('code').select('code', 'title')) as Array<{
    code: string;
    title: string;
  }>;
}

export async function listCategories(db: Queryable, includeRetired = false): Promise<Category[]> {
  const query = db('finding_categories').orderBy('code');
  if (!includeRetired) query.whereNull('retired_at');
  const rows = (await query) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    code: r.code as string,
    title: r.title as string,
    recommendation: r.recommendation as string,
    builtin: r.builtin === true || r.builtin === 1,
    retired: r.retired_at !== null && r.retired_at !== undefined,
  }));
}

/** A text a finding had before its author edited it. */
export interface FindingVersion {
  version: number;
  category: string;
  categoryTitle: string;
  description: string;
  severity: Severity;
  evidenceIds: number[];
  writtenAt: Date;
  replacedByName: string;
  replacedAt: Date;
}

export interface Finding {
  id: number;
  version: number;
  category: string;
  categoryTitle: string;
  description: string;
  severity: Severity;
  source: string;
  evidenceIds: number[];
  authorId: number;
  authorName: string;
  authorRole: Role;
  authorOrganisation: string | null;
  createdAt: Date;
  updatedAt: Date | null;
  withdrawnAt: Date | null;
  withdrawReason: string | null;
  /** Earlier versions, oldest first. */
  earlier: FindingVersion[];
}

/** Cited evidence as stored: a JSON array of ids, or NULL for none. */
export const evidenceIdsOf = (value: unknown): number[] => (value ? (JSON.parse(value as string) as number[]) : []);
export const evidenceIdsColumn = (ids: number[]): string | null => (ids.length ? JSON.stringify(ids) : null);

export async function findFindings(db: Queryable, submissionId: number): Promise<Finding[]> {
  const rows = (await db('findings')
    .join('finding_categories', 'finding_categories.code', 'findings.category')
    .join('users', 'users.id', 'findings.author_id')
    .where('findings.submission_id', submissionId)
    .orderBy('findings.id')
    .select('findings.*', 'finding_categories.title as category_title', 'users.display_name as author_name')) as Array<
    Record<string, unknown>
  >;
  // Only findings that were edited have earlier texts: most items' pages need no second query.
  const edited = rows.filter((r) => Number(r.version) > 1).map((r) => r.id as number);
  const earlier = (
    edited.length
      ? await db('finding_versions')
          .join('finding_categories', 'finding_categories.code', 'finding_versions.category')
          .join('users', 'users.id', 'finding_versions.replaced_by')
          .whereIn('finding_versions.finding_id', edited)
          .orderBy(['finding_versions.finding_id', 'finding_versions.version'])
          .select(
            'finding_versions.*',
            'finding_categories.title as category_title',
            'users.display_name as replaced_by_name',
          )
      : []
  ) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    version: Number(r.version),
    category: r.category as string,
    categoryTitle: r.category_title as string,
    description: r.description as string,
    severity: r.severity as Severity,
    source: r.source as string,
    evidenceIds: evidenceIdsOf(r.evidence_ids),
    authorId: r.author_id as number,
    authorName: r.author_name as string,
    authorRole: r.author_role as Role,
    authorOrganisation: r.author_organisation as string | null,
    createdAt: toDate(r.created_at),
    updatedAt: r.updated_at ? toDate(r.updated_at) : null,
    withdrawnAt: r.withdrawn_at ? toDate(r.withdrawn_at) : null,
    withdrawReason: r.withdraw_reason as string | null,
    earlier: earlier
      .filter((v) => v.finding_id === r.id)
      .map((v) => ({
        version: Number(v.version),
        category: v.category as string,
        categoryTitle: v.category_title as string,
        description: v.description as string,
        severity: v.severity as Severity,
        evidenceIds: evidenceIdsOf(v.evidence_ids),
        writtenAt: toDate(v.written_at),
        replacedByName: v.replaced_by_name as string,
        replacedAt: toDate(v.replaced_at),
      })),
  }));
}

export interface NewFinding {
  roundId: number;
  submissionId: number;
  category: string;
  description: string;
  severity: Severity;
  source: string;
  evidenceIds: number[];
  authorId: number;
  authorRole: Role;
  authorOrganisation: string | null;
}

export async function insertFinding(db: Queryable, f: NewFinding, at: Date): Promise<number> {
  return insertedId(
    await db('findings')
      .insert({
        round_id: f.roundId,
        submission_id: f.submissionId,
        category: f.category,
        description: f.description,
        severity: f.severity,
        source: f.source,
        evidence_ids: evidenceIdsColumn(f.evidenceIds),
        author_id: f.authorId,
        author_role: f.authorRole,
        author_organisation: f.authorOrganisation,
        created_at: at,
      })
      .returning('id'),
  );
}

export interface StoredFinding {
  id: number;
  roundId: number;
  submissionId: number;
  version: number;
  authorId: number;
  category: string;
  description: string;
  severity: Severity;
  evidenceIds: number[];
  /** When the current text was written: the last edit, or the finding's creation. */
  writtenAt: Date;
  withdrawn: boolean;
}

export async function findFinding(db: Queryable, id: number): Promise<StoredFinding | undefined> {
  const row = (await db('findings').where('id', id).first()) as Record<string, unknown> | undefined;
  return (
    row && {
      id: row.id as number,
      roundId: row.round_id as number,
      submissionId: row.submission_id as number,
      version: Number(row.version),
      authorId: row.author_id as number,
      category: row.category as string,
      description: row.description as string,
      severity: row.severity as Severity,
      evidenceIds: evidenceIdsOf(row.evidence_ids),
      writtenAt: toDate(row.updated_at ?? row.created_at),
      withdrawn: row.withdrawn_at !== null && row.withdrawn_at !== undefined,
    }
  );
}

export type FindingText = Pick<StoredFinding, 'category' | 'description' | 'severity' | 'evidenceIds'>;

/**
 * A new text for a finding at the version it was read at: the text it replaces is kept in
 * finding_versions. False when the finding has moved on (or was withdrawn) since.
 */
export async function updateFinding(
  db: Queryable,
  current: StoredFinding,
  next: FindingText,
  by: number,
  at: Date,
): Promise<boolean> {
  const updated = Number(
    await db('findings')
      .where({ id: current.id, version: current.version })
      .whereNull('withdrawn_at')
      .update({
        category: next.category,
        description: next.description,
        severity: next.severity,
        evidence_ids: evidenceIdsColumn(next.evidenceIds),
        version: current.version + 1,
        updated_at: at,
      }),
  );
  if (updated !== 1) return false;
  await db('finding_versions').insert({
    finding_id: current.id,
    version: current.version,
    category: current.category,
    description: current.description,
    severity: current.severity,
    evidence_ids: evidenceIdsColumn(current.evidenceIds),
    written_at: current.writtenAt,
    replaced_by: by,
    replaced_at: at,
  });
  return true;
}

export async function withdrawFinding(
  db: Queryable,
  id: number,
  by: number,
  at: Date,
  reason: string,
): Promise<boolean> {
  return (
    Number(
      await db('findings')
        .where({ id })
        .whereNull('withdrawn_at')
        .update({ withdrawn_by: by, withdrawn_at: at, withdraw_reason: reason }),
    ) === 1
  );
}

/** The next free code after the highest P-number (P19 onwards for a bureau's own categories). */
export async function nextCategoryCode(db: Queryable): Promise<string> {
  const codes = ((await db('finding_categories').select('code')) as Array<{ code: string }>).map((r) =>
    Number(/^P(\d+)$/.exec(r.code)?.[1] ?? 0),
  );
  return `P${String(Math.max(18, ...codes) + 1).padStart(2, '0')}`;
}

export async function insertCategory(
  db: Queryable,
  c: { code: string; title: string; recommendation: string },
): Promise<void> {
  await db('finding_categories').insert({ ...c, builtin: false });
}

export async function setCategoryRetired(db: Queryable, code: string, at: Date | null): Promise<boolean> {
  return Number(await db('finding_categories').where({ code }).update({ retired_at: at })) === 1;
}
