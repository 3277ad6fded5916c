import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { todayCst } from '../domain/dates';
import { characterCount, FieldError, readText, TEXT_LIMITS } from '../domain/text';
import { closestNames, Coverage, feedbackDueDate, isOverdue, parseFeedback, parseRequest } from '../domain/units';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { findEvidence } from '../findings/evidence';
import { findFindings } from '../findings/repository';
import { findIndicators } from '../population/repository';
import { isRectificationOverdue } from '../domain/rectification';
import { findTasks } from '../rectifications/repository';
import { Actor, canWrite, lockedItem, requireOpenItem, sampledItem } from '../reviews/items';
import { findReview, Review } from '../reviews/repository';
import {
  findCoverages,
  findFeedback,
  findOpenRequests,
  findRequests,
  findSampledUnits,
  findUnitItems,
  hasContacts,
  insertAnswer,
  insertFeedback,
  insertRequest,
  knownUnitNames,
  MaterialRequest,
} from './repository';

/** A review the unit may read: submitted to the lead, or confirmed. Drafts and returned reviews are the team's. */
export const isShownToUnit = (review: Pick<Review, 'status'> | undefined | null): boolean =>
  review?.status === 'submitted' || review?.status === 'confirmed';

/** The last day of the unit's feedback on a submitted review. */
export const feedbackDue = (review: Pick<Review, 'status' | 'updatedAt'>, days: number): string | null =>
  review.status === 'submitted' ? feedbackDueDate(todayCst(review.updatedAt), days) : null;

/** A request as its readers see it: answered or open, overdue past its date while open. */
export function requestState(request: MaterialRequest, today: string) {
  const answered = request.answers.length > 0;
  return { answered, overdue: isOverdue(request.dueDate, answered, today), latest: request.answers.at(-1) ?? null };
}

/** A name typed for a unit contact that no population holds, with the names it may have meant. */
export interface UnknownName {
  kind: 'unit' | 'department';
  name: string;
  suggestions: string[];
}

/**
 * The units' side of a review: material requests (材料补充) from the review team to a sampled
 * unit and its answers, the unit's feedback on a submitted review (意见反馈), and what a unit's
 * contact sees of its items. Every item passes the same per-object check as the reviewers'
 * (reviews/items.ts); a unit's contact sees only its units' sampled items.
 */
