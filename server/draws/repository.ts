import { Knex } from 'knex';
import { insertRows } from '../data/bulk';
import { Queryable } from '../data/database';
import { insertedId, toDate, toInt } from '../data/values';
import { Kind } from '../domain/population';
import { Method, Reason, StratumResult } from '../domain/sampling';

export interface Draw {
  id: number;
  roundId: number;
  publicId: string;
  procedure: string;
  status: 'active' | 'cancelled';
  seed: string;
  seedGenerated: boolean;
  method: Method;
  /** The quota the draw was made with. */
  initialQuota: Record<Kind, number>;
  /** After any expansions. */
  quota: Record<Kind, number>;
  mandatoryMinBudgetFen: bigint | null;
  mandatoryCodes: string[];
  excludeCodes: string[];
  excludeNote: string | null;
  /** Why codes beyond those typed in were mandatory (上年整改未销号的单位必抽). */
  mandatoryNote: string | null;
  population: Record<Kind, number>;
  fingerprint: string;
  strata: Record<Kind, StratumResult>;
  createdBy: number;
  createdByName: string;
  createdAt: Date;
  cancelledByName: string | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  expansions: Array<{ id: number; quota: Record<Kind, number>; createdByName: string; createdAt: Date }>;
}

interface DrawRow {
  id: number;
  round_id: number;
  public_id: string;
  procedure: string;
  status: 'active' | 'cancelled';
  seed: string;
  seed_generated: unknown;
  method: Method;
  quota_project: unknown;
  quota_department: unknown;
  mandatory_min_budget_fen: unknown;
  mandatory_codes: string;
  exclude_codes: string;
  exclude_note: string | null;
  mandatory_note: string | null;
  population_project: unknown;
  population_department: unknown;
  fingerprint: string;
  strata: string;
  created_by: number;
  created_by_name: string;
  created_at: unknown;
  cancelled_by_name: string | null;
  cancelled_at: unknown;
  cancel_reason: string | null;
}

function selectDraws(db: Queryable) {
  return db('draws')
    .join('users as creator', 'creator.id', 'draws.created_by')
    .leftJoin('users as canceller', 'canceller.id', 'draws.cancelled_by')
    .select('draws.*', 'creator.display_name as created_by_name', 'canceller.display_name as cancelled_by_name');
}

async function withExpansions(db: Queryable, rows: DrawRow[]): Promise<Draw[]> {
  if (rows.length === 0) return [];
  const expansions = (await db('draw_expansions')
    .join('users', 'users.id', 'draw_expansions.created_by')
    .whereIn(
      'draw_id',
      rows.map((r) => r.id),
    )
    .orderBy('draw_expansions.id')
    .select('draw_expansions.*', 'users.display_name as created_by_name')) as Array<Record<string, unknown>>;
  return rows.map((row) => {
    const own = expansions
      .filter((e) => e.draw_id === row.id)
      .map((e) => ({
        id: e.id as number,
        quota: { project: toInt(e.quota_project), department: toInt(e.quota_department) },
        createdByName: e.created_by_name as string,
        createdAt: toDate(e.created_at),
      }));
    const initialQuota = { project: toInt(row.quota_project), department: toInt(row.quota_department) };
    return {
      id: row.id,
      roundId: row.round_id,
      publicId: row.public_id,
      procedure: row.procedure,
      status: row.status,
      seed: row.seed,
      seedGenerated: row.seed_generated === true || row.seed_generated === 1,
      method: row.method,
      initialQuota,
      quota: own.length > 0 ? own[own.length - 1].quota : initialQuota,
      mandatoryMinBudgetFen:
        row.mandatory_min_budget_fen === null || row.mandatory_min_budget_fen === undefined
          ? null
          : BigInt(row.mandatory_min_budget_fen as string),
      mandatoryCodes: JSON.parse(row.mandatory_codes) as string[],
      excludeCodes: JSON.parse(row.exclude_codes) as string[],
      excludeNote: row.exclude_note,
      mandatoryNote: row.mandatory_note ?? null,
      population: { project: toInt(row.population_project), department: toInt(row.population_department) },
      fingerprint: row.fingerprint,
      strata: JSON.parse(row.strata) as Record<Kind, StratumResult>,
      createdBy: row.created_by,
      createdByName: row.created_by_name,
      createdAt: toDate(row.created_at),
      cancelledByName: row.cancelled_by_name,
      cancelledAt: row.cancelled_at === null || row.cancelled_at === undefined ? null : toDate(row.cancelled_at),
      cancelReason: row.cancel_reason,
      expansions: own,
    };
  });
}

