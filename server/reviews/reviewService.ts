import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { parseReviewContent, reviewFigures, ReviewStatus, submitProblems, timelinessScore } from '../domain/review';
import { reviewChanges } from '../domain/reviewHistory';
import { requiredReason } from '../domain/text';
import { assess } from '../domain/warnings';
import { Conflict, Invalid, Refused } from '../errors';
import { findEvidence } from '../findings/evidence';
import { findFindings, listCategoryTitles } from '../findings/repository';
import { findIndicators, Submission } from '../population/repository';
import { findFeedback, insertResponse } from '../units/repository';
import { Round } from '../rounds/repository';
import {
  Actor,
  canWrite,
  EMPTY_REVIEW,
  findingEditRefusal,
  forReview,
  isBlind,
  lockedItem,
  sampledItem,
  snapshotOf,
} from './items';
import {
  findReview,
  findReviewVersions,
  findVersionList,
  insertReview,
  insertReviewVersion,
  Review,
  ReviewWrite,
  updateReview,
} from './repository';

/** How many of a review's versions its page lists; the history page has them all. */
export const RECENT_VERSIONS = 10;

export type Transition = 'submit' | 'withdraw' | 'confirm' | 'return';

/** A save over a version that is no longer the stored one: the stored review comes with it. */
export class StaleReview extends Conflict {
  constructor(
    readonly current: Review | undefined,
    readonly submission: Submission,
    readonly blind: boolean,
  ) {
    super('该复核已被他人修改；您的内容没有保存，请对照最新版本后再保存', undefined, 'stale_version');
  }
}

export interface SavedReview {
  review: Review;
  submission: Submission;
  blind: boolean;
}

/**
 * The review of one sampled item: reading it, saving it (version-checked), its transitions
 * (submit, confirm, return) and its history. Every write is one transaction with its version
 * row and its audit entry.
 */