export function unitService({ db, now }: { db: Database; now: () => Date }) {
  const requireUnit = (actor: Actor) => {
    if (actor.role !== 'unit') throw new Refused('只有预算单位联系人可以进行此操作');
  };

  return {
    /** The names that are in no population yet, each with the closest ones that are. */
    async unknownNames(coverage: Coverage): Promise<UnknownName[]> {
      const known = await knownUnitNames(db);
      return [
        ...coverage.units
          .filter((name) => !known.units.includes(name))
          .map((name) => ({ kind: 'unit' as const, name, suggestions: closestNames(name, known.units) })),
        ...coverage.departments
          .filter((name) => !known.departments.includes(name))
          .map((name) => ({ kind: 'department' as const, name, suggestions: closestNames(name, known.departments) })),
      ];
    },

    coverages: (userIds?: number[]) => findCoverages(db, userIds),

    /** A unit contact's sampled items in every round, newest first, with their requests and feedback. */
    async myItems(actor: Actor) {
      requireUnit(actor);
      const items = await findUnitItems(db, actor.id);
      const ids = items.map((i) => i.submissionId);
      const [requests, feedback, rectifications] = await Promise.all([
        findRequests(db, { submissionIds: ids }),
        findFeedback(db, ids),
        findTasks(db, { submissionIds: ids }),
      ]);
      const today = todayCst(now());
      return items.map((item) => {
        const mine = requests.filter((r) => r.submissionId === item.submissionId);
        const said = feedback.filter((f) => f.submissionId === item.submissionId);
        const status = item.reviewStatus;
        const due =
          status && item.reviewUpdatedAt
            ? feedbackDue({ status, updatedAt: item.reviewUpdatedAt }, item.unitFeedbackDays)
            : null;
        // Feedback is due on a submitted review the unit has not answered since it was submitted.
        const answeredSince = said.some((f) => item.reviewUpdatedAt && f.givenAt >= item.reviewUpdatedAt);
        return {
          ...item,
          openRequests: mine.filter((r) => !requestState(r, today).answered).length,
          overdueRequests: mine.filter((r) => requestState(r, today).overdue).length,
          requests: mine,
          feedback: said,
          rectifications: rectifications
            .filter((t) => t.submissionId === item.submissionId)
            .map((t) => ({ ...t, overdue: isRectificationOverdue(t.dueDate, t.status, today) })),
          feedbackDue: due,
          feedbackOpen: status === 'submitted' && !answeredSince,
          feedbackOverdue: status === 'submitted' && !answeredSince && due !== null && due < today,
        };
      });
    },

    /**
     * One item as its unit's contact sees it: its own record and indicators, the requests and the
     * feedback; the review's figures and standing findings only once the review is submitted.
     */
    async item(actor: Actor, roundId: number, code: string) {
      requireUnit(actor);
      const { round, submission } = await sampledItem(db, actor, roundId, code);
      const [indicators, review, findings, evidence, requests, feedback, rectifications] = await Promise.all([
        findIndicators(db, submission.id),
        findReview(db, submission.id),
        findFindings(db, submission.id),
        findEvidence(db, submission.id),
        findRequests(db, { submissionIds: [submission.id] }),
        findFeedback(db, [submission.id]),
        findTasks(db, { submissionIds: [submission.id] }),
      ]);
      const shown = isShownToUnit(review);
      const today = todayCst(now());
      return {
        round,
        submission,
        indicators,
        reviewStatus: review?.status ?? null,
        review: shown ? review! : null,
        findings: shown ? findings.filter((f) => f.withdrawnAt === null) : [],
        evidence: evidence.filter((e) => e.suppliedByUnit),
        requests,
        feedback,
        feedbackDue: review ? feedbackDue(review, round.unitFeedbackDays) : null,
        canFeedback: review?.status === 'submitted',
        // Files come while the review is open, and afterwards for a rectification still to write.
        canUpload:
          review?.status !== 'confirmed' || rectifications.some((t) => t.status === 'open' || t.status === 'returned'),
        canAnswer: review?.status !== 'confirmed',
        rectifications: rectifications.map((t) => ({
          ...t,
          overdue: isRectificationOverdue(t.dueDate, t.status, today),
        })),
        today,
      };
    },

    /** 材料补充: the item's reviewer (or the lead) asks its unit for something, by a date. */
    async addRequest(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      body: Record<string, unknown>,
    ) {
      const at = now();
      const parsed = parseRequest(body, todayCst(at));
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权向项目 ${code} 的单位要求补充材料`);
        await requireOpenItem(trx, submission.id, code);
        if (!parsed.value) throw new Invalid(parsed.errors[0].message, parsed.errors);
        const id = await insertRequest(
          trx,
          {
            roundId,
            submissionId: submission.id,
            text: parsed.value.text,
            dueDate: parsed.value.dueDate,
            by: actor.id,
          },
          at,
        );
        await appendAudit(
          trx,
          context,
          {
            action: 'request.create',
            objectType: 'request',
            objectId: id,
            after: { round: roundId, code, dueDate: parsed.value.dueDate, text: parsed.value.text },
          },
          at,
        );
        return { id, status: 'open' as const, text: parsed.value.text, dueDate: parsed.value.dueDate };
      });
    },

    /** An item's requests, for anyone who may read the item (its team, the lead, its unit). */
    async requests(actor: Actor, roundId: number, code: string) {
      const { submission } = await sampledItem(db, actor, roundId, code);
      return { requests: await findRequests(db, { submissionIds: [submission.id] }), today: todayCst(now()) };
    },

    /**
     * The unit answers a request, citing files it uploaded to the same item. A second answer is
     * added beside the first (a request is answered once it has one).
     */
    async answer(context: AuditContext, actor: Actor, requestId: number, body: Record<string, unknown>) {
      requireUnit(actor);
      const at = now();
      const errors: FieldError[] = [];
      const text = readText(body.text, 'text', '答复', TEXT_LIMITS.comment, errors) ?? '';
      if (!errors.length && characterCount(text) < 2) errors.push({ field: 'text', message: '请填写答复' });
      const raw = body.evidence;
      const cited = (Array.isArray(raw) ? raw : raw === undefined || raw === '' || raw === null ? [] : [raw]).map(
        Number,
      );
      return writeTransaction(db, async (trx) => {
        const [request] = Number.isSafeInteger(requestId) ? await findRequests(trx, { id: requestId }) : [];
        if (!request) throw new NotFound('补充材料要求不存在');
        const { submission } = await lockedItem(trx, actor, request.roundId, request.code);
        await requireOpenItem(trx, submission.id, request.code);
        const own = new Set(
          (await findEvidence(trx, submission.id))
            .filter((e) => e.suppliedByUnit && e.withdrawnAt === null)
            .map((e) => e.id),
        );
        const foreign = cited.filter((id) => !own.has(id));
        if (foreign.length)
          errors.push({
            field: 'evidence',
            message: `引用的材料不是本单位为该项目上传的：${foreign.map((id) => (Number.isFinite(id) ? id : '?')).join('、')}`,
          });
        if (errors.length) throw new Invalid(errors[0].message, errors);
        const id = await insertAnswer(trx, { requestId, text, evidenceIds: cited, by: actor.id }, at);
        await appendAudit(
          trx,
          context,
          {
            action: 'request.answer',
            objectType: 'request',
            objectId: requestId,
            after: { round: request.roundId, code: request.code, answer: id, text, evidence: cited },
          },
          at,
        );
        const [after] = await findRequests(trx, { id: requestId });
        return after;
      });
    },

    /**
     * 意见反馈: the unit agrees with the submitted review or not (with its reason), while the
     * review waits for the lead. Each feedback is added; none replaces another.
     */
    async addFeedback(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      body: Record<string, unknown>,
    ) {
      requireUnit(actor);
      const at = now();
      const parsed = parseFeedback(body);
      return writeTransaction(db, async (trx) => {
        const { submission } = await lockedItem(trx, actor, roundId, code);
        const review = await findReview(trx, submission.id);
        if (review?.status === 'confirmed') throw new Conflict('复核已确认，不能再反馈意见');
        if (review?.status !== 'submitted')
          throw new Conflict('复核尚未提交，暂不能反馈意见；提交后您会在“我的单位”看到');
        if (!parsed.value) throw new Invalid(parsed.errors[0].message, parsed.errors);
        const id = await insertFeedback(
          trx,
          {
            roundId,
            submissionId: submission.id,
            reviewVersion: review.version,
            agree: parsed.value.agree,
            text: parsed.value.text,
            by: actor.id,
          },
          at,
        );
        await appendAudit(
          trx,
          context,
          {
            action: 'feedback.give',
            objectType: 'feedback',
            objectId: id,
            after: {
              round: roundId,
              code,
              reviewVersion: review.version,
              agree: parsed.value.agree,
              text: parsed.value.text,
            },
          },
          at,
        );
        return { id, agree: parsed.value.agree, text: parsed.value.text, reviewVersion: review.version };
      });
    },

    /**
     * The unit's side of an item's review page (its access already checked by the review's read):
     * the requests, the feedback, and whether anyone of the unit has an account.
     */
    async sideOfItem(submission: { id: number; unit: string; department: string }) {
      const [requests, feedback, unitReachable] = await Promise.all([
        findRequests(db, { submissionIds: [submission.id] }),
        findFeedback(db, [submission.id]),
        hasContacts(db, submission),
      ]);
      return { requests, feedback, unitReachable, today: todayCst(now()) };
    },

    /** Each item's latest feedback, by submission id: a disagreement waits for the team's response. */
    async latestFeedback(submissionIds: number[]) {
      return new Map((await findFeedback(db, submissionIds)).map((f) => [f.submissionId, f]));
    },

    /** The sampled units of a round and who in each has an account (whom the bureau must phone). */
    sampledUnits: (roundId: number) => findSampledUnits(db, roundId),

    /** Requests still open across rounds, with whether each is overdue today. */
    async openRequests(roundIds: number[]) {
      const today = todayCst(now());
      return (await findOpenRequests(db, roundIds)).map((r) => ({ ...r, overdue: r.dueDate < today }));
    },
  };
}

export type UnitService = ReturnType<typeof unitService>;
