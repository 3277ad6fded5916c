import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { KIND_LABELS } from '../domain/population';
import { characterCount, readText, requiredReason, TEXT_LIMITS } from '../domain/text';
import { FieldError, parseReviewContent, QualityWeights, ReviewContent, reviewFigures, ReviewStatus, submitProblems, timelinessScore } from '../domain/review';
import { Role } from '../domain/roles';
import { assess } from '../domain/warnings';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { findIndicators, Indicator, Submission } from '../population/repository';
import { findRound, lockRound, Round, updateReviewSettings } from '../rounds/repository';
import { findUserByUsername } from '../users/repository';
import { findEvidence, insertEvidence, withdrawEvidence } from '../findings/evidence';
import { findDeclarations, insertDeclaration } from './conflicts';
import { reviewChanges, ReviewSnapshot } from '../domain/reviewHistory';
import { parseResults, RESULTS_SHEET, resultsWorkbook } from './offline';
import { UnreadableFile } from '../files/formats';
import { FileReader } from '../files/reader';
import { Sheet, sortProblems } from '../domain/population';
import { readStoredFile, storeFile } from '../population/repository';
import { ACCEPTED_LABELS, detectFileType, nameMatches } from '../domain/fileTypes';
import crypto from 'node:crypto';
import { findFindings, findFinding, insertFinding, listCategories, listCategoryTitles, withdrawFinding } from '../findings/repository';
import { Severity, SEVERITIES, SUGGESTED_BY_WARNING } from '../domain/findings';
import {
  endAssignment, findEndedByConflict, findMyWork, findOrganisationAssignments, findReview, findReviewVersions, findSampledRecord, findVersionList, findSampleItems, insertAssignment, insertReview, insertReviewVersion, Review,
  ReviewWrite, updateReview,
} from './repository';

export interface Actor {
  id: number;
  role: Role;
  /** The name a saved review is shown with as its last writer. */
  displayName: string;
  organisation?: string | null;
}

/**
 * Blind review: in a round that asks for it, a reviewer or evaluator sees the unit's own scores
 * (self-score, self-grade, indicator points, and the deviation from them) of an item only once
 * they have saved a score of their own for it. Every response they can reach follows this.
 */
export function isBlind(round: Pick<Round, 'blindReview'>, role: Role, reviewScore: number | null | undefined): boolean {
  return round.blindReview && (role === 'reviewer' || role === 'evaluator') && (reviewScore ?? null) === null;
}

/** How many of a review's versions its page lists; the history page has them all. */
export const RECENT_VERSIONS = 10;

const EMPTY: ReviewContent = { wholeScore: null, qualityScore: null, comment: null, indicators: [], dimensions: {} };

function snapshot(write: ReviewWrite): ReviewSnapshot {
  return { reviewScore: write.reviewScore, qualityScore: write.qualityScore, comment: write.comment, content: write.content };
}

