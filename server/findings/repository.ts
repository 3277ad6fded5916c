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

export interface Finding {
  id: number;
  category: string;
  categoryTitle: string;
  description: string;
  severity: Severity;
  source: string;
  evidenceIds: number[];
  authorName: string;
  authorRole: Role;
  authorOrganisation: string | null;
  createdAt: Date;
  withdrawnAt: Date | null;
  withdrawReason: string | null;
}

export async function findFindings(db: Queryable, submissionId: number): Promise<Finding[]> {
  const rows = (await db('findings')
    .join('finding_categories', 'finding_categories.code', 'findings.category')
    .join('users', 'users.id', 'findings.author_id')
    .where('findings.submission_id', submissionId)
    .orderBy('findings.id')
    .select('findings.*', 'finding_categories.title as category_title', 'users.display_name as author_name')) as Array<
    Record<string, unknown>
  >;
  return rows.map((r) => ({
    id: r.id as number,
    category: r.category as string,
    categoryTitle: r.category_title as string,
    description: r.description as string,
    severity: r.severity as Severity,
    source: r.source as string,
    evidenceIds: r.evidence_ids ? (JSON.parse(r.evidence_ids as string) as number[]) : [],
    authorName: r.author_name as string,
    authorRole: r.author_role as Role,
    authorOrganisation: r.author_organisation as string | null,
    createdAt: toDate(r.created_at),
    withdrawnAt: r.withdrawn_at ? toDate(r.withdrawn_at) : null,
    withdrawReason: r.withdraw_reason as string | null,
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
        evidence_ids: f.evidenceIds.length ? JSON.stringify(f.evidenceIds) : null,
        author_id: f.authorId,
        author_role: f.authorRole,
        author_organisation: f.authorOrganisation,
        created_at: at,
      })
      .returning('id'),
  );
}

export async function findFinding(
  db: Queryable,
  id: number,
): Promise<{ id: number; roundId: number; submissionId: number; withdrawn: boolean } | undefined> {
  const row = (await db('findings').where('id', id).first('id', 'round_id', 'submission_id', 'withdrawn_at')) as
    Record<string, unknown> | undefined;
  return (
    row && {
      id: row.id as number,
      roundId: row.round_id as number,
      submissionId: row.submission_id as number,
      withdrawn: row.withdrawn_at !== null && row.withdrawn_at !== undefined,
    }
  );
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
