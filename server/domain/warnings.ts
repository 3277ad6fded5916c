/**
 * What the import computes once per self-evaluation for the reviewers: the execution rate, the
 * execution points (`weight × 执行数 / 预算数`, capped at the weight) and the warning signs that a
 * self-evaluation is inflated (domain.md, "Warning signs"). All arithmetic is on integers: fen,
 * hundredths of a point and basis points.
 */

import { Grade, gradeFor } from './grades';

export const WARNINGS = {
  gradeMismatch: { bit: 1, label: '自评等级与得分不符', short: '等级不符' },
  pointsMismatch: { bit: 2, label: '指标得分合计与自评得分不符', short: '得分不符' },
  lowExecution: { bit: 4, label: '预算执行率低于80%', short: '执行率低' },
  zeroBudget: { bit: 8, label: '预算数为0', short: '预算为0' },
  allFullMarks: { bit: 16, label: '全部指标满分', short: '全部满分' },
  late: { bit: 32, label: '逾期报送', short: '逾期' },
  scoreAboveExecution: { bit: 64, label: '指标得分率高于预算执行率5%以上', short: '得分率偏高' },
  overWeight: { bit: 128, label: '指标得分超过分值', short: '超过分值' },
  // From earlier rounds, set at import (population/repository.ts markHistory): the unit's record, not the file's.
  unrectified: { bit: 256, label: '以前年度整改未销号的单位', short: '整改未销号' },
  recurring: { bit: 512, label: '以前年度问题重复出现的单位', short: '问题重复' },
} as const;

export type WarningKey = keyof typeof WARNINGS;
export const WARNING_KEYS = Object.keys(WARNINGS) as WarningKey[];

export function isWarningKey(value: unknown): value is WarningKey {
  return typeof value === 'string' && Object.hasOwn(WARNINGS, value);
}

export function warningKeysOf(mask: number): WarningKey[] {
  return WARNING_KEYS.filter((key) => (mask & WARNINGS[key].bit) !== 0);
}

/** Default points for 预算执行率 in a project self-evaluation (domain.md). */
export const DEFAULT_EXECUTION_WEIGHT = 1000;
/** Indicator points may differ from the self-score by rounding; more than this is flagged. */
export const POINTS_TOLERANCE = 5;
export const LOW_EXECUTION_BP = 8000;

/** An indicator whose 一级指标 is 预算执行率 carries the execution points. */
export function isExecutionIndicator(level1: string): boolean {
  return level1.normalize('NFKC').replace(/\s+/g, '').includes('预算执行');
}

export interface AssessInput {
  budgetFen: bigint;
  executedFen: bigint | null;
  selfScore: number;
  selfGrade: Grade | null;
  submittedOn: string | null;
}

export interface AssessIndicator {
  level1: string;
  weight: number;
  score: number;
}

export interface Assessment {
  /** The grade the self-score earns. */
  scoreGrade: Grade;
  /** 执行数/预算数 in basis points (1 bp = 0.01 %), half up; null without 执行数 or with budget 0. */
  executionRateBp: number | null;
  /** Hundredths of a point. */
  executionWeight: number;
  executionPoints: number | null;
  /** Sum of the indicator points and weights, execution indicator excluded; null without indicators. */
  indicatorPoints: number | null;
  indicatorWeight: number | null;
  warnings: number;
}

/** round(n / d), half up, for non-negative bigints. */
function divideHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

export function executionRateBp(budgetFen: bigint, executedFen: bigint | null): number | null {
  if (executedFen === null || budgetFen === 0n) return null;
  return Number(divideHalfUp(executedFen * 10000n, budgetFen));
}

/** `weight × 执行数 / 预算数`, capped at the weight; null when it cannot be computed. */
export function executionPoints(weight: number, budgetFen: bigint, executedFen: bigint | null): number | null {
  if (executedFen === null || budgetFen === 0n) return null;
  const points = divideHalfUp(BigInt(weight) * executedFen, budgetFen);
  return Number(points > BigInt(weight) ? BigInt(weight) : points);
}