export function reviewService({ db, now, files }: { db: Database; now: () => Date; files: FileReader }) {
  async function requireRound(q: Queryable, roundId: number): Promise<Round> {
    const round = Number.isSafeInteger(roundId) ? await findRound(q, roundId) : undefined;
    if (!round) throw new NotFound('复核批次不存在');
    return round;
  }

  /**
   * A sampled record and whether this actor may see it. Leads, admins and officials see every
   * sampled item; reviewers and evaluators only those assigned to them now.
   */
  async function sampledItem(q: Queryable, actor: Actor, roundId: number, code: string, locked?: Round) {
    const round = locked ?? (await requireRound(q, roundId));
    const { submission, item } = (await findSampledRecord(q, roundId, code)) ?? {};
    if (!submission || !item) {
      // An outsider learns nothing either way; the attempt is still worth a line in the log.
      if (actor.role === 'reviewer' || actor.role === 'evaluator') throw new Refused(`未分配的项目 ${code}`);
      throw new NotFound('样本中没有这个编码');
    }
    const assignee = item.assigneeId;
    if ((actor.role === 'reviewer' || actor.role === 'evaluator') && assignee !== actor.id) throw new Refused(`项目 ${code} 未分配给本人`);
    return { round, submission, item, assignee };
  }

  /** Findings and evidence change with the review: not once the lead has confirmed it (until returned). */
  async function requireOpenItem(q: Queryable, submissionId: number, code: string): Promise<void> {
    const review = await findReview(q, submissionId);
    if (review?.status === 'confirmed') throw new Conflict(`项目 ${code} 的复核已确认，不能再修改问题或佐证材料；如需修改，请组长退回`);
  }

  function canWrite(actor: Actor, assignee: number | null): boolean {
    return actor.role === 'lead' || (assignee === actor.id && (actor.role === 'reviewer' || actor.role === 'evaluator'));
  }


  function forReview(indicators: Indicator[]) {
    return indicators.map((i) => ({ id: i.id, level1: i.level1, level3: i.level3, weight: i.weight, score: i.score, isExecution: i.isExecution }));
  }

  async function transition(context: AuditContext, actor: Actor, roundId: number, code: string, action: 'submit' | 'confirm' | 'return', reason?: string) {
    const at = now();
    return writeTransaction(db, async (trx) => {
      const locked = await lockRound(trx, roundId);
      if (!locked) throw new NotFound('复核批次不存在');
      const { round, submission, assignee } = await sampledItem(trx, actor, roundId, code, locked);
      const review = await findReview(trx, submission.id);
      if (action === 'submit' && !canWrite(actor, assignee)) throw new Refused(`无权提交项目 ${code} 的复核`);
      if (action !== 'submit' && actor.role !== 'lead') throw new Refused(`只有复核组组长可以${action === 'confirm' ? '确认' : '退回'}复核`);
      if (!review) throw new Conflict('这个项目还没有复核记录');
      let status: ReviewStatus;
      let returnReason: string | null = null;
      if (action === 'submit') {
        if (review.status !== 'draft' && review.status !== 'returned') throw new Conflict(`复核状态为"${review.status === 'submitted' ? '已提交' : '已确认'}"，不能再提交`);
        const indicators = forReview(await findIndicators(trx, submission.id));
        const figures = reviewFigures(submission, indicators, review.content);
        const problems = submitProblems(indicators, review.content, figures);
        if (problems.length) throw new Invalid('复核还不完整，不能提交', problems);
        status = 'submitted';
      } else if (action === 'confirm') {
        if (review.status !== 'submitted') throw new Conflict('只能确认已提交的复核');
        status = 'confirmed';
      } else {
        returnReason = requiredReason(reason, '退回须写明理由');
        if (review.status !== 'submitted' && review.status !== 'confirmed') throw new Conflict('只能退回已提交或已确认的复核');
        status = 'returned';
      }
      const write: ReviewWrite = { status, reviewScore: review.reviewScore, qualityScore: review.qualityScore, comment: review.comment, content: review.content, returnReason };
      if (!(await updateReview(trx, review.id, review.version, write, actor.id, at))) throw new Conflict('该复核已被他人修改，请刷新后重试');
      await insertReviewVersion(trx, review.id, review.version + 1, action, status, snapshot(write), write.returnReason, actor.id, at);
      await appendAudit(trx, context, { action: `review.${action}`, objectType: 'review', objectId: `${roundId}:${code}`, before: { status: review.status, version: review.version }, after: { status, version: review.version + 1, reason: write.returnReason } }, at);
      const after = (await findReview(trx, submission.id))!;
      return { review: after, submission, blind: isBlind(round, actor.role, after.reviewScore) };
    });
  }

  return {
    /** Assigns sampled items to reviewers and evaluators: `[{code, username}]`, all or nothing. */
    async assign(context: AuditContext, roundId: number, entries: Array<{ code: string; username: string }>): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await lockRound(trx, roundId);
        await requireRound(trx, roundId);
        const items = new Map((await findSampleItems(trx, roundId)).map((i) => [i.code, i]));
        const errors: FieldError[] = [];
        const plan: Array<{ submissionId: number; userId: number; code: string; username: string; from: string | null }> = [];
        for (const [index, entry] of entries.entries()) {
          const item = items.get(String(entry?.code ?? ''));
          const user = await findUserByUsername(trx, String(entry?.username ?? ''));
          if (!item) errors.push({ field: `${index}.code`, message: `编码"${String(entry?.code)}"不在本批次的样本中` });
          if (!user || user.disabledAt) errors.push({ field: `${index}.username`, message: `用户"${String(entry?.username)}"不存在或已停用` });
          else if (user.role !== 'reviewer' && user.role !== 'evaluator') errors.push({ field: `${index}.username`, message: `用户"${user.username}"不是复核人员或第三方评价机构人员` });
          if (item && user && user.role === 'evaluator') {
            const conflicts = (await findDeclarations(trx, roundId, user.organisation ?? '')).filter((d) => !d.withdrawnAt && (d.scope === 'department' ? d.name === item.department : d.name === item.unit));
            for (const d of conflicts) errors.push({ field: `${index}.username`, message: `利益冲突：${user.organisation}已申报与${d.scope === 'department' ? '主管部门' : '预算单位'}"${d.name}"的关系（${d.reason}），不能复核 ${item.code}` });
            if (conflicts.length) continue;
          }
          if (item && user && item.assigneeId !== user.id) plan.push({ submissionId: item.submissionId, userId: user.id, code: item.code, username: user.username, from: item.assigneeUsername });
        }
        if (entries.length === 0) errors.push({ field: 'assignments', message: '没有要分配的项目' });
        if (errors.length) throw new Invalid('分配不正确，未作任何分配', errors);
        for (const p of plan) {
          await endAssignment(trx, p.submissionId, context.actor!.id, at);
          await insertAssignment(trx, roundId, p.submissionId, p.userId, context.actor!.id, at);
          await appendAudit(trx, context, { action: 'assignment.set', objectType: 'review', objectId: `${roundId}:${p.code}`, before: { assignee: p.from }, after: { assignee: p.username } }, at);
        }
        return plan.length;
      });
    },

    items: (roundId: number, onlyUserId?: number) => findSampleItems(db, roundId, onlyUserId),

    /** Items to reassign because a conflict declaration ended their assignment. */
    endedByConflict: (roundId: number) => findEndedByConflict(db, roundId),

    /** Quality weights and blind review, settable until the first review is saved. */
    async updateSettings(context: AuditContext, roundId: number, input: { weights: QualityWeights; blindReview: boolean }, version: number): Promise<void> {
      const { weights } = input;
      const values = [weights.timeliness, weights.normative, weights.report];
      if (!values.every((v) => Number.isInteger(v) && v >= 0 && v <= 100) || values.reduce((a, b) => a + b, 0) !== 100) {
        throw new Invalid('质量评分权重须为0–100的整数，合计100', [{ field: 'weights', message: '及时性、规范性、报告质量的权重须为0–100的整数，合计100' }]);
      }
      const at = now();
      await writeTransaction(db, async (trx) => {
        const before = await requireRound(trx, roundId);
        if (await trx('reviews').where('round_id', roundId).first('id')) throw new Conflict('复核已经开始，不能再修改质量权重和盲评设置');
        if (!(await updateReviewSettings(trx, roundId, weights, input.blindReview, version, at))) throw new Conflict('该复核批次已被他人修改，请刷新后重试');
        await appendAudit(trx, context, { action: 'round.review-settings', objectType: 'round', objectId: roundId, before: { qualityWeights: before.qualityWeights, blindReview: before.blindReview }, after: input }, at);
      });
    },

    /** Declarations of a round; an evaluator sees their organisation's only. */
    conflicts: (roundId: number, organisation?: string) => findDeclarations(db, roundId, organisation),

    /**
     * An evaluator declares, for their organisation and this round, a department or unit it has
     * advised or belongs to; none of its items is then assigned to the organisation's evaluators.
     */
    async declareConflict(context: AuditContext, actor: Actor, roundId: number, input: Record<string, unknown>): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await requireRound(trx, roundId);
        if (actor.role !== 'evaluator' || !actor.organisation) throw new Refused('只有第三方评价机构人员申报利益冲突');
        const scope = input.scope === 'unit' ? 'unit' : input.scope === 'department' ? 'department' : '';
        const errors: FieldError[] = [];
        const name = readText(input.name, 'name', '名称', TEXT_LIMITS.name, errors) ?? '';
        const reason = readText(input.reason, 'reason', '关系说明', TEXT_LIMITS.reason, errors) ?? '';
        if (!scope) errors.push({ field: 'scope', message: '请选择主管部门或预算单位' });
        const column = scope === 'unit' ? 'unit' : 'department';
        if (scope && !(await trx('submissions').where({ round_id: roundId, [column]: name }).first('id'))) errors.push({ field: 'name', message: `本批次中没有${scope === 'unit' ? '预算单位' : '主管部门'}"${name}"` });
        if (characterCount(reason) < 4) errors.push({ field: 'reason', message: '请说明关系（如"2023年为其提供过预算编制咨询"）' });
        if (errors.length) throw new Invalid('利益冲突申报不完整', errors);
        const id = await insertDeclaration(trx, { roundId, userId: actor.id, organisation: actor.organisation, scope, name, reason }, at);
        await appendAudit(trx, context, { action: 'conflict.declare', objectType: 'round', objectId: roundId, after: { organisation: actor.organisation, scope, name, reason } }, at);
        // The organisation's evaluators lose the items the declaration covers; the lead reassigns them.
        const covered = (await findOrganisationAssignments(trx, roundId, actor.organisation)).filter((a) => (scope === 'unit' ? a.unit : a.department) === name);
        const endReason = `${actor.organisation}申报利益冲突：${scope === 'unit' ? '预算单位' : '主管部门'}"${name}"`;
        for (const a of covered) {
          await endAssignment(trx, a.submissionId, actor.id, at, endReason);
          await appendAudit(trx, context, { action: 'assignment.end', objectType: 'review', objectId: `${roundId}:${a.code}`, before: { assignee: a.username }, after: { assignee: null, reason: endReason } }, at);
        }
        return id;
      });
    },
    myWork: (userId: number) => findMyWork(db, userId),

    /**
     * One sampled item as its reviewer sees it, with the latest RECENT_VERSIONS versions of its
     * review (all of them with `allVersions`); `versionCount` says how many there are.
     */
    async item(actor: Actor, roundId: number, code: string, { allVersions = false } = {}) {
      const { round, submission, item, assignee } = await sampledItem(db, actor, roundId, code);
      const indicators = await findIndicators(db, submission.id);
      const review = await findReview(db, submission.id);
      const content = review?.content ?? EMPTY;
      // Writable while there is no review yet, or it is a draft or returned; "保存并提交" saves first, so submitting goes with writing.
      const writable = canWrite(actor, assignee) && (!review || review.status === 'draft' || review.status === 'returned');
      return {
        round,
        submission,
        item,
        indicators,
        assessment: assess(submission, indicators, round.deadline),
        review,
        figures: reviewFigures(submission, forReview(indicators), content),
        versions: review ? await findVersionList(db, review.id, allVersions ? undefined : RECENT_VERSIONS) : [],
        // Versions are numbered from 1 without gaps, so the latest number is the count.
        versionCount: review?.version ?? 0,
        findings: await findFindings(db, submission.id),
        evidence: await findEvidence(db, submission.id),
        categories: await listCategoryTitles(db),
        canWrite: writable,
        canWriteFindings: canWrite(actor, assignee) && review?.status !== 'confirmed',
        // Blind review: a reviewer sees the unit's own scores only after saving theirs.
        blind: isBlind(round, actor.role, review?.reviewScore),
        timelinessDefault: timelinessScore(submission.submittedOn, round.deadline),
        canSubmit: writable,
        canConfirm: actor.role === 'lead' && review?.status === 'submitted',
        canReturn: actor.role === 'lead' && (review?.status === 'submitted' || review?.status === 'confirmed'),
      };
    },

    /**
     * Saves a draft. `version` is the one the writer read (0 for a new review); a stale one gets
     * 409 with what is stored now, and nothing changes.
     */
    async save(context: AuditContext, actor: Actor, roundId: number, code: string, body: Record<string, unknown>, version: number): Promise<{ review: Review; submission: Submission; blind: boolean }> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const locked = await lockRound(trx, roundId);
        if (!locked) throw new NotFound('复核批次不存在');
        const { round, submission, assignee } = await sampledItem(trx, actor, roundId, code, locked);
        if (!canWrite(actor, assignee)) throw new Refused(`无权修改项目 ${code} 的复核`);
        const indicators = forReview(await findIndicators(trx, submission.id));
        const current = await findReview(trx, submission.id);
        if ((current?.version ?? 0) !== version) throw new Conflict('该复核已被他人修改；你的内容没有保存，请对照最新版本后再保存', { current: current && reviewJson(current, submission, isBlind(round, actor.role, current.reviewScore)) }, 'stale_version');
        if (current && current.status !== 'draft' && current.status !== 'returned') throw new Conflict(`复核已${current.status === 'submitted' ? '提交' : '确认'}，不能再修改${current.status === 'confirmed' ? '；如需修改，请组长退回' : ''}`);
        // What the body leaves out keeps its stored value.
        const parsed = parseReviewContent(body, indicators, { weights: round.qualityWeights, timelinessDefault: timelinessScore(submission.submittedOn, round.deadline) }, current?.content);
        if (!parsed.value) throw new Invalid('复核内容不正确，未保存', parsed.errors);
        const content = parsed.value;
        const cited = content.indicators.flatMap((i) => i.evidence ?? []);
        const available = new Set(cited.length ? (await findEvidence(trx, submission.id)).filter((e) => !e.withdrawnAt).map((e) => e.id) : []);
        const unknown = cited.filter((id) => !available.has(id));
        if (unknown.length) throw new Invalid('复核内容不正确，未保存', [{ field: 'indicators.evidence', message: `引用的佐证材料不属于该项目：${unknown.join('、')}` }]);
        const figures = reviewFigures(submission, indicators, content);
        const write: ReviewWrite = { status: current?.status === 'returned' ? 'returned' : 'draft', reviewScore: figures.reviewScore, qualityScore: content.qualityScore, comment: content.comment, content, returnReason: current?.returnReason ?? null };
        let id: number;
        if (current) {
          if (!(await updateReview(trx, current.id, version, write, actor.id, at))) throw new Conflict('该复核已被他人修改，请刷新后重试');
          id = current.id;
        } else {
          id = await insertReview(trx, roundId, submission.id, write, actor.id, at);
        }
        await insertReviewVersion(trx, id, version + 1, 'save', write.status, snapshot(write), null, actor.id, at);
        await appendAudit(trx, context, {
          action: 'review.save',
          objectType: 'review',
          objectId: `${roundId}:${code}`,
          before: current ? { version: current.version, reviewScore: current.reviewScore, qualityScore: current.qualityScore } : undefined,
          after: { version: version + 1, reviewScore: write.reviewScore, qualityScore: write.qualityScore },
        }, at);
        const review: Review = { id, roundId, submissionId: submission.id, ...write, version: version + 1, updatedBy: actor.id, updatedByName: actor.displayName, updatedAt: at };
        return { review, submission, blind: isBlind(round, actor.role, review.reviewScore) };
      });
    },

    /**
     * Every version of an item's review, the latest first, each with what it changed from the one
     * before, for anyone who may read the item.
     */
    async history(actor: Actor, roundId: number, code: string) {
      const { round, submission } = await sampledItem(db, actor, roundId, code);
      const review = await findReview(db, submission.id);
      const versions = review ? await findReviewVersions(db, review.id) : [];
      const names = new Map((await findIndicators(db, submission.id)).map((i) => [i.id, i.level3]));
      return {
        round,
        submission,
        review,
        versions: versions.map((v, i) => ({ ...v, changes: reviewChanges(versions[i + 1]?.snapshot ?? null, v.snapshot, names) })),
      };
    },

    /** A finding on a sampled item, by its reviewer or the lead: `{category, description, severity?, source?}`. */
    async addFinding(context: AuditContext, actor: Actor, roundId: number, code: string, input: Record<string, unknown>): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await sampledItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权在项目 ${code} 上记录问题`);
        await requireOpenItem(trx, submission.id, code);
        const categories = await listCategories(trx);
        const errors: FieldError[] = [];
        const category = typeof input.category === 'string' ? input.category.trim() : '';
        const found = categories.find((c) => c.code === category || c.title === category);
        if (!found) errors.push({ field: 'category', message: `问题类别"${category}"不存在或已停用` });
        const description = readText(input.description, 'description', '问题描述', TEXT_LIMITS.comment, errors) ?? '';
        if (characterCount(description) < 4) errors.push({ field: 'description', message: '请描述问题（至少4个字）' });
        const severity = input.severity === undefined || input.severity === '' ? 'minor' : String(input.severity);
        if (!Object.hasOwn(SEVERITIES, severity)) errors.push({ field: 'severity', message: '严重程度须为 minor、major 或 serious（一般、较重、严重）' });
        const available = new Set((await findEvidence(trx, submission.id)).filter((e) => !e.withdrawnAt).map((e) => e.id));
        const cited = (Array.isArray(input.evidence) ? input.evidence : input.evidence === undefined || input.evidence === '' ? [] : [input.evidence]).map(Number);
        const unknownEvidence = cited.filter((id) => !available.has(id));
        if (unknownEvidence.length) errors.push({ field: 'evidence', message: `引用的佐证材料不属于该项目：${unknownEvidence.join('、')}` });
        const source = input.source === undefined || input.source === '' || input.source === 'manual' ? 'manual' : String(input.source);
        if (source !== 'manual' && !(source.startsWith('warning:') && Object.hasOwn(SUGGESTED_BY_WARNING, source.slice(8)))) {
          errors.push({ field: 'source', message: '来源须为 manual 或 warning:<警示代码>' });
        }
        if (errors.length) throw new Invalid('问题记录不正确，未保存', errors);
        const id = await insertFinding(trx, { roundId, submissionId: submission.id, category: found!.code, description, severity: severity as Severity, source, evidenceIds: cited, authorId: actor.id, authorRole: actor.role, authorOrganisation: actor.organisation ?? null }, at);
        await appendAudit(trx, context, { action: 'finding.create', objectType: 'finding', objectId: id, after: { round: roundId, code, category: found!.code, description, severity, source } }, at);
        return id;
      });
    },

    /**
     * Evidence for an item, by its reviewer or the lead. What the file is comes from its bytes,
     * and its name must agree; the bytes are stored once, by SHA-256.
     */
    async addEvidence(context: AuditContext, actor: Actor, roundId: number, code: string, file: { name: string; data: Buffer }, descriptionInput: unknown): Promise<number> {
      const errors: FieldError[] = [];
      const description = readText(descriptionInput, 'description', '材料说明', TEXT_LIMITS.description, errors) ?? null;
      if (errors.length) throw new Invalid(errors[0].message, errors);
      const type = detectFileType(file.data);
      if (!type) throw new Invalid(`不支持的文件类型：佐证材料可以是 ${ACCEPTED_LABELS}`, [{ field: 'file', message: `"${file.name}"不是支持的文件类型` }]);
      if (!nameMatches(file.name, type)) throw new Invalid(`文件内容是${type.label}，与文件名"${file.name}"不符`, [{ field: 'file', message: `文件内容是${type.label}，扩展名应为 .${type.extensions[0]}` }]);
      const at = now();
      const sha256 = crypto.createHash('sha256').update(file.data).digest('hex');
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await sampledItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权为项目 ${code} 上传佐证材料`);
        await requireOpenItem(trx, submission.id, code);
        await storeFile(trx, { sha256, size: file.data.length, mediaType: type.mediaType, content: file.data }, at);
        const id = await insertEvidence(trx, { roundId, submissionId: submission.id, sha256, fileName: file.name, mediaType: type.mediaType, size: file.data.length, description, by: actor.id }, at);
        await appendAudit(trx, context, { action: 'evidence.upload', objectType: 'evidence', objectId: id, after: { round: roundId, code, fileName: file.name, sha256, size: file.data.length, mediaType: type.mediaType } }, at);
        return id;
      });
    },

    async withdrawEvidence(context: AuditContext, actor: Actor, roundId: number, code: string, evidenceId: number, reason: string): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        const { submission, assignee } = await sampledItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权撤回项目 ${code} 的佐证材料`);
        await requireOpenItem(trx, submission.id, code);
        const text = requiredReason(reason, '撤回须写明理由');
        if (!(await withdrawEvidence(trx, evidenceId, submission.id, actor.id, at, text))) throw new NotFound('佐证材料不存在或已撤回');
        await appendAudit(trx, context, { action: 'evidence.withdraw', objectType: 'evidence', objectId: evidenceId, after: { reason: text } }, at);
      });
    },

    /** The bytes of an item's evidence file, for anyone who may read the item. */
    async evidenceFile(actor: Actor, roundId: number, code: string, evidenceId: number) {
      const { submission } = await sampledItem(db, actor, roundId, code);
      const evidence = (await findEvidence(db, submission.id)).find((e) => e.id === evidenceId);
      if (!evidence) throw new NotFound('佐证材料不存在');
      const file = await readStoredFile(db, evidence.fileSha256);
      if (!file) throw new NotFound('佐证材料不存在');
      return { name: evidence.fileName, mediaType: evidence.mediaType, content: file.content };
    },

    /** Findings are withdrawn with a reason, never deleted. */
    async withdrawFinding(context: AuditContext, actor: Actor, roundId: number, code: string, findingId: number, reason: string): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        const { submission, assignee } = await sampledItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权撤回项目 ${code} 的问题`);
        await requireOpenItem(trx, submission.id, code);
        const finding = await findFinding(trx, findingId);
        if (!finding || finding.submissionId !== submission.id) throw new NotFound('问题记录不存在');
        const text = requiredReason(reason, '撤回须写明理由');
        if (!(await withdrawFinding(trx, findingId, actor.id, at, text))) throw new Conflict('该问题已撤回');
        await appendAudit(trx, context, { action: 'finding.withdraw', objectType: 'finding', objectId: findingId, after: { reason: text } }, at);
      });
    },

    /** The `复核结果` sheet of the items this actor may review (a lead: all of the sample). */
    async resultsSheet(actor: Actor, roundId: number): Promise<Buffer> {
      const round = await requireRound(db, roundId);
      const items = await findSampleItems(db, roundId, actor.role === 'lead' ? undefined : actor.id);
      const rows = [];
      for (const item of items) {
        const review = await findReview(db, item.submissionId);
        rows.push({ ...item, version: review?.version ?? 0, comment: review?.comment ?? null, qualityScore: review?.qualityScore ?? null });
      }
      return resultsWorkbook(rows, round.blindReview && actor.role !== 'lead');
    },

    /**
     * Results filled in offline (import-format.md §3), all or nothing: every row must be an item of
     * the sample assigned to the uploader (a lead may upload any), still open, at the version it
     * was downloaded at; every problem is listed by row and column.
     */
    async importResults(context: AuditContext, actor: Actor, roundId: number, file: { name: string; data: Buffer }): Promise<number> {
      let sheet: Sheet;
      try {
        // Read on the file reader's thread, within its limits, never on the server's.
        sheet = await files.readSheet(file, RESULTS_SHEET, 100_000);
      } catch (err) {
        if (err instanceof UnreadableFile) throw new Invalid(`${file.name}：${err.message}`, [{ sheet: RESULTS_SHEET, row: null, column: null, message: err.message }], 'invalid_file');
        throw err;
      }
      const { rows, problems } = parseResults(sheet);
      const at = now();
      return writeTransaction(db, async (trx) => {
        await lockRound(trx, roundId);
        await requireRound(trx, roundId);
        const categories = await listCategories(trx);
        const seen = new Set<string>();
        const refusedCodes: string[] = [];
        const plan = [];
        for (const row of rows) {
          const problem = (column: string, message: string) => problems.add({ sheet: sheet.name, row: row.row, column, message });
          if (seen.has(row.code)) { problem('编码', `编码"${row.code}"在表中出现了不止一次`); continue; }
          seen.add(row.code);
          let target;
          try {
            target = await sampledItem(trx, actor, roundId, row.code);
          } catch (err) {
            if (!(err instanceof Refused || err instanceof NotFound)) throw err;
            if (err instanceof Refused) refusedCodes.push(row.code);
            problem('编码', `编码"${row.code}"不在本批次样本中，或未分配给您`);
            continue;
            throw err;
          }
          if (!canWrite(actor, target.assignee)) { refusedCodes.push(row.code); problem('编码', `编码"${row.code}"未分配给您`); continue; }
          const current = await findReview(trx, target.submission.id);
          if (current && current.status !== 'draft' && current.status !== 'returned') { problem('编码', `"${row.code}"的复核已${current.status === 'submitted' ? '提交' : '确认'}，不能再导入`); continue; }
          if (row.version !== null && row.version !== (current?.version ?? 0)) { problem('版本（勿改）', `"${row.code}"的复核在系统中已是第${current?.version ?? 0}版（表中为第${row.version}版），请重新下载后再填`); continue; }
          const codes = row.categories.map((c) => categories.find((x) => x.code === c || x.title === c));
          row.categories.forEach((c, i) => { if (!codes[i]) problem('问题类别', `问题类别"${c}"不存在`); });
          plan.push({ row, target, current, categoryCodes: codes.filter(Boolean).map((c) => c!.code) });
        }
        const listed = sortProblems(problems.listed, [sheet.name]);
        // Rows for items that are not the uploader's are a refusal of access, audited as such.
        if (refusedCodes.length) throw new Refused(`离线复核结果中有未分配给本人的项目：${refusedCodes.join('、').slice(0, 500)}`, `文件中有${refusedCodes.length}个项目不在本批次样本中或未分配给您，未导入任何复核结果`, listed);
        if (problems.count > 0) throw new Invalid(`文件有${problems.count}处错误，未导入任何复核结果`, listed, 'invalid_file');
        for (const { row, target, current, categoryCodes } of plan) {
          const indicators = forReview(await findIndicators(trx, target.submission.id));
          const base = current?.content ?? { ...EMPTY, indicators: indicators.filter((i) => !i.isExecution).map((i) => ({ id: i.id, reviewActual: null, reviewScore: null, rule: null, note: null })) };
          const content: ReviewContent = { ...base, wholeScore: row.reviewScore, qualityScore: row.qualityScore ?? base.qualityScore, comment: row.comment ?? base.comment };
          const figures = reviewFigures(target.submission, indicators, content);
          const write: ReviewWrite = { status: current?.status === 'returned' ? 'returned' : 'draft', reviewScore: figures.reviewScore, qualityScore: content.qualityScore, comment: content.comment, content, returnReason: current?.returnReason ?? null };
          const version = current?.version ?? 0;
          let id: number;
          if (current) {
            if (!(await updateReview(trx, current.id, version, write, actor.id, at))) throw new Conflict('复核在导入时被他人修改，请重新下载');
            id = current.id;
          } else id = await insertReview(trx, roundId, target.submission.id, write, actor.id, at);
          await insertReviewVersion(trx, id, version + 1, 'import', write.status, snapshot(write), file.name, actor.id, at);
          for (const category of categoryCodes) {
            await insertFinding(trx, { roundId, submissionId: target.submission.id, category, description: row.findingDescription!, severity: 'minor', source: 'offline', evidenceIds: [], authorId: actor.id, authorRole: actor.role, authorOrganisation: actor.organisation ?? null }, at);
          }
        }
        await appendAudit(trx, context, { action: 'review.import', objectType: 'round', objectId: roundId, detail: `${file.name}：${plan.length}个项目`, after: { codes: plan.map((p) => p.row.code) } }, at);
        return plan.length;
      });
    },

    submit: (context: AuditContext, actor: Actor, roundId: number, code: string) => transition(context, actor, roundId, code, 'submit'),
    confirm: (context: AuditContext, actor: Actor, roundId: number, code: string) => transition(context, actor, roundId, code, 'confirm'),
    return: (context: AuditContext, actor: Actor, roundId: number, code: string, reason: string) => transition(context, actor, roundId, code, 'return', reason),
  };
}

