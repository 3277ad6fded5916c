import { Queryable } from '../data/database';
import { roundLock } from '../data/engine';
import { insertedId, toDate } from '../data/values';
import { QualityWeights } from '../domain/review';
import { DEFAULT_UNIT_FEEDBACK_DAYS } from '../domain/units';
import { BudgetActions, budgetActionsOf } from '../domain/results';
import { DEFAULT_MIN_ESTIMATE_SAMPLE, DEFAULT_PUBLICITY_DAYS, RoundFields, RoundState } from '../domain/rounds';

export interface Round extends RoundFields {
  id: number;
  publicityDays: number;
  objectionContact: string | null;
  onsiteChecks: boolean;
  minEstimateSample: number;
  unitFeedbackDays: number;
  /** 结果应用: the budget action suggested for each review grade. */
  budgetActions: BudgetActions;
  /** Weights of 及时性, 规范性 and 报告质量 in the quality score, whole percent adding up to 100. */
  qualityWeights: QualityWeights;
  /** Reviewers see the self-score only after saving their own. */
  blindReview: boolean;
  state: RoundState;
  createdBy: number;
  createdByName: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

interface RoundRow {
  id: number;
  title: string;
  fiscal_year: number;
  bureau: string | null;
  work_plan_ref: string | null;
  deadline: string | null;
  publicity_days: unknown;
  objection_contact: string | null;
  onsite_checks: unknown;
  min_estimate_sample: unknown;
  unit_feedback_days: unknown;
  budget_actions: string | null;
  quality_weight_timeliness: unknown;
  quality_weight_normative: unknown;
  quality_weight_report: unknown;
  blind_review: unknown;
  state: RoundState;
  created_by: number;
  created_by_name: string;
  created_at: unknown;
  updated_at: unknown;
  version: number;
}

function toRound(row: RoundRow): Round {
  return {
    id: row.id,
    title: row.title,
    fiscalYear: Number(row.fiscal_year),
    bureau: row.bureau,
    workPlanRef: row.work_plan_ref,
    deadline: row.deadline,
    publicityDays: Number(row.publicity_days ?? 5),
    objectionContact: row.objection_contact ?? null,
    onsiteChecks: row.onsite_checks === true || row.onsite_checks === 1,
    minEstimateSample: Number(row.min_estimate_sample ?? DEFAULT_MIN_ESTIMATE_SAMPLE),
    unitFeedbackDays: Number(row.unit_feedback_days ?? DEFAULT_UNIT_FEEDBACK_DAYS),
    budgetActions: budgetActionsOf(row.budget_actions ?? null),
    qualityWeights: {
      timeliness: Number(row.quality_weight_timeliness ?? 20),
      normative: Number(row.quality_weight_normative ?? 40),
      report: Number(row.quality_weight_report ?? 40),
    },
    blindReview: row.blind_review === true || row.blind_review === 1,
    state: row.state,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

function selectRounds(db: Queryable) {
  return db('rounds')
    .join('users', 'users.id', 'rounds.created_by')
    .select('rounds.*', 'users.display_name as created_by_name');
}

export async function listRounds(db: Queryable): Promise<Round[]> {
  const rows = (await selectRounds(db).orderBy([
    { column: 'rounds.fiscal_year', order: 'desc' },
    { column: 'rounds.id', order: 'desc' },
  ])) as RoundRow[];
  return rows.map(toRound);
}

export async function findRound(db: Queryable, id: number): Promise<Round | undefined> {
  const row = (await selectRounds(db).where('rounds.id', id).first()) as RoundRow | undefined;
  return row && toRound(row);
}

const columns = (fields: RoundFields) => ({
  title: fields.title,
  fiscal_year: fields.fiscalYear,
  bureau: fields.bureau,
  work_plan_ref: fields.workPlanRef,
  deadline: fields.deadline,
  publicity_days: fields.publicityDays ?? DEFAULT_PUBLICITY_DAYS,
  objection_contact: fields.objectionContact ?? null,
  onsite_checks: fields.onsiteChecks ?? false,
  min_estimate_sample: fields.minEstimateSample ?? DEFAULT_MIN_ESTIMATE_SAMPLE,
  unit_feedback_days: fields.unitFeedbackDays ?? DEFAULT_UNIT_FEEDBACK_DAYS,
});

export async function insertRound(db: Queryable, fields: RoundFields, createdBy: number, now: Date): Promise<number> {
  return insertedId(
    await db('rounds')
      .insert({
        ...columns(fields),
        state: 'preparing',
        created_by: createdBy,
        created_at: now,
        updated_at: now,
        version: 1,
      })
      .returning('id'),
  );
}

/** Updates only if the stored version is the one the writer read; returns whether it did. */
export async function updateRound(
  db: Queryable,
  id: number,
  fields: RoundFields,
  expectedVersion: number,
  now: Date,
): Promise<boolean> {
  const changed = await db('rounds')
    .where({ id, version: expectedVersion })
    .update({ ...columns(fields), updated_at: now, version: expectedVersion + 1 });
  return changed === 1;
}

/** The round's budget actions (结果应用); a stale version changes nothing. */
export async function updateBudgetActions(
  db: Queryable,
  id: number,
  actions: BudgetActions,
  version: number,
  at: Date,
): Promise<boolean> {
  const changed = await db('rounds')
    .where({ id, version })
    .update({ budget_actions: JSON.stringify(actions), updated_at: at, version: version + 1 });
  return Number(changed) === 1;
}

/** The round's review settings; a stale version changes nothing. */
export async function updateReviewSettings(
  db: Queryable,
  id: number,
  weights: QualityWeights,
  blindReview: boolean,
  version: number,
  at: Date,
): Promise<boolean> {
  const changed = await db('rounds')
    .where({ id, version })
    .update({
      quality_weight_timeliness: weights.timeliness,
      quality_weight_normative: weights.normative,
      quality_weight_report: weights.report,
      blind_review: blindReview,
      updated_at: at,
      version: version + 1,
    });
  return Number(changed) === 1;
}

/*
 * Who waits for whom. On SQLite a write transaction holds the whole file from its start
 * (writeTransaction in data/database.ts), so writes run one at a time and these locks are
 * nothing. On PostgreSQL, a round has a lock of its own (roundLock in data/engine.ts: an
 * advisory lock, which PostgreSQL grants in the order asked, so that a round step is never
 * starved by a stream of saves, as it would be behind shared row locks):
 *
 * - A step that changes a round as a whole — importing or replacing its population, drawing or
 *   cancelling a draw, assigning items, a conflict declaration, offline results, the round's
 *   details and review settings, every step of its announcement — takes the round's lock alone
 *   and reads the round FOR UPDATE (lockRound). It waits for the writes in flight on the round,
 *   and writes asked for after it wait for it.
 * - A write on one sampled item — a review save or transition, a finding, evidence — shares the
 *   round's lock (shareRound), then locks its item's record (findSampledRecord with `lock`).
 *   Writes on different items of a round run side by side; two on the same item run one after
 *   the other, and the second sees the first's version (a stale one gets 409); none of them runs
 *   while a round step does, so a publication or a cancellation never sees half of one.
 *
 * The round is always locked before an item, so the two kinds never deadlock.
 */

/** The round, locked against every other write on it until the transaction ends. */
export async function lockRound(trx: Queryable, roundId: number): Promise<Round | undefined> {
  await roundLock(trx, roundId, 'alone');
  const row = (await selectRounds(trx).where('rounds.id', roundId).forUpdate('rounds').first()) as RoundRow | undefined;
  return row && toRound(row);
}

/** The round, kept from changing (lockRound waits) while writes on its items go on side by side. */
export async function shareRound(trx: Queryable, roundId: number): Promise<Round | undefined> {
  await roundLock(trx, roundId, 'shared');
  return findRound(trx, roundId);
}