export async function findDraw(db: Queryable, id: number): Promise<Draw | undefined> {
  const rows = (await selectDraws(db).where('draws.id', id)) as DrawRow[];
  return (await withExpansions(db, rows))[0];
}

export async function findDrawByPublicId(db: Queryable, publicId: string): Promise<Draw | undefined> {
  const rows = (await selectDraws(db).where('draws.public_id', publicId)) as DrawRow[];
  return (await withExpansions(db, rows))[0];
}

export async function findActiveDraw(db: Queryable, roundId: number): Promise<Draw | undefined> {
  const rows = (await selectDraws(db).where({ 'draws.round_id': roundId, 'draws.status': 'active' })) as DrawRow[];
  return (await withExpansions(db, rows))[0];
}

export async function listDraws(db: Queryable, roundId: number): Promise<Draw[]> {
  const rows = (await selectDraws(db).where('draws.round_id', roundId).orderBy('draws.id', 'desc')) as DrawRow[];
  return withExpansions(db, rows);
}

export type NewDraw = Omit<
  Draw,
  'id' | 'status' | 'quota' | 'createdByName' | 'cancelledByName' | 'cancelledAt' | 'cancelReason' | 'expansions'
>;

export async function insertDraw(db: Queryable, draw: NewDraw): Promise<number> {
  return insertedId(
    await db('draws')
      .insert({
        round_id: draw.roundId,
        public_id: draw.publicId,
        procedure: draw.procedure,
        status: 'active',
        seed: draw.seed,
        seed_generated: draw.seedGenerated,
        method: draw.method,
        quota_project: draw.initialQuota.project,
        quota_department: draw.initialQuota.department,
        mandatory_min_budget_fen: draw.mandatoryMinBudgetFen === null ? null : String(draw.mandatoryMinBudgetFen),
        mandatory_codes: JSON.stringify(draw.mandatoryCodes),
        exclude_codes: JSON.stringify(draw.excludeCodes),
        exclude_note: draw.excludeNote,
        mandatory_note: draw.mandatoryNote,
        population_project: draw.population.project,
        population_department: draw.population.department,
        fingerprint: draw.fingerprint,
        strata: JSON.stringify(draw.strata),
        created_by: draw.createdBy,
        created_at: draw.createdAt,
      })
      .returning('id'),
  );
}

export async function insertExpansion(
  db: Queryable,
  drawId: number,
  quota: Record<Kind, number>,
  by: number,
  at: Date,
): Promise<number> {
  return insertedId(
    await db('draw_expansions')
      .insert({
        draw_id: drawId,
        quota_project: quota.project,
        quota_department: quota.department,
        created_by: by,
        created_at: at,
      })
      .returning('id'),
  );
}

export async function updateDrawStrata(
  db: Queryable,
  drawId: number,
  strata: Record<Kind, StratumResult>,
): Promise<void> {
  await db('draws')
    .where('id', drawId)
    .update({ strata: JSON.stringify(strata) });
}

/** Only an active draw can be cancelled; returns whether this call did it. */
export async function cancelDraw(
  db: Queryable,
  drawId: number,
  by: number,
  at: Date,
  reason: string,
): Promise<boolean> {
  const changed = await db('draws')
    .where({ id: drawId, status: 'active' })
    .update({ status: 'cancelled', cancelled_by: by, cancelled_at: at, cancel_reason: reason });
  return Number(changed) === 1;
}

export interface NewPick {
  submissionId: number;
  code: string;
  kind: Kind;
  reason: Reason;
  rank: number;
  u: number;
}

export async function insertPicks(
  db: Knex.Transaction,
  drawId: number,
  expansionId: number | null,
  picks: NewPick[],
): Promise<void> {
  await insertRows(
    db,
    'draw_picks',
    ['draw_id', 'expansion_id', 'submission_id', 'code', 'kind', 'reason', 'rank', 'u'],
    picks.map((p) => [drawId, expansionId, p.submissionId, p.code, p.kind, p.reason, p.rank, p.u]),
  );
}

export interface StoredPick {
  code: string;
  kind: Kind;
  reason: Reason;
  rank: number;
  u: number;
  submissionId: number;
}

export async function findPicks(db: Queryable, drawId: number): Promise<StoredPick[]> {
  const rows = (await db('draw_picks')
    .where('draw_id', drawId)
    .orderBy([{ column: 'kind', order: 'desc' }, { column: 'rank' }])) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    code: r.code as string,
    kind: r.kind as Kind,
    reason: r.reason as Reason,
    rank: toInt(r.rank),
    u: Number(r.u),
    submissionId: r.submission_id as number,
  }));
}

export async function setRoundState(db: Queryable, roundId: number, state: string, at: Date): Promise<void> {
  await db('rounds').where('id', roundId).update({ state, updated_at: at });
}
