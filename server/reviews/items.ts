import { Queryable } from '../data/database';
import { ReviewContent } from '../domain/review';
import { ReviewSnapshot } from '../domain/reviewHistory';
import { isAssignedOnly, Role } from '../domain/roles';
import { Conflict, DomainError, NotFound, Refused } from '../errors';
import { Indicator, Submission } from '../population/repository';
import { findRound, Round, shareRound } from '../rounds/repository';
import { coversRecord } from '../units/repository';
import { findReview, ReviewWrite } from './repository';
import { findSampledRecord, SampleItem } from './sampleRepository';

/**
 * A sampled item and who may do what with it: the rules every part of the review work (the
 * review itself, findings and evidence, offline results) applies before it reads or writes.
 */

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
export function isBlind(
  round: Pick<Round, 'blindReview'>,
  role: Role,
  reviewScore: number | null | undefined,
): boolean {
  return round.blindReview && isAssignedOnly(role) && (reviewScore ?? null) === null;
}

export const EMPTY_REVIEW: ReviewContent = {
  wholeScore: null,
  qualityScore: null,
  comment: null,
  indicators: [],
  dimensions: {},
};

export function snapshotOf(write: ReviewWrite): ReviewSnapshot {
  return {
    reviewScore: write.reviewScore,
    qualityScore: write.qualityScore,
    comment: write.comment,
    content: write.content,
  };
}

/** The round, or NotFound; `read` may be lockRound, for a step that changes the round as a whole. */
export async function requireRound(q: Queryable, roundId: number, read = findRound): Promise<Round> {
  const round = Number.isSafeInteger(roundId) ? await read(q, roundId) : undefined;
  if (!round) throw new NotFound('复核批次不存在');
  return round;
}

/**
 * A sampled record and its item, if this actor may see it. Leads, admins and officials see every
 * sampled item; reviewers and evaluators only those assigned to them now; a unit's contact only
 * its units' items.
 */
export async function sampledItem(q: Queryable, actor: Actor, roundId: number, code: string) {
  // Side by side: on PostgreSQL two connections answer at once (SQLite's one takes them in turn).
  const [round, found] = await Promise.all([requireRound(q, roundId), findSampledRecord(q, roundId, code)]);
  return checkedItem(q, actor, code, round, found);
}

/**
 * sampledItem for a write on the item: the round shared and the item locked, so that writes on
 * other items go on beside this one and round steps wait (see the note in rounds/repository.ts).
 */
export async function lockedItem(trx: Queryable, actor: Actor, roundId: number, code: string) {
  const round = Number.isSafeInteger(roundId) ? await shareRound(trx, roundId) : undefined;
  if (!round) throw new NotFound('复核批次不存在');
  return checkedItem(trx, actor, code, round, await findSampledRecord(trx, roundId, code, { lock: true }));
}

/** Who sees every sampled item of a round; every other role sees only its own. */
const SEES_WHOLE_SAMPLE: readonly Role[] = ['lead', 'admin', 'official'];

/** The one place an item is checked against who asks for it: every read and write passes here. */
async function checkedItem(
  q: Queryable,
  actor: Actor,
  code: string,
  round: Round,
  found: { submission: Submission; item: SampleItem } | undefined,
) {
  const { submission, item } = found ?? {};
  const limited = !SEES_WHOLE_SAMPLE.includes(actor.role);
  if (!submission || !item) {
    // An outsider learns nothing either way; the attempt is still worth a line in the log.
    if (limited) throw new Refused(actor.role === 'unit' ? `不是本单位被抽中的项目 ${code}` : `未分配的项目 ${code}`);
    throw new NotFound('样本中没有这个编码');
  }
  const assignee = item.assigneeId;
  if (isAssignedOnly(actor.role) && assignee !== actor.id) throw new Refused(`项目 ${code} 未分配给本人`);
  if (actor.role === 'unit' && !(await coversRecord(q, actor.id, submission)))
    throw new Refused(`项目 ${code} 不属于本单位`);
  if (limited && !isAssignedOnly(actor.role) && actor.role !== 'unit') throw new Refused(`无权查看项目 ${code}`);
  return { round, submission, item, assignee };
}

/** The lead writes on any item; a reviewer or evaluator on the items assigned to them. */
export function canWrite(actor: Actor, assignee: number | null): boolean {
  return actor.role === 'lead' || (assignee === actor.id && isAssignedOnly(actor.role));
}

/**
 * Why this actor may not edit this finding now, or null when they may: only its author, not once
 * withdrawn, and while the review is in the author's hands (a reviewer or evaluator until they
 * submit it, the lead until it is confirmed, which requireOpenItem checks).
 */
export function findingEditRefusal(
  actor: Actor,
  finding: { authorId: number; withdrawn: boolean },
  reviewStatus: string | undefined,
): DomainError | null {
  if (finding.authorId !== actor.id) return new Refused('只有记录人可以修改该问题');
  if (finding.withdrawn) return new Conflict('该问题已撤回，不能修改');
  if (actor.role !== 'lead' && reviewStatus === 'submitted')
    return new Conflict('复核已提交，问题不能再修改；如需修改，请先撤回提交');
  return null;
}

/** Findings and evidence change with the review: not once the lead has confirmed it (until returned). */
export async function requireOpenItem(q: Queryable, submissionId: number, code: string): Promise<void> {
  const review = await findReview(q, submissionId);
  if (review?.status === 'confirmed')
    throw new Conflict(`项目 ${code} 的复核已确认，不能再修改问题或佐证材料；如需修改，请组长退回`);
}

/** An item's indicators as the scoring rules read them. */
export function forReview(indicators: Indicator[]) {
  return indicators.map((i) => ({
    id: i.id,
    level1: i.level1,
    level3: i.level3,
    weight: i.weight,
    score: i.score,
    isExecution: i.isExecution,
  }));
}