/** A review as the API answers it; `blind` leaves out what the unit's own scores would reveal. */
export function reviewJson(review: Review, submission: Submission, blind: boolean) {
  // The stored score as a whole score: the same figures (grade, deviation) without the indicators.
  const figures = reviewFigures(submission, [], { ...review.content, wholeScore: review.reviewScore });
  return {
    code: submission.code,
    kind: submission.kind,
    kindLabel: KIND_LABELS[submission.kind],
    status: review.status,
    reviewScore: review.reviewScore === null ? null : review.reviewScore / 100,
    reviewGrade: figures.reviewGrade,
    qualityScore: review.qualityScore === null ? null : review.qualityScore / 100,
    qualityGrade: figures.qualityGrade,
    selfScore: blind ? null : submission.selfScore / 100,
    deviation: blind || figures.deviation === null ? null : figures.deviation / 100,
    deviationRate: blind || figures.deviationBp === null ? null : figures.deviationBp / 10000,
    comment: review.comment,
    indicators: review.content.indicators.map((i) => ({ ...i, reviewScore: i.reviewScore === null ? null : i.reviewScore / 100 })),
    dimensions: review.content.dimensions,
    returnReason: review.returnReason,
    version: review.version,
    updatedBy: review.updatedByName,
    updatedAt: review.updatedAt.toISOString(),
  };
}

export type ReviewService = ReturnType<typeof reviewService>;
