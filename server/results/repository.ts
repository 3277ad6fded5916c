import { Queryable } from '../data/database';
import { toInt } from '../data/values';
import { Kind } from '../domain/population';
import { RectificationStatus } from '../domain/rectification';
import { coveredBy } from '../units/repository';

/** The sampled items of every round (active draws), with what the results across years read. */

export interface SampledResult {
  roundId: number;
  fiscalYear: number;
  roundTitle: string;
  submissionId: number;
  code: string;
  kind: Kind;
  name: string;
  unit: string;
  department: string;
  budgetFen: bigint;
  selfScore: number;
  selfGrade: string | null;
  reviewStatus: string | null;
  reviewScore: number | null;
  qualityScore: number | null;
  categories: string[];
  rectifications: Array<{ status: RectificationStatus; dueDate: string }>;
}

export interface ResultFilter {
  roundId?: number;
  unit?: string;
  department?: string;
  /** A unit contact: only its units' items, in the query itself. */
  coveredBy?: number;
}

export async function findSampledResults(db: Queryable, filter: ResultFilter): Promise<SampledResult[]> {
  const query = db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('rounds', 'rounds.id', 'draws.round_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .leftJoin('reviews', 'reviews.submission_id', 'submissions.id')
    .where('draws.status', 'active')
    .orderBy([
      { column: 'rounds.fiscal_year' },
      { column: 'rounds.id' },
      { column: 'draw_picks.kind', order: 'desc' },
      { column: 'draw_picks.rank' },
    ])
    .select(
      'rounds.id as round_id',
      'rounds.fiscal_year',
      'rounds.title as round_title',
      'submissions.id as submission_id',
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.department',
      'submissions.budget_fen',
      'submissions.self_score',
      'submissions.self_grade',
      'reviews.status',
      'reviews.review_score',
      'reviews.quality_score',
    );
  if (filter.roundId !== undefined) query.where('rounds.id', filter.roundId);
  if (filter.unit) query.where('submissions.unit', filter.unit);
  if (filter.department) query.where('submissions.department', filter.department);
  if (filter.coveredBy !== undefined) query.andWhere(coveredBy(filter.coveredBy));
  const rows = (await query) as Array<Record<string, unknown>>;
  const ids = rows.map((r) => r.submission_id as number);
  const [findings, tasks] = ids.length
    ? await Promise.all([
        db('findings')
          .whereIn('submission_id', ids)
          .whereNull('withdrawn_at')
          .orderBy('id')
          .select('submission_id', 'category') as Promise<Array<{ submission_id: number; category: string }>>,
        db('rectifications').whereIn('submission_id', ids).select('submission_id', 'status', 'due_date') as Promise<
          Array<{ submission_id: number; status: RectificationStatus; due_date: string }>
        >,
      ])
    : [[], []];
  return rows.map((r) => {
    const confirmed = r.status === 'confirmed';
    return {
      roundId: r.round_id as number,
      fiscalYear: toInt(r.fiscal_year),
      roundTitle: r.round_title as string,
      submissionId: r.submission_id as number,
      code: r.code as string,
      kind: r.kind as Kind,
      name: r.name as string,
      unit: r.unit as string,
      department: r.department as string,
      budgetFen: BigInt(String(r.budget_fen)),
      selfScore: toInt(r.self_score),
      selfGrade: (r.self_grade as string | null) ?? null,
      reviewStatus: (r.status as string | null) ?? null,
      reviewScore: confirmed && r.review_score !== null ? toInt(r.review_score) : null,
      qualityScore: confirmed && r.quality_score !== null ? toInt(r.quality_score) : null,
      // Problems count once the lead has confirmed the review, as in the announcement.
      categories: confirmed ? findings.filter((f) => f.submission_id === r.submission_id).map((f) => f.category) : [],
      rectifications: tasks
        .filter((t) => t.submission_id === r.submission_id)
        .map((t) => ({ status: t.status, dueDate: t.due_date })),
    };
  });
}
