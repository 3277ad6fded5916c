/**
 * The review of one sampled self-evaluation: indicator-level re-scoring with the deduction rules
 * of domain.md, execution points recomputed from the amounts, the seven review dimensions of the
 * seed, and the figures that follow (review grade, deviation). Scores are integer hundredths.
 */

import { parsePointsCell } from './cells';
import { Grade, gradeFor } from './grades';
import { executionPoints } from './warnings';
import { FieldError, readText, TEXT_LIMITS } from './text';

export type { FieldError };

/** A reviewer's deduction rules (a third-party firm's working rules, domain.md). */
export const DEDUCTION_RULES = {
  R1: { label: '无佐证材料', percent: 100 },
  R2: { label: '指标与项目无关', percent: 100 },
  R3: { label: '指标不可考核：严重', percent: 100 },
  R4: { label: '指标不可考核：表述模糊', percent: 60 },
  R5: { label: '指标不可考核：不规范', percent: 30 },
  R6: { label: '满意度无调查记录（"未投诉即满意"）', percent: 100 },
  R7: { label: '产出与效益指标重复设置（重复的一项计0分）', percent: 100 },
  R8: { label: '三级指标与二级指标不匹配', percent: 100 },
} as const;
export type RuleCode = keyof typeof DEDUCTION_RULES;
export const isRuleCode = (value: unknown): value is RuleCode =>
  typeof value === 'string' && Object.hasOwn(DEDUCTION_RULES, value);

/** The review dimensions of the seed's 太康县 and 青阳县 reports. */
export const DIMENSIONS = [
  '绩效目标编制',
  '预算执行',
  '绩效指标设置',
  '运行成本控制',
  '目标完成',
  '可持续发展能力',
  '满意度',
] as const;
export const JUDGEMENTS = ['符合', '基本符合', '不符合'] as const;
export type Judgement = (typeof JUDGEMENTS)[number];

export const REVIEW_STATUSES = {
  none: '未开始',
  draft: '草稿',
  submitted: '已提交',
  returned: '已退回',
  confirmed: '已确认',
} as const;
export type ReviewStatus = Exclude<keyof typeof REVIEW_STATUSES, 'none'>;

export interface IndicatorForReview {
  id: number;
  level1: string;
  level3: string;
  weight: number;
  score: number;
  isExecution: boolean;
}

export interface IndicatorReview {
  id: number;
  /** Evidence files the deduction cites. */
  evidence?: number[];
  reviewActual: string | null;
  /** Hundredths; null while not yet scored. */
  reviewScore: number | null;
  rule: RuleCode | null;
  note: string | null;
}

export interface ReviewContent {
  /** Hundredths: the whole score of a record without indicators, or of one scored offline as a whole. */
  wholeScore: number | null;
  qualityScore: number | null;
  /** The sub-scores the quality score came from, when given that way. */
  quality?: QualityRating;
  comment: string | null;
  indicators: IndicatorReview[];
  dimensions: Partial<Record<(typeof DIMENSIONS)[number], { judgement: Judgement; note: string | null }>>;
}

export interface QualityWeights {
  timeliness: number;
  normative: number;
  report: number;
}
export const DEFAULT_QUALITY_WEIGHTS: QualityWeights = { timeliness: 20, normative: 40, report: 40 };

/** Hundredths: 100 points on time, 60 up to a week late, 0 later; null without a submission date or deadline. */
export function timelinessScore(submittedOn: string | null, deadline: string | null): number | null {
  if (submittedOn === null || deadline === null) return null;
  if (submittedOn <= deadline) return 10000;
  const days = (Date.parse(submittedOn) - Date.parse(deadline)) / 86_400_000;
  return days <= 7 ? 6000 : 0;
}

export interface QualityRating {
  /** Sub-scores in hundredths (0–10000). */
  timeliness: number | null;
  timelinessReason: string | null;
  normative: number | null;
  report: number | null;
}

/** The quality score from its sub-scores and the round's weights; null until all three are there. */
export function qualityScoreOf(rating: QualityRating, weights: QualityWeights): number | null {
  if (rating.timeliness === null || rating.normative === null || rating.report === null) return null;
  return Math.round(
    (rating.timeliness * weights.timeliness + rating.normative * weights.normative + rating.report * weights.report) /
      100,
  );
}

/** The score a rule leaves of an indicator's points: weight × (100 − percent) / 100, half up. */
export function scoreUnderRule(weight: number, rule: RuleCode): number {
  return Math.floor((weight * (100 - DEDUCTION_RULES[rule].percent) + 50) / 100);
}

const points = (value: unknown, what: string, max: number): { value?: number; error?: string } => {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'number' && typeof value !== 'string') return { error: `${what}须为数字` };
  const parsed = parsePointsCell(value, what, max);
  return parsed.ok ? { value: parsed.value } : { error: parsed.message };
};

