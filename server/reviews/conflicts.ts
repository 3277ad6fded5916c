import { Queryable } from '../data/database';
import { insertedId, toDate } from '../data/values';

export interface Declaration {
  id: number;
  userId: number;
  userName: string;
  organisation: string;
  scope: 'department' | 'unit';
  name: string;
  reason: string;
  declaredAt: Date;
  withdrawnAt: Date | null;
}

export async function findDeclarations(db: Queryable, roundId: number, organisation?: string): Promise<Declaration[]> {
  const query = db('conflict_declarations')
    .join('users', 'users.id', 'conflict_declarations.user_id')
    .where('conflict_declarations.round_id', roundId)
    .orderBy('conflict_declarations.id')
    .select('conflict_declarations.*', 'users.display_name as user_name');
  if (organisation !== undefined) query.where('conflict_declarations.organisation', organisation);
  const rows = (await query) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    userId: r.user_id as number,
    userName: r.user_name as string,
    organisation: r.organisation as string,
    scope: r.scope as 'department' | 'unit',
    name: r.name as string,
    reason: r.reason as string,
    declaredAt: toDate(r.declared_at),
    withdrawnAt: r.withdrawn_at ? toDate(r.withdrawn_at) : null,
  }));
}

export async function insertDeclaration(
  db: Queryable,
  d: { roundId: number; userId: number; organisation: string; scope: string; name: string; reason: string },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('conflict_declarations')
      .insert({
        round_id: d.roundId,
        user_id: d.userId,
        organisation: d.organisation,
        scope: d.scope,
        name: d.name,
        reason: d.reason,
        declared_at: at,
      })
      .returning('id'),
  );
}

/** An evaluator's statement that they have no conflict of interest in a round (无利益冲突). */
export interface Clearance {
  userId: number;
  userName: string;
  organisation: string;
  declaredAt: Date;
}

export async function findClearances(db: Queryable, roundId: number, organisation?: string): Promise<Clearance[]> {
  const query = db('conflict_clearances')
    .join('users', 'users.id', 'conflict_clearances.user_id')
    .where('conflict_clearances.round_id', roundId)
    .orderBy('conflict_clearances.id')
    .select('conflict_clearances.*', 'users.display_name as user_name');
  if (organisation !== undefined) query.where('conflict_clearances.organisation', organisation);
  const rows = (await query) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    userId: r.user_id as number,
    userName: r.user_name as string,
    organisation: r.organisation as string,
    declaredAt: toDate(r.declared_at),
  }));
}

/** Records the statement; false when this evaluator has already made it for the round. */
export async function insertClearance(
  db: Queryable,
  c: { roundId: number; userId: number; organisation: string },
  at: Date,
): Promise<boolean> {
  if (await db('conflict_clearances').where({ round_id: c.roundId, user_id: c.userId }).first('id')) return false;
  await db('conflict_clearances').insert({
    round_id: c.roundId,
    user_id: c.userId,
    organisation: c.organisation,
    declared_at: at,
  });
  return true;
}
