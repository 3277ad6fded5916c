import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { QualityWeights } from '../domain/review';
import { characterCount, FieldError, readText, TEXT_LIMITS } from '../domain/text';
import { Conflict, Invalid, Refused } from '../errors';
import { hasSubmissionsOf } from '../population/repository';
import { lockRound, updateReviewSettings } from '../rounds/repository';
import { findUserByUsername } from '../users/repository';
import { findClearances, findDeclarations, insertClearance, insertDeclaration } from './conflicts';
import { Actor, requireRound } from './items';
import { hasReviews } from './repository';
import {
  endAssignment,
  findEndedByConflict,
  findMyWork,
  findOrganisationAssignments,
  findSampleItems,
  insertAssignment,
} from './sampleRepository';

/**
 * Who reviews what: the lead's assignments and review settings, the agencies' conflict
 * declarations (财预〔2021〕6号), and each reviewer's list of work.
 */
export function assignmentService({ db, now }: { db: Database; now: () => Date }) {
  return {
    /** Assigns sampled items to reviewers and evaluators: `[{code, username}]`, all or nothing. */
    async assign(
      context: AuditContext,
      roundId: number,
      entries: Array<{ code: string; username: string }>,
    ): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await requireRound(trx, roundId, lockRound);
        const items = new Map((await findSampleItems(trx, roundId)).map((i) => [i.code, i]));
        const errors: FieldError[] = [];
        const plan: Array<{
          submissionId: number;
          userId: number;
          code: string;
          username: string;
          from: string | null;
        }> = [];
        for (const [index, entry] of entries.entries()) {
          const item = items.get(String(entry?.code ?? ''));
          const user = await findUserByUsername(trx, String(entry?.username ?? ''));
          if (!item) errors.push({ field: `${index}.code`, message: `编码"${String(entry?.code)}"不在本批次的样本中` });
          if (!user || user.disabledAt)
            errors.push({ field: `${index}.username`, message: `用户"${String(entry?.username)}"不存在或已停用` });
          else if (user.role !== 'reviewer' && user.role !== 'evaluator')
            errors.push({
              field: `${index}.username`,
              message: `用户"${user.username}"不是复核人员或第三方评价机构人员`,
            });
          if (item && user && user.role === 'evaluator') {
            const conflicts = (await findDeclarations(trx, roundId, user.organisation ?? '')).filter(
              (d) => !d.withdrawnAt && (d.scope === 'department' ? d.name === item.department : d.name === item.unit),
            );
            for (const d of conflicts)
              errors.push({
                field: `${index}.username`,
                message: `利益冲突：${user.organisation}已申报与${d.scope === 'department' ? '主管部门' : '预算单位'}"${d.name}"的关系（${d.reason}），不能复核 ${item.code}`,
              });
            if (conflicts.length) continue;
          }
          if (item && user && item.assigneeId !== user.id)
            plan.push({
              submissionId: item.submissionId,
              userId: user.id,
              code: item.code,
              username: user.username,
              from: item.assigneeUsername,
            });
        }
        if (entries.length === 0) errors.push({ field: 'assignments', message: '没有要分配的项目' });
        if (errors.length) throw new Invalid('分配不正确，未作任何分配', errors);
        for (const p of plan) {
          await endAssignment(trx, p.submissionId, context.actor!.id, at);
          await insertAssignment(trx, roundId, p.submissionId, p.userId, context.actor!.id, at);
          await appendAudit(
            trx,
            context,
            {
              action: 'assignment.set',
              objectType: 'review',
              objectId: `${roundId}:${p.code}`,
              before: { assignee: p.from },
              after: { assignee: p.username },
            },
            at,
          );
        }
        return plan.length;
      });
    },

    items: (roundId: number, onlyUserId?: number) => findSampleItems(db, roundId, onlyUserId),

    /** Items to reassign because a conflict declaration ended their assignment. */
    endedByConflict: (roundId: number) => findEndedByConflict(db, roundId),

    /** Quality weights and blind review, settable until the first review is saved. */
    async updateSettings(
      context: AuditContext,
      roundId: number,
      input: { weights: QualityWeights; blindReview: boolean },
      version: number,
    ): Promise<void> {
      const { weights } = input;
      const values = [weights.timeliness, weights.normative, weights.report];
      if (
        !values.every((v) => Number.isInteger(v) && v >= 0 && v <= 100) ||
        values.reduce((a, b) => a + b, 0) !== 100
      ) {
        throw new Invalid('质量评分权重须为0–100的整数，合计100', [
          { field: 'weights', message: '及时性、规范性、报告质量的权重须为0–100的整数，合计100' },
        ]);
      }
      const at = now();
      await writeTransaction(db, async (trx) => {
        const before = await requireRound(trx, roundId, lockRound);
        if (await hasReviews(trx, roundId)) throw new Conflict('复核已经开始，不能再修改质量权重和盲评设置');
        if (!(await updateReviewSettings(trx, roundId, weights, input.blindReview, version, at)))
          throw new Conflict('该复核批次已被他人修改，请刷新后重试');
        await appendAudit(
          trx,
          context,
          {
            action: 'round.review-settings',
            objectType: 'round',
            objectId: roundId,
            before: { qualityWeights: before.qualityWeights, blindReview: before.blindReview },
            after: input,
          },
          at,
        );
      });
    },

    /** Declarations of a round; an evaluator sees their organisation's only. */
    conflicts: (roundId: number, organisation?: string) => findDeclarations(db, roundId, organisation),

    /**
     * An evaluator declares, for their organisation and this round, a department or unit it has
     * advised or belongs to; none of its items is then assigned to the organisation's evaluators.
     */
    async declareConflict(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      input: Record<string, unknown>,
    ): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await requireRound(trx, roundId, lockRound);
        if (actor.role !== 'evaluator' || !actor.organisation) throw new Refused('只有第三方评价机构人员申报利益冲突');
        const scope = input.scope === 'unit' ? 'unit' : input.scope === 'department' ? 'department' : '';
        const errors: FieldError[] = [];
        const name = readText(input.name, 'name', '名称', TEXT_LIMITS.name, errors) ?? '';
        const reason = readText(input.reason, 'reason', '关系说明', TEXT_LIMITS.reason, errors) ?? '';
        if (!scope) errors.push({ field: 'scope', message: '请选择主管部门或预算单位' });
        const column = scope === 'unit' ? 'unit' : 'department';
        if (scope && !(await hasSubmissionsOf(trx, roundId, column, name)))
          errors.push({ field: 'name', message: `本批次中没有${scope === 'unit' ? '预算单位' : '主管部门'}"${name}"` });
        if (characterCount(reason) < 4)
          errors.push({ field: 'reason', message: '请说明关系（如"2023年为其提供过预算编制咨询"）' });
        if (errors.length) throw new Invalid('利益冲突申报不完整', errors);
        const id = await insertDeclaration(
          trx,
          { roundId, userId: actor.id, organisation: actor.organisation, scope, name, reason },
          at,
        );
        await appendAudit(
          trx,
          context,
          {
            action: 'conflict.declare',
            objectType: 'round',
            objectId: roundId,
            after: { organisation: actor.organisation, scope, name, reason },
          },
          at,
        );
        // The organisation's evaluators lose the items the declaration covers; the lead reassigns them.
        const covered = (await findOrganisationAssignments(trx, roundId, actor.organisation)).filter(
          (a) => (scope === 'unit' ? a.unit : a.department) === name,
        );
        const endReason = `${actor.organisation}申报利益冲突：${scope === 'unit' ? '预算单位' : '主管部门'}"${name}"`;
        for (const a of covered) {
          await endAssignment(trx, a.submissionId, actor.id, at, endReason);
          await appendAudit(
            trx,
            context,
            {
              action: 'assignment.end',
              objectType: 'review',
              objectId: `${roundId}:${a.code}`,
              before: { assignee: a.username },
              after: { assignee: null, reason: endReason },
            },
            at,
          );
        }
        return id;
      });
    },

    /** Evaluators' statements of no conflict in a round; an evaluator sees their organisation's only. */
    clearances: (roundId: number, organisation?: string) => findClearances(db, roundId, organisation),

    /**
     * An evaluator states, for this round, that they and their organisation have no conflict of
     * interest with its units (无利益冲突声明): once, kept as said, beside any declaration.
     */
    async declareNoConflict(context: AuditContext, actor: Actor, roundId: number): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        await requireRound(trx, roundId, lockRound);
        if (actor.role !== 'evaluator' || !actor.organisation)
          throw new Refused('只有第三方评价机构人员作无利益冲突声明');
        if (!(await insertClearance(trx, { roundId, userId: actor.id, organisation: actor.organisation }, at)))
          throw new Conflict('您已在本批次声明无利益冲突');
        await appendAudit(
          trx,
          context,
          {
            action: 'conflict.none',
            objectType: 'round',
            objectId: roundId,
            after: { organisation: actor.organisation },
          },
          at,
        );
      });
    },
    myWork: (userId: number) => findMyWork(db, userId),
  };
}