/** `undefined` when the body leaves the field out, so that the stored value stays. */
const given = (value: unknown) => value !== undefined;

const EMPTY_CONTENT: ReviewContent = {
  wholeScore: null,
  qualityScore: null,
  comment: null,
  indicators: [],
  dimensions: {},
};

/**
 * A review as a writer sends it: `{reviewScore?, qualityScore?, quality?, comment?, indicators?:
 * [{id, reviewActual?, reviewScore?, rule?, percent?, note?, evidence?}], dimensions?: {名称:
 * {judgement, note} | null}}`. Scores are points with up to two decimals. A rule fixes the
 * score; a score below the unit's own for that indicator (or below its weight, when the unit
 * claimed more), or any rule, needs a note. A draft may
 * be incomplete.
 *
 * What the body leaves out keeps its value in `base` (the stored review); `null` clears a field.
 * Text that is too long or not text is an error naming the field, never cut.
 */
export function parseReviewContent(
  body: Record<string, unknown>,
  indicators: readonly IndicatorForReview[],
  rating: { weights: QualityWeights; timelinessDefault: number | null } = {
    weights: DEFAULT_QUALITY_WEIGHTS,
    timelinessDefault: null,
  },
  base: ReviewContent = EMPTY_CONTENT,
): { value?: ReviewContent; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const text = (value: unknown, field: string, label: string, max: number) =>
    readText(value, field, label, max, errors);

  const whole = points(body.reviewScore, '复核得分', 10000);
  if (whole.error) errors.push({ field: 'reviewScore', message: whole.error });
  const wholeScore = given(body.reviewScore) ? (whole.value ?? null) : base.wholeScore;

  // The quality score, given as a whole, or as the sub-scores 及时性, 规范性, 报告质量 (及时性
  // defaults to what the dates say; another value needs a reason).
  let qualityScore = base.qualityScore;
  let qualityRating = base.quality;
  if (given(body.qualityScore)) {
    const quality = points(body.qualityScore, '自评工作质量得分', 10000);
    if (quality.error) errors.push({ field: 'qualityScore', message: quality.error });
    qualityScore = quality.value ?? null;
    qualityRating = undefined;
  }
  if (given(body.quality)) {
    if (body.quality === null) {
      qualityRating = undefined;
      if (!given(body.qualityScore)) qualityScore = null;
    } else if (typeof body.quality !== 'object' || Array.isArray(body.quality)) {
      errors.push({ field: 'quality', message: '自评工作质量须为 {timeliness, normative, report} 形式' });
    } else {
      const sub = body.quality as Record<string, unknown>;
      const timeliness = points(sub.timeliness, '及时性得分', 10000);
      const normative = points(sub.normative, '规范性得分', 10000);
      const report = points(sub.report, '报告质量得分', 10000);
      for (const [key, part] of [
        ['timeliness', timeliness],
        ['normative', normative],
        ['report', report],
      ] as const)
        if (part.error) errors.push({ field: `quality.${key}`, message: part.error });
      const reason =
        text(sub.timelinessReason, 'quality.timelinessReason', '及时性调整理由', TEXT_LIMITS.reason) ?? null;
      const t = timeliness.value ?? rating.timelinessDefault;
      if (
        timeliness.value !== undefined &&
        rating.timelinessDefault !== null &&
        timeliness.value !== rating.timelinessDefault &&
        reason === null
      ) {
        errors.push({
          field: 'quality.timelinessReason',
          message: `及时性按报送日期应为${rating.timelinessDefault / 100}分，改为其他分值须说明理由`,
        });
      }
      qualityRating = {
        timeliness: t ?? null,
        timelinessReason: reason,
        normative: normative.value ?? null,
        report: report.value ?? null,
      };
      const computed = qualityScoreOf(qualityRating, rating.weights);
      if (computed !== null) qualityScore = computed;
      else if (!given(body.qualityScore)) qualityScore = null;
    }
  }

  const byId = new Map(indicators.map((i) => [i.id, i]));
  const reviews = new Map<number, IndicatorReview>(base.indicators.map((i) => [i.id, i]));
  if (given(body.indicators) && body.indicators !== null && !Array.isArray(body.indicators)) {
    errors.push({ field: 'indicators', message: '指标复核须为列表' });
  }
  const entries = Array.isArray(body.indicators) ? (body.indicators as unknown[]) : [];
  for (const raw of entries) {
    const entry = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const id = typeof entry.id === 'number' || typeof entry.id === 'string' ? Number(entry.id) : NaN;
    const indicator = byId.get(id);
    const field = `indicators.${id}`;
    if (!indicator) {
      errors.push({ field, message: `指标 ${String(entry.id)} 不属于这条自评记录` });
      continue;
    }
    if (indicator.isExecution) continue; // recomputed from the amounts, never entered
    const stored = reviews.get(id) ?? { id, reviewActual: null, reviewScore: null, rule: null, note: null };
    const name = `"${indicator.level3}"`;
    // A rule sent without a score decides the score; neither sent keeps both as stored.
    let score = given(entry.reviewScore)
      ? points(entry.reviewScore, `${name}复核得分`, indicator.weight)
      : given(entry.rule) || stored.reviewScore === null
        ? {}
        : { value: stored.reviewScore };
    const ruleText = given(entry.rule) ? text(entry.rule, `${field}.rule`, `${name}的扣分规则`, 8) : stored.rule;
    let rule: RuleCode | null = null;
    if (ruleText) {
      if (!isRuleCode(ruleText))
        errors.push({ field: `${field}.rule`, message: `${name}的扣分规则"${ruleText}"不存在` });
      else {
        rule = ruleText;
        const percent =
          entry.percent === undefined || entry.percent === null || entry.percent === ''
            ? undefined
            : Number(entry.percent);
        if (percent !== undefined && percent !== DEDUCTION_RULES[rule].percent) {
          errors.push({
            field: `${field}.percent`,
            message: `${name}：规则"${DEDUCTION_RULES[rule].label}"的扣分比例是${DEDUCTION_RULES[rule].percent}%，不是${percent}%`,
          });
        }
        const expected = scoreUnderRule(indicator.weight, rule);
        if (score.value === undefined && !score.error) score = { value: expected };
        else if (score.value !== undefined && score.value !== expected) {
          errors.push({
            field: `${field}.reviewScore`,
            message: `${name}按规则"${DEDUCTION_RULES[rule].label}"（扣${DEDUCTION_RULES[rule].percent}%）应得${expected / 100}分，不是${score.value / 100}分`,
          });
        }
      }
    }
    if (score.error) errors.push({ field: `${field}.reviewScore`, message: score.error });
    const note = given(entry.note)
      ? (text(entry.note, `${field}.note`, `${name}的扣分说明`, TEXT_LIMITS.note) ?? null)
      : stored.note;
    // Below what the unit claimed is a deduction, measured from the weight when the unit claimed
    // more than the indicator is worth: giving the full weight needs no note.
    const deducted =
      rule !== null || (score.value !== undefined && score.value < Math.min(indicator.score, indicator.weight));
    if (deducted && note === null)
      errors.push({ field: `${field}.note`, message: `${name}扣分须写明说明（所依据的规则、比例和佐证）` });
    const evidenceIds = (value: unknown): number[] => {
      const list = Array.isArray(value) ? value : value === undefined || value === '' || value === null ? [] : [value];
      const ids = list.map((v) =>
        typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : NaN,
      );
      if (ids.some((v) => !Number.isSafeInteger(v) || v <= 0))
        errors.push({ field: `${field}.evidence`, message: `${name}引用的佐证材料编号不正确` });
      return ids.filter((v) => Number.isSafeInteger(v) && v > 0);
    };
    const cited = given(entry.evidence) ? evidenceIds(entry.evidence) : (stored.evidence ?? []);
    const actual = given(entry.reviewActual)
      ? (text(entry.reviewActual, `${field}.reviewActual`, `${name}的复核完成值`, TEXT_LIMITS.actual) ?? null)
      : stored.reviewActual;
    reviews.set(id, {
      id,
      ...(cited.length && { evidence: cited }),
      reviewActual: actual,
      reviewScore: score.value ?? null,
      rule,
      note,
    });
  }

  const dimensions: ReviewContent['dimensions'] = { ...base.dimensions };
  if (
    given(body.dimensions) &&
    body.dimensions !== null &&
    (typeof body.dimensions !== 'object' || Array.isArray(body.dimensions))
  ) {
    errors.push({ field: 'dimensions', message: '复核内容须为 {名称: {judgement, note}} 形式' });
  }
  const givenDimensions = (
    body.dimensions && typeof body.dimensions === 'object' && !Array.isArray(body.dimensions) ? body.dimensions : {}
  ) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(givenDimensions)) {
    if (!(DIMENSIONS as readonly string[]).includes(name)) {
      errors.push({ field: `dimensions.${name}`, message: `没有"${name}"这个复核内容` });
      continue;
    }
    const dimension = name as (typeof DIMENSIONS)[number];
    const entry = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const judgement = raw === null ? null : text(entry.judgement, `dimensions.${name}`, `"${name}"的判断`, 8);
    if (!judgement) {
      delete dimensions[dimension];
      continue;
    }
    if (!(JUDGEMENTS as readonly string[]).includes(judgement)) {
      errors.push({ field: `dimensions.${name}`, message: `"${name}"的判断须为符合、基本符合或不符合` });
      continue;
    }
    const note = text(entry.note, `dimensions.${name}.note`, `"${name}"的说明`, TEXT_LIMITS.note);
    dimensions[dimension] = {
      judgement: judgement as Judgement,
      note: note === undefined ? (base.dimensions[dimension]?.note ?? null) : note,
    };
  }

  const comment = given(body.comment)
    ? (text(body.comment, 'comment', '复核意见', TEXT_LIMITS.comment) ?? null)
    : base.comment;
  if (errors.length) return { errors };
  return {
    value: {
      wholeScore,
      qualityScore,
      ...(qualityRating && { quality: qualityRating }),
      comment,
      indicators: indicators
        .filter((i) => !i.isExecution)
        .map((i) => reviews.get(i.id) ?? { id: i.id, reviewActual: null, reviewScore: null, rule: null, note: null }),
      dimensions,
    },
    errors,
  };
}