/** The round's deadline is 'YYYY-MM-DD'; so is the submission date, so text order is date order. */
export function isLate(submittedOn: string | null, deadline: string | null): boolean {
  return submittedOn !== null && deadline !== null && submittedOn > deadline;
}

export function assess(
  input: AssessInput,
  indicators: readonly AssessIndicator[],
  deadline: string | null,
): Assessment {
  const { budgetFen, executedFen, selfScore } = input;
  let executionWeightSum = 0;
  let executionCount = 0;
  let otherWeight = 0;
  let otherPoints = 0;
  let allPoints = 0;
  let allFull = indicators.length > 0;
  let overWeight = false;
  for (const i of indicators) {
    if (isExecutionIndicator(i.level1)) {
      executionCount += 1;
      executionWeightSum += i.weight;
    } else {
      otherWeight += i.weight;
      otherPoints += i.score;
    }
    allPoints += i.score;
    if (i.score !== i.weight) allFull = false;
    if (i.score > i.weight) overWeight = true;
  }

  // With a 预算执行率 indicator its 分值 is the execution weight; with other indicators only, the
  // points they leave of 100; with none, the default.
  const executionWeight =
    executionCount > 0
      ? executionWeightSum
      : indicators.length > 0
        ? Math.max(0, 10000 - otherWeight)
        : DEFAULT_EXECUTION_WEIGHT;
  const points = executionPoints(executionWeight, budgetFen, executedFen);
  const rate = executionRateBp(budgetFen, executedFen);
  const indicatorPoints = indicators.length > 0 ? otherPoints : null;
  const indicatorWeight = indicators.length > 0 ? otherWeight : null;

  let warnings = 0;
  const scoreGrade = gradeFor(selfScore);
  if (input.selfGrade !== null && input.selfGrade !== scoreGrade) warnings |= WARNINGS.gradeMismatch.bit;

  if (indicators.length > 0) {
    // The indicators' own points, plus the execution points where no indicator carries them.
    const total = allPoints + (executionCount > 0 ? 0 : (points ?? 0));
    if (Math.abs(total - selfScore) > POINTS_TOLERANCE) warnings |= WARNINGS.pointsMismatch.bit;
    if (allFull) warnings |= WARNINGS.allFullMarks.bit;
    if (overWeight) warnings |= WARNINGS.overWeight.bit;
  }
  // Exactly, not on the rounded rate: 79.99999 % is below 80 %.
  if (executedFen !== null && budgetFen > 0n && executedFen * 10000n < budgetFen * BigInt(LOW_EXECUTION_BP))
    warnings |= WARNINGS.lowExecution.bit;
  if (budgetFen === 0n) warnings |= WARNINGS.zeroBudget.bit;
  if (isLate(input.submittedOn, deadline)) warnings |= WARNINGS.late.bit;

  // (score rate − execution rate) / score rate > 5 %  ⇔  0.95 × P/W > X/B  ⇔  95·P·B > 100·W·X,
  // with the indicators' points P of weight W (or the self-score of 100 without indicators).
  if (executedFen !== null && budgetFen > 0n) {
    const [p, w] = indicatorWeight ? [BigInt(otherPoints), BigInt(otherWeight)] : [BigInt(selfScore), 10000n];
    if (p > 0n && 95n * p * budgetFen > 100n * w * executedFen) warnings |= WARNINGS.scoreAboveExecution.bit;
  }

  return {
    scoreGrade,
    executionRateBp: rate,
    executionWeight,
    executionPoints: points,
    indicatorPoints,
    indicatorWeight,
    warnings,
  };
}

/** 9795 → "97.95%". */
export function formatRateBp(bp: number | null): string {
  if (bp === null) return '—';
  return `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, '0')}%`;
}
