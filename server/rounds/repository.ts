import { Queryable } from '../data/database';
import { insertedId, toDate } from '../data/values';
import { RoundFields, RoundState } from '../domain/rounds';

export interface Round extends RoundFields {
  id: number;
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
});

export async function insertRound(db: Queryable, fields: RoundFields, createdBy: number, now: Date): Promise<number> {
  return insertedId((await db('rounds')
    .insert({ ...columns(fields), state: 'preparing', created_by: createdBy, created_at: now, updated_at: now, version: 1 })
    .returning('id')) as Array<{ id: number } | number>);
}

/** Updates only if the stored version is the one the writer read; returns whether it did. */
export async function updateRound(db: Queryable, id: number, fields: RoundFields, expectedVersion: number, now: Date): Promise<boolean> {
  const changed = await db('rounds')
    .where({ id, version: expectedVersion })
    .update({ ...columns(fields), updated_at: now, version: expectedVersion + 1 });
  return changed === 1;
}