export function reviewService({ db, now }: { db: Database; now: () => Date }) {
  /** Moves a review on (or back), in the caller's transaction, checking who may and what it needs. */
  async function applyTransition(
    trx: Queryable,
    context: AuditContext,
    actor: Actor,
    round: Round,
    submission: Submission,
    assignee: number | null,
    action: Transition,
    reason: unknown,
    at: Date,
    expectedVersion?: number,
  ): Promise<SavedReview> {
    const code = submission.code;
    const review = await findReview(trx, submission.id);
    if (review && expectedVersion !== undefined && review.version !== expectedVersion)
      throw new Conflict(`项目 ${code} 的复核在您打开页面后已被修改（现为第${review.version}版），请打开查看后再确认`);
    if (action === 'submit' && !canWrite(actor, assignee)) throw new Refused(`无权提交项目 ${code} 的复核`);
    // Only its submitter takes a submission back; the lead returns it instead.
    if (
      action === 'withdraw' &&
      (!canWrite(actor, assignee) || (review?.status === 'submitted' && review.updatedBy !== actor.id))
    )
      throw new Refused(`无权撤回项目 ${code} 的复核：只有提交人可以撤回`);
    if ((action === 'confirm' || action === 'return') && actor.role !== 'lead')
      throw new Refused(`只有复核组组长可以${action === 'confirm' ? '确认' : '退回'}复核`);
    if (!review) throw new Conflict('这个项目还没有复核记录');
    let status: ReviewStatus;
    let returnReason: string | null = null;
    if (action === 'submit') {
      if (review.status !== 'draft' && review.status !== 'returned')
        throw new Conflict(`复核状态为"${review.status === 'submitted' ? '已提交' : '已确认'}"，不能再提交`);
      const indicators = forReview(await findIndicators(trx, submission.id));
      const problems = submitProblems(
        indicators,
        review.content,
        reviewFigures(submission, indicators, review.content),
      );
      if (problems.length) throw new Invalid('复核还不完整，不能提交', problems);
      status = 'submitted';
    } else if (action === 'withdraw') {
      // Taken back before the lead has confirmed it: a draft again, for its writer to change.
      if (review.status !== 'submitted')
        throw new Conflict(
          review.status === 'confirmed' ? '复核已确认，不能撤回；如需修改，请组长退回' : '只能撤回已提交的复核',
        );
      status = 'draft';
    } else if (action === 'confirm') {
      if (review.status !== 'submitted') throw new Conflict('只能确认已提交的复核');
      // Over the unit's disagreement only with the review team's answer to it, which the unit then reads.
      const latest = (await findFeedback(trx, [submission.id])).at(-1);
      if (latest && !latest.agree) {
        const response = requiredReason(reason, '单位不同意复核结果：确认前须写明复核组对单位意见的答复', {
          field: 'response',
          label: '答复',
          min: 4,
        });
        const responseId = await insertResponse(trx, { feedbackId: latest.id, text: response, by: actor.id }, at);
        await appendAudit(
          trx,
          context,
          {
            action: 'feedback.respond',
            objectType: 'feedback',
            objectId: latest.id,
            after: { round: round.id, code, response: responseId, text: response },
          },
          at,
        );
      }
      status = 'confirmed';
    } else {
      returnReason = requiredReason(reason, '退回须写明理由');
      if (review.status !== 'submitted' && review.status !== 'confirmed')
        throw new Conflict('只能退回已提交或已确认的复核');
      status = 'returned';
    }
    const write: ReviewWrite = {
      status,
      reviewScore: review.reviewScore,
      qualityScore: review.qualityScore,
      comment: review.comment,
      content: review.content,
      returnReason,
    };
    if (!(await updateReview(trx, review.id, review.version, write, actor.id, at)))
      throw new Conflict('该复核已被他人修改，请刷新后重试');
    await insertReviewVersion(
      trx,
      review.id,
      review.version + 1,
      action,
      status,
      snapshotOf(write),
      returnReason,
      actor.id,
      at,
    );
    await appendAudit(
      trx,
      context,
      {
        action: `review.${action}`,
        objectType: 'review',
        objectId: `${round.id}:${code}`,
        before: { status: review.status, version: review.version },
        after: { status, version: review.version + 1, reason: returnReason },
      },
      at,
    );
    const after = (await findReview(trx, submission.id))!;
    return { review: after, submission, blind: isBlind(round, actor.role, after.reviewScore) };
  }

  async function transition(
    context: AuditContext,
    actor: Actor,
    roundId: number,
    code: string,
    action: Transition,
    reason?: unknown,
    expectedVersion?: number,
  ): Promise<SavedReview> {
    const at = now();
    return writeTransaction(db, async (trx) => {
      const { round, submission, assignee } = await lockedItem(trx, actor, roundId, code);
      return applyTransition(trx, context, actor, round, submission, assignee, action, reason, at, expectedVersion);
    });
  }

  return {
    /**
     * One sampled item as its reviewer sees it, with the latest RECENT_VERSIONS versions of its
     * review (all of them with `allVersions`); `versionCount` says how many there are.
     */
    async item(actor: Actor, roundId: number, code: string, { allVersions = false } = {}) {
      // A unit's contact reads its item through the units' service, which leaves out what it may not see.
      if (actor.role === 'unit') throw new Refused('单位联系人请在“我的单位”中查看本单位的项目');
      const { round, submission, item, assignee } = await sampledItem(db, actor, roundId, code);
      // The reads side by side (each on a connection of its own on PostgreSQL).
      const [indicators, review, versions, findings, evidence, categories] = await Promise.all([
        findIndicators(db, submission.id),
        findReview(db, submission.id),
        findVersionList(db, submission.id, allVersions ? undefined : RECENT_VERSIONS),
        findFindings(db, submission.id),
        findEvidence(db, submission.id),
        listCategoryTitles(db),
      ]);
      const content = review?.content ?? EMPTY_REVIEW;
      // Writable while there is no review yet, or it is a draft or returned; "保存并提交" saves first, so submitting goes with writing.
      const writable =
        canWrite(actor, assignee) && (!review || review.status === 'draft' || review.status === 'returned');
      // Findings and evidence stay open to the item's writers until the lead confirms.
      const findingsOpen = canWrite(actor, assignee) && review?.status !== 'confirmed';
      return {
        round,
        submission,
        item,
        indicators,
        assessment: assess(submission, indicators, round.deadline),
        review,
        figures: reviewFigures(submission, forReview(indicators), content),
        versions,
        // Versions are numbered from 1 without gaps, so the latest number is the count.
        versionCount: review?.version ?? 0,
        findings,
        evidence,
        categories,
        canWrite: writable,
        canWriteFindings: findingsOpen,
        editableFindings: new Set(
          findings
            .filter(
              (f) =>
                findingsOpen &&
                findingEditRefusal(
                  actor,
                  { authorId: f.authorId, withdrawn: f.withdrawnAt !== null },
                  review?.status,
                ) === null,
            )
            .map((f) => f.id),
        ),
        // Blind review: a reviewer sees the unit's own scores only after saving theirs.
        blind: isBlind(round, actor.role, review?.reviewScore),
        timelinessDefault: timelinessScore(submission.submittedOn, round.deadline),
        canSubmit: writable,
        canWithdraw: canWrite(actor, assignee) && review?.status === 'submitted' && review.updatedBy === actor.id,
        canConfirm: actor.role === 'lead' && review?.status === 'submitted',
        canReturn: actor.role === 'lead' && (review?.status === 'submitted' || review?.status === 'confirmed'),
      };
    },

    /**
     * Saves a draft, and with `submit` submits it in the same transaction. `version` is the one
     * the writer read (0 for a new review); a stale one is a StaleReview with what is stored now,
     * and nothing changes. What the body leaves out keeps its stored value.
     */
    async save(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      body: Record<string, unknown>,
      version: number,
      { submit = false } = {},
    ): Promise<SavedReview> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const { round, submission, assignee } = await lockedItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权修改项目 ${code} 的复核`);
        const indicators = forReview(await findIndicators(trx, submission.id));
        const current = await findReview(trx, submission.id);
        if ((current?.version ?? 0) !== version)
          throw new StaleReview(current, submission, isBlind(round, actor.role, current?.reviewScore));
        if (current && current.status !== 'draft' && current.status !== 'returned')
          throw new Conflict(
            `复核已${current.status === 'submitted' ? '提交' : '确认'}，不能再修改${current.status === 'confirmed' ? '；如需修改，请组长退回' : ''}`,
          );
        const parsed = parseReviewContent(
          body,
          indicators,
          { weights: round.qualityWeights, timelinessDefault: timelinessScore(submission.submittedOn, round.deadline) },
          current?.content,
        );
        if (!parsed.value) throw new Invalid('复核内容不正确，未保存', parsed.errors);
        const content = parsed.value;
        const cited = content.indicators.flatMap((i) => i.evidence ?? []);
        const available = new Set(
          cited.length ? (await findEvidence(trx, submission.id)).filter((e) => !e.withdrawnAt).map((e) => e.id) : [],
        );
        const unknown = cited.filter((id) => !available.has(id));
        if (unknown.length)
          throw new Invalid('复核内容不正确，未保存', [
            { field: 'indicators.evidence', message: `引用的佐证材料不属于该项目：${unknown.join('、')}` },
          ]);
        const figures = reviewFigures(submission, indicators, content);
        const write: ReviewWrite = {
          status: current?.status === 'returned' ? 'returned' : 'draft',
          reviewScore: figures.reviewScore,
          qualityScore: content.qualityScore,
          comment: content.comment,
          content,
          returnReason: current?.returnReason ?? null,
        };
        let id: number;
        if (current) {
          if (!(await updateReview(trx, current.id, version, write, actor.id, at)))
            throw new Conflict('该复核已被他人修改，请刷新后重试');
          id = current.id;
        } else {
          id = await insertReview(trx, roundId, submission.id, write, actor.id, at);
        }
        await insertReviewVersion(trx, id, version + 1, 'save', write.status, snapshotOf(write), null, actor.id, at);
        await appendAudit(
          trx,
          context,
          {
            action: 'review.save',
            objectType: 'review',
            objectId: `${roundId}:${code}`,
            before: current
              ? { version: current.version, reviewScore: current.reviewScore, qualityScore: current.qualityScore }
              : undefined,
            after: { version: version + 1, reviewScore: write.reviewScore, qualityScore: write.qualityScore },
          },
          at,
        );
        if (submit) return applyTransition(trx, context, actor, round, submission, assignee, 'submit', undefined, at);
        const review: Review = {
          id,
          roundId,
          submissionId: submission.id,
          ...write,
          version: version + 1,
          updatedBy: actor.id,
          updatedByName: actor.displayName,
          updatedAt: at,
        };
        return { review, submission, blind: isBlind(round, actor.role, review.reviewScore) };
      });
    },

    /**
     * Every version of an item's review, the latest first, each with what it changed from the one
     * before, for anyone who may read the item.
     */
    async history(actor: Actor, roundId: number, code: string) {
      if (actor.role === 'unit') throw new Refused('复核的修改记录只供复核组查看');
      const { round, submission } = await sampledItem(db, actor, roundId, code);
      const review = await findReview(db, submission.id);
      const versions = review ? await findReviewVersions(db, review.id) : [];
      const names = new Map((await findIndicators(db, submission.id)).map((i) => [i.id, i.level3]));
      return {
        round,
        submission,
        review,
        versions: versions.map((v, i) => ({
          ...v,
          changes: reviewChanges(versions[i + 1]?.snapshot ?? null, v.snapshot, names),
        })),
      };
    },

    submit: (context: AuditContext, actor: Actor, roundId: number, code: string) =>
      transition(context, actor, roundId, code, 'submit'),
    /** A submission the lead has not confirmed yet, taken back by its writer. */
    withdraw: (context: AuditContext, actor: Actor, roundId: number, code: string) =>
      transition(context, actor, roundId, code, 'withdraw'),
    /**
     * `response` answers the unit's feedback when it disagrees (required then). With `version`,
     * only if the review is still the one the lead looked at (confirming from a list).
     */
    confirm: (
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      response?: unknown,
      version?: number,
    ) => transition(context, actor, roundId, code, 'confirm', response, version),
    return: (context: AuditContext, actor: Actor, roundId: number, code: string, reason: unknown) =>
      transition(context, actor, roundId, code, 'return', reason),
  };
}

export type ReviewService = ReturnType<typeof reviewService>;