export interface ReviewFigures {
  /** Hundredths; null until every indicator (or the whole record) is scored. */
  reviewScore: number | null;
  /** Nothing scored yet: no indicator and no whole score (the page says 未评分). */
  unscored: boolean;
  reviewGrade: Grade | null;
  executionPoints: number | null;
  /** Self-score − review score, hundredths. */
  deviation: number | null;
  /** (self − review) / self, in basis points. */
  deviationBp: number | null;
  qualityGrade: Grade | null;
  gradeChanged: boolean;
}

export interface RecordForReview {
  budgetFen: bigint;
  executedFen: bigint | null;
  selfScore: number;
}

export function reviewFigures(
  record: RecordForReview,
  indicators: readonly IndicatorForReview[],
  content: ReviewContent,
): ReviewFigures {
  let reviewScore: number | null;
  let execution: number | null = null;
  let unscored = content.wholeScore === null;
  if (indicators.length > 0) {
    const executionWeight = indicators.filter((i) => i.isExecution).reduce((t, i) => t + i.weight, 0);
    execution = executionWeight > 0 ? (executionPoints(executionWeight, record.budgetFen, record.executedFen) ?? 0) : 0;
    // The indicators the reviewer scores (budget execution is recomputed): an untouched review
    // has no score yet, not the execution points alone.
    const given = new Map(content.indicators.map((i) => [i.id, i.reviewScore]));
    const scores = indicators.filter((i) => !i.isExecution).map((i) => given.get(i.id) ?? null);
    const scored = scores.every((score) => score !== null);
    const untouched = scores.every((score) => score === null);
    unscored &&= untouched && scores.length > 0;
    // A record with indicators scored as a whole (offline, from an agency's sheet) keeps that score
    // until its indicators are reviewed one by one.
    reviewScore =
      scored && scores.length > 0
        ? Math.min(10000, scores.reduce((t: number, score) => t + (score ?? 0), 0) + execution)
        : untouched
          ? (content.wholeScore ?? (scores.length === 0 ? execution : null))
          : null;
  } else {
    reviewScore = content.wholeScore;
  }
  const reviewGrade = reviewScore === null ? null : gradeFor(reviewScore);
  const deviation = reviewScore === null ? null : record.selfScore - reviewScore;
  return {
    reviewScore,
    unscored,
    reviewGrade,
    executionPoints: execution,
    deviation,
    deviationBp:
      deviation === null || record.selfScore === 0 ? null : Math.round((deviation * 10000) / record.selfScore),
    qualityGrade: content.qualityScore === null ? null : gradeFor(content.qualityScore),
    gradeChanged: reviewGrade !== null && reviewGrade !== gradeFor(record.selfScore),
  };
}

