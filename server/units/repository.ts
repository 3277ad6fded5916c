import { Queryable } from '../data/database';
import { insertedId, toBool, toDate, toInt } from '../data/values';
import { Kind } from '../domain/population';
import { ReviewStatus } from '../domain/review';
import { Coverage } from '../domain/units';
import { evidenceIdsColumn, evidenceIdsOf } from '../findings/repository';

/** The units' side in the database: coverage, material requests and answers, feedback and responses. */

export async function insertCoverage(db: Queryable, userId: number, coverage: Coverage, at: Date): Promise<void> {
  const rows = [
    ...coverage.units.map((unit) => ({ user_id: userId, unit_name: unit, department: null, created_at: at })),
    ...coverage.departments.map((d) => ({ user_id: userId, unit_name: null, department: d, created_at: at })),
  ];
  if (rows.length) await db('user_units').insert(rows);
}

/** A unit contact's coverage replaced (the audit entry keeps what it was). */
export async function replaceCoverage(db: Queryable, userId: number, coverage: Coverage, at: Date): Promise<void> {
  await db('user_units').where('user_id', userId).delete();
  await insertCoverage(db, userId, coverage, at);
}

/** Every unit contact's coverage, by user id. */
export async function findCoverages(db: Queryable, userIds?: number[]): Promise<Map<number, Coverage>> {
  const query = db('user_units').orderBy('id').select('user_id', 'unit_name', 'department');
  if (userIds) query.whereIn('user_id', userIds);
  const coverages = new Map<number, Coverage>();
  for (const row of (await query) as Array<{ user_id: number; unit_name: string | null; department: string | null }>) {
    const coverage = coverages.get(row.user_id) ?? { units: [], departments: [] };
    if (row.unit_name !== null) coverage.units.push(row.unit_name);
    if (row.department !== null) coverage.departments.push(row.department);
    coverages.set(row.user_id, coverage);
  }
  return coverages;
}

/** Whether a unit contact covers this record: by its unit's name or its department. */
export async function coversRecord(
  db: Queryable,
  userId: number,
  record: { unit: string; department: string },
): Promise<boolean> {
  const row = await db('user_units')
    .where('user_id', userId)
    .andWhere((q) => q.where('unit_name', record.unit).orWhere('department', record.department))
    .first('id');
  return row !== undefined;
}

/** Whether any active unit contact covers this record: if not, the bureau must reach the unit another way. */
export async function hasContacts(db: Queryable, record: { unit: string; department: string }): Promise<boolean> {
  const row = await db('user_units')
    .join('users', 'users.id', 'user_units.user_id')
    .whereNull('users.disabled_at')
    .andWhere((q) => q.where('user_units.unit_name', record.unit).orWhere('user_units.department', record.department))
    .first('user_units.id');
  return row !== undefined;
}

/** The names of units and departments in any population, for suggestions when a name is typed. */
export async function knownUnitNames(db: Queryable): Promise<{ units: string[]; departments: string[] }> {
  const [units, departments] = await Promise.all([
    db('submissions').distinct('unit').orderBy('unit') as Promise<Array<{ unit: string }>>,
    db('submissions').distinct('department').orderBy('department') as Promise<Array<{ department: string }>>,
  ]);
  return { units: units.map((r) => r.unit), departments: departments.map((r) => r.department) };
}

/**
 * The condition "this record (`submissions`) is one of the unit contact's units'", in the query
 * itself: every list a unit's contact reads (its items, its tasks, its results) passes it.
 */
export function coveredBy(userId: number) {
  return (q: import('knex').Knex.QueryBuilder) =>
    q
      .whereIn('submissions.unit', (s) =>
        s.from('user_units').where('user_id', userId).whereNotNull('unit_name').select('unit_name'),
      )
      .orWhereIn('submissions.department', (s) =>
        s.from('user_units').where('user_id', userId).whereNotNull('department').select('department'),
      );
}

export interface UnitItem {
  roundId: number;
  roundTitle: string;
  fiscalYear: number;
  unitFeedbackDays: number;
  submissionId: number;
  code: string;
  kind: Kind;
  name: string;
  unit: string;
  department: string;
  reviewStatus: ReviewStatus | null;
  reviewUpdatedAt: Date | null;
  drawnAt: Date;
}

