import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { RoundFields } from '../domain/rounds';
import { Conflict, NotFound, Refused } from '../errors';
import { Role } from '../domain/roles';
import { findRoundProgress } from './progress';
import { findRound, insertRound, listRounds, lockRound, Round, updateRound } from './repository';

export interface RoundServiceDeps {
  db: Database;
  now: () => Date;
  /** What else follows a new deadline, in the same transaction (the population's late flags). */
  onDeadlineChange: (trx: Queryable, roundId: number, deadline: string | null) => Promise<void>;
}

export function roundService({ db, now, onDeadlineChange }: RoundServiceDeps) {
  async function get(id: number): Promise<Round> {
    const round = Number.isSafeInteger(id) ? await findRound(db, id) : undefined;
    if (!round) throw new NotFound('复核批次不存在');
    return round;
  }

  return {
    list: () => listRounds(db),
    /** Each round's sample and announcement as they stand (the dashboard). */
    progress: () => findRoundProgress(db),
    get,

    /**
     * A round whose lists show the units' own scores (the population, the sample): in a blind
     * round, not to reviewers, who see each item's self-score only after scoring it themselves.
     */
    async withSelfScores(id: number, role: Role): Promise<Round> {
      const round = await get(id);
      if (round.blindReview && (role === 'reviewer' || role === 'evaluator'))
        throw new Refused(
          `盲评批次 ${id} 的自评清单`,
          '本批次为盲评：复核人员不查看含自评得分的清单，请从"我的复核任务"进入分配给您的项目',
        );
      return round;
    },

    async create(context: AuditContext, fields: RoundFields): Promise<Round> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const id = await insertRound(trx, fields, context.actor!.id, at);
        const round = (await findRound(trx, id))!;
        await appendAudit(
          trx,
          context,
          { action: 'round.create', objectType: 'round', objectId: id, after: round },
          at,
        );
        return round;
      });
    },

    /** A stale version gets 409 with the current round, and nothing changes. */
    async update(context: AuditContext, id: number, fields: RoundFields, version: number): Promise<Round> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        // Alone on the round: its deadline and details are read by the writes on its items.
        const before = await lockRound(trx, id);
        if (!before) throw new NotFound('复核批次不存在');
        if (!(await updateRound(trx, id, fields, version, at))) {
          throw new Conflict('该复核批次已被他人修改，请查看最新内容后再保存', { current: before });
        }
        const after = (await findRound(trx, id))!;
        if (before.deadline !== after.deadline) await onDeadlineChange(trx, id, after.deadline);
        await appendAudit(
          trx,
          context,
          { action: 'round.update', objectType: 'round', objectId: id, before, after },
          at,
        );
        return after;
      });
    },
  };
}
