/**
 * What changed from one version of a review to the next, field by field, in the words of the
 * review page: the history shows who changed what, not only that something changed.
 */
import { formatScore } from './grades';
import { DEDUCTION_RULES, DIMENSIONS, IndicatorReview, isRuleCode, ReviewContent } from './review';

/** What each stored version of a review keeps (review_versions.snapshot). */
export interface ReviewSnapshot {
  reviewScore: number | null;
  qualityScore: number | null;
  comment: string | null;
  /** Absent only from versions written before the whole content was kept. */
  content?: ReviewContent;
}

export interface ReviewChange {
  field: string;
  from: string;
  to: string;
}

const EMPTY = '—';
const score = (h: number | null | undefined) => (h === null || h === undefined ? EMPTY : formatScore(h));
const text = (s: string | null | undefined) => (s === null || s === undefined || s === '' ? EMPTY : s);
const rule = (code: string | null | undefined) =>
  isRuleCode(code) ? `${code} ${DEDUCTION_RULES[code].label}（扣${DEDUCTION_RULES[code].percent}%）` : EMPTY;
const files = (ids: number[] | undefined) => (ids && ids.length ? ids.map((id) => `#${id}`).join('、') : EMPTY);

/**
 * The changes from `before` (null for the first version) to `after`. Indicators are named by
 * `indicatorNames` (id → 三级指标), in the order of that map; a name that is not there is
 * shown by its id.
 */
export function reviewChanges(
  before: ReviewSnapshot | null,
  after: ReviewSnapshot,
  indicatorNames: ReadonlyMap<number, string>,
): ReviewChange[] {
  const changes: ReviewChange[] = [];
  const compare = (field: string, from: string, to: string) => {
    if (from !== to) changes.push({ field, from, to });
  };
  compare('复核得分', score(before?.reviewScore), score(after.reviewScore));
  compare('自评工作质量得分', score(before?.qualityScore), score(after.qualityScore));

  const was = before?.content;
  const now = after.content;
  if (now) {
    compare('整体复核得分', score(was?.wholeScore), score(now.wholeScore));
    const wasIndicators = new Map((was?.indicators ?? []).map((i) => [i.id, i]));
    const nowIndicators = new Map(now.indicators.map((i) => [i.id, i]));
    const ids = [...new Set([...indicatorNames.keys(), ...wasIndicators.keys(), ...nowIndicators.keys()])].filter(
      (id) => wasIndicators.has(id) || nowIndicators.has(id),
    );
    for (const id of ids) {
      const name = `指标"${indicatorNames.get(id) ?? `#${id}`}"`;
      const a: Partial<IndicatorReview> = wasIndicators.get(id) ?? {};
      const b: Partial<IndicatorReview> = nowIndicators.get(id) ?? {};
      compare(`${name}复核完成值`, text(a.reviewActual), text(b.reviewActual));
      compare(`${name}复核得分`, score(a.reviewScore), score(b.reviewScore));
      compare(`${name}扣分规则`, rule(a.rule), rule(b.rule));
      compare(`${name}扣分说明`, text(a.note), text(b.note));
      compare(`${name}引用佐证`, files(a.evidence), files(b.evidence));
    }
    compare('及时性', score(was?.quality?.timeliness), score(now.quality?.timeliness));
    compare('及时性调整理由', text(was?.quality?.timelinessReason), text(now.quality?.timelinessReason));
    compare('规范性', score(was?.quality?.normative), score(now.quality?.normative));
    compare('报告质量', score(was?.quality?.report), score(now.quality?.report));
    for (const dimension of DIMENSIONS) {
      compare(
        `"${dimension}"判断`,
        text(was?.dimensions[dimension]?.judgement),
        text(now.dimensions[dimension]?.judgement),
      );
      compare(`"${dimension}"说明`, text(was?.dimensions[dimension]?.note), text(now.dimensions[dimension]?.note));
    }
  }
  compare('复核意见', text(before?.comment), text(after.comment));
  return changes;
}
