import { Grade, GRADES, gradeFor } from './grades';
import { countByStatus, RectificationStatus } from './rectification';
import { FieldError, readText } from './text';

/**
 * 结果应用: the results of the rounds side by side for each unit and department, problems that
 * recur across years, and the budget action a round suggests for each review grade.
 */

export type BudgetActions = Record<Grade, string>;

export const DEFAULT_BUDGET_ACTIONS: BudgetActions = {
  优: '优先保障',
  良: '正常安排',
  中: '压减10%',
  差: '压减30%或不再安排',
};

/** A round's budget actions from storage (NULL or partial → the defaults fill in). */
export function budgetActionsOf(stored: string | null): BudgetActions {
  const parsed = stored ? (JSON.parse(stored) as Partial<BudgetActions>) : {};
  return Object.fromEntries(GRADES.map((g) => [g, parsed[g] ?? DEFAULT_BUDGET_ACTIONS[g]])) as BudgetActions;
}

/** The four actions from a form or JSON: each required, at most 100 characters. */
export function parseBudgetActions(body: Record<string, unknown>): { value?: BudgetActions; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const value = {} as BudgetActions;
  for (const g of GRADES) {
    const text = readText(body[g], g, `“${g}”的预算安排建议`, 100, errors) ?? '';
    if (!text && !errors.some((e) => e.field === g)) errors.push({ field: g, message: `请填写“${g}”的预算安排建议` });
    value[g] = text;
  }
  return errors.length ? { errors } : { value, errors };
}

/** One sampled item of one round, as the results read it. */
export interface ResultRow {
  roundId: number;
  fiscalYear: number;
  roundTitle: string;
  unit: string;
  department: string;
  selfScore: number;
  /** Only a confirmed review counts. */
  reviewScore: number | null;
  qualityScore: number | null;
  /** The standing findings' categories. */
  categories: string[];
  rectifications: Array<{ status: RectificationStatus; overdue: boolean }>;
}

const emptyGrades = () => ({ 优: 0, 良: 0, 中: 0, 差: 0 }) as Record<Grade, number>;

/** Rounds in time order: the fiscal year, then the order they were made in. */
const earlier = (a: { fiscalYear: number; roundId: number }, b: { fiscalYear: number; roundId: number }) =>
  a.fiscalYear - b.fiscalYear || a.roundId - b.roundId;

/**
 * Each unit's rounds side by side, oldest first: sampled items, review and quality grades (of
 * confirmed reviews), the mean deviation (self − review, in points), problems by category with
 * `recurring` when the same category was found on the same unit in an earlier round, and the
 * rectification tasks by status.
 */
export function resultsByUnit(rows: ResultRow[]) {
  const keys = [...new Set(rows.map((r) => `${r.department}\u0000${r.unit}`))].sort((a, b) => a.localeCompare(b, 'zh'));
  return keys.map((key) => {
    const [department, unit] = key.split('\u0000');
    const mine = rows.filter((r) => r.unit === unit && r.department === department);
    const rounds = [...new Map(mine.map((r) => [r.roundId, r])).values()].sort(earlier);
    const seen = new Set<string>();
    return {
      unit,
      department,
      rounds: rounds.map((round) => {
        const items = mine.filter((r) => r.roundId === round.roundId);
        const reviewed = items.filter((r) => r.reviewScore !== null);
        const grades = emptyGrades();
        const quality = emptyGrades();
        for (const r of reviewed) grades[gradeFor(r.reviewScore!)] += 1;
        for (const r of items.filter((i) => i.qualityScore !== null)) quality[gradeFor(r.qualityScore!)] += 1;
        const deviation = reviewed.reduce((t, r) => t + (r.selfScore - r.reviewScore!), 0);
        const counts = new Map<string, number>();
        for (const c of items.flatMap((r) => r.categories)) counts.set(c, (counts.get(c) ?? 0) + 1);
        const problems = [...counts]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([category, count]) => ({
            category,
            count,
            recurring: seen.has(category),
          }));
        for (const category of counts.keys()) seen.add(category);
        const tasks = items.flatMap((r) => r.rectifications);
        return {
          roundId: round.roundId,
          fiscalYear: round.fiscalYear,
          roundTitle: round.roundTitle,
          sampled: items.length,
          reviewed: reviewed.length,
          grades,
          // In points, to two decimals; null when nothing was reviewed.
          meanDeviation: reviewed.length ? Math.round(deviation / reviewed.length) / 100 : null,
          quality,
          problems,
          rectification: {
            ...countByStatus(tasks.map((t) => t.status)),
            overdue: tasks.filter((t) => t.overdue).length,
          },
        };
      }),
    };
  });
}

/** "已销号1项、待整改2项" or "无整改事项", for a row of the 结果应用 sheet. */
export function rectificationSummary(
  tasks: Array<{ status: RectificationStatus }>,
  labels: Record<string, string>,
): string {
  if (!tasks.length) return '无整改事项';
  const counts = countByStatus(tasks.map((t) => t.status));
  return (Object.keys(counts) as RectificationStatus[])
    .filter((s) => counts[s] > 0)
    .map((s) => `${labels[s]}${counts[s]}项`)
    .join('、');
}