/** A unit contact's sampled items, in every round's active draw, the newest round first. */
export async function findUnitItems(db: Queryable, userId: number): Promise<UnitItem[]> {
  const rows = (await db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('rounds', 'rounds.id', 'draws.round_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .leftJoin('reviews', 'reviews.submission_id', 'submissions.id')
    .where('draws.status', 'active')
    .andWhere(coveredBy(userId))
    .orderBy([
      { column: 'rounds.fiscal_year', order: 'desc' },
      { column: 'rounds.id', order: 'desc' },
      { column: 'submissions.code' },
    ])
    .select(
      'rounds.id as round_id',
      'rounds.title as round_title',
      'rounds.fiscal_year',
      'rounds.unit_feedback_days',
      'submissions.id as submission_id',
      'submissions.code',
      'submissions.kind',
      'submissions.name',
      'submissions.unit',
      'submissions.department',
      'reviews.status',
      'reviews.updated_at as review_updated_at',
      'draws.created_at as drawn_at',
    )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    roundId: r.round_id as number,
    roundTitle: r.round_title as string,
    fiscalYear: toInt(r.fiscal_year),
    unitFeedbackDays: toInt(r.unit_feedback_days),
    submissionId: r.submission_id as number,
    code: r.code as string,
    kind: r.kind as Kind,
    name: r.name as string,
    unit: r.unit as string,
    department: r.department as string,
    reviewStatus: (r.status as ReviewStatus | null) ?? null,
    reviewUpdatedAt: r.review_updated_at ? toDate(r.review_updated_at) : null,
    drawnAt: toDate(r.drawn_at),
  }));
}

/** The units sampled in a round's active draw, each with the active contacts that cover it. */
export async function findSampledUnits(
  db: Queryable,
  roundId: number,
): Promise<Array<{ unit: string; department: string; items: number; contacts: string[] }>> {
  const units = (await db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .join('submissions', 'submissions.id', 'draw_picks.submission_id')
    .where({ 'draws.round_id': roundId, 'draws.status': 'active' })
    .groupBy('submissions.unit', 'submissions.department')
    .orderBy([{ column: 'submissions.department' }, { column: 'submissions.unit' }])
    .select('submissions.unit', 'submissions.department')
    .count({ n: '*' })) as Array<{ unit: string; department: string; n: unknown }>;
  const contacts = (await db('user_units')
    .join('users', 'users.id', 'user_units.user_id')
    .whereNull('users.disabled_at')
    .where('users.role', 'unit')
    .select('users.display_name', 'user_units.unit_name', 'user_units.department')) as Array<{
    display_name: string;
    unit_name: string | null;
    department: string | null;
  }>;
  return units.map((u) => ({
    unit: u.unit,
    department: u.department,
    items: toInt(u.n),
    contacts: [
      ...new Set(
        contacts.filter((c) => c.unit_name === u.unit || c.department === u.department).map((c) => c.display_name),
      ),
    ],
  }));
}

export interface MaterialAnswer {
  id: number;
  text: string;
  evidenceIds: number[];
  answeredByName: string;
  answeredAt: Date;
}

export interface MaterialRequest {
  id: number;
  roundId: number;
  submissionId: number;
  code: string;
  text: string;
  dueDate: string;
  requestedByName: string;
  requestedAt: Date;
  /** Oldest first. */
  answers: MaterialAnswer[];
}

export async function insertRequest(
  db: Queryable,
  r: { roundId: number; submissionId: number; text: string; dueDate: string; by: number },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('material_requests')
      .insert({
        round_id: r.roundId,
        submission_id: r.submissionId,
        text: r.text,
        due_date: r.dueDate,
        requested_by: r.by,
        requested_at: at,
      })
      .returning('id'),
  );
}

export async function insertAnswer(
  db: Queryable,
  a: { requestId: number; text: string; evidenceIds: number[]; by: number },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('material_answers')
      .insert({
        request_id: a.requestId,
        text: a.text,
        evidence_ids: evidenceIdsColumn(a.evidenceIds),
        answered_by: a.by,
        answered_at: at,
      })
      .returning('id'),
  );
}