/** What submitting needs beyond a valid draft: every score, a reason for a whole score, every dimension judged. */
export function submitProblems(
  indicators: readonly IndicatorForReview[],
  content: ReviewContent,
  figures: ReviewFigures,
): FieldError[] {
  const problems: FieldError[] = [];
  if (indicators.length > 0 && content.wholeScore !== null && content.indicators.every((i) => i.reviewScore === null)) {
    if (content.comment === null) problems.push({ field: 'comment', message: '整体打分须写明理由' });
  } else if (indicators.length > 0) {
    for (const i of content.indicators) {
      if (i.reviewScore === null)
        problems.push({
          field: `indicators.${i.id}.reviewScore`,
          message: `指标"${indicators.find((x) => x.id === i.id)?.level3}"还没有复核得分`,
        });
    }
  } else {
    if (content.wholeScore === null) problems.push({ field: 'reviewScore', message: '没有绩效指标的记录须整体打分' });
    if (content.comment === null) problems.push({ field: 'comment', message: '整体打分须写明理由' });
  }
  for (const name of DIMENSIONS)
    if (!content.dimensions[name]) problems.push({ field: `dimensions.${name}`, message: `"${name}"还没有判断` });
  if (figures.reviewScore === null && problems.length === 0)
    problems.push({ field: 'reviewScore', message: '复核得分不完整' });
  return problems;
}