/** Requests with their answers: of some items (by submission id), or one by its id. */
export async function findRequests(
  db: Queryable,
  where: { submissionIds: number[] } | { id: number },
): Promise<MaterialRequest[]> {
  const query = db('material_requests')
    .join('users', 'users.id', 'material_requests.requested_by')
    .join('submissions', 'submissions.id', 'material_requests.submission_id')
    .orderBy('material_requests.id')
    .select('material_requests.*', 'submissions.code', 'users.display_name as requested_by_name');
  if ('id' in where) query.where('material_requests.id', where.id);
  else query.whereIn('material_requests.submission_id', where.submissionIds);
  const rows = (await query) as Array<Record<string, unknown>>;
  if (!rows.length) return [];
  const answers = (await db('material_answers')
    .join('users', 'users.id', 'material_answers.answered_by')
    .whereIn(
      'material_answers.request_id',
      rows.map((r) => r.id as number),
    )
    .orderBy('material_answers.id')
    .select('material_answers.*', 'users.display_name as answered_by_name')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    roundId: r.round_id as number,
    submissionId: r.submission_id as number,
    code: r.code as string,
    text: r.text as string,
    dueDate: r.due_date as string,
    requestedByName: r.requested_by_name as string,
    requestedAt: toDate(r.requested_at),
    answers: answers
      .filter((a) => a.request_id === r.id)
      .map((a) => ({
        id: a.id as number,
        text: a.text as string,
        evidenceIds: evidenceIdsOf(a.evidence_ids),
        answeredByName: a.answered_by_name as string,
        answeredAt: toDate(a.answered_at),
      })),
  }));
}

/** Open requests of a round's items (not answered), with their due dates, for the lead's and reviewers' lists. */
export async function findOpenRequests(
  db: Queryable,
  roundIds: number[],
): Promise<Array<{ roundId: number; code: string; dueDate: string }>> {
  if (!roundIds.length) return [];
  const rows = (await db('material_requests')
    .join('submissions', 'submissions.id', 'material_requests.submission_id')
    .whereIn('material_requests.round_id', roundIds)
    .whereNotExists((q) => q.from('material_answers').whereRaw('material_answers.request_id = material_requests.id'))
    .select('material_requests.round_id', 'submissions.code', 'material_requests.due_date')) as Array<
    Record<string, unknown>
  >;
  return rows.map((r) => ({ roundId: r.round_id as number, code: r.code as string, dueDate: r.due_date as string }));
}

export interface FeedbackResponse {
  id: number;
  text: string;
  respondedByName: string;
  respondedAt: Date;
}

export interface UnitFeedback {
  id: number;
  submissionId: number;
  reviewVersion: number;
  agree: boolean;
  text: string | null;
  givenByName: string;
  givenAt: Date;
  responses: FeedbackResponse[];
}

export async function insertFeedback(
  db: Queryable,
  f: { roundId: number; submissionId: number; reviewVersion: number; agree: boolean; text: string | null; by: number },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('unit_feedback')
      .insert({
        round_id: f.roundId,
        submission_id: f.submissionId,
        review_version: f.reviewVersion,
        agree: f.agree,
        text: f.text,
        given_by: f.by,
        given_at: at,
      })
      .returning('id'),
  );
}

export async function insertResponse(
  db: Queryable,
  r: { feedbackId: number; text: string; by: number },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('feedback_responses')
      .insert({ feedback_id: r.feedbackId, text: r.text, responded_by: r.by, responded_at: at })
      .returning('id'),
  );
}

/** The feedback on some items, oldest first, each with the responses to it. */
export async function findFeedback(db: Queryable, submissionIds: number[]): Promise<UnitFeedback[]> {
  if (!submissionIds.length) return [];
  const rows = (await db('unit_feedback')
    .join('users', 'users.id', 'unit_feedback.given_by')
    .whereIn('unit_feedback.submission_id', submissionIds)
    .orderBy('unit_feedback.id')
    .select('unit_feedback.*', 'users.display_name as given_by_name')) as Array<Record<string, unknown>>;
  if (!rows.length) return [];
  const responses = (await db('feedback_responses')
    .join('users', 'users.id', 'feedback_responses.responded_by')
    .whereIn(
      'feedback_responses.feedback_id',
      rows.map((r) => r.id as number),
    )
    .orderBy('feedback_responses.id')
    .select('feedback_responses.*', 'users.display_name as responded_by_name')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    submissionId: r.submission_id as number,
    reviewVersion: toInt(r.review_version),
    agree: toBool(r.agree),
    text: (r.text as string | null) ?? null,
    givenByName: r.given_by_name as string,
    givenAt: toDate(r.given_at),
    responses: responses
      .filter((x) => x.feedback_id === r.id)
      .map((x) => ({
        id: x.id as number,
        text: x.text as string,
        respondedByName: x.responded_by_name as string,
        respondedAt: toDate(x.responded_at),
      })),
  }));
}
