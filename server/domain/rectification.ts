import { characterCount, FieldError, readText, TEXT_LIMITS } from './text';

/**
 * Rectification (整改) of a finding: the unit's measures (整改措施) and result (整改结果), submitted
 * to the lead, who accepts it (销号) or returns it with a reason. Pure rules, no storage.
 */

export const RECTIFICATION_STATUSES = {
  open: '待整改',
  submitted: '已提交，待销号',
  returned: '已退回，待重新整改',
  accepted: '已销号',
} as const;
export type RectificationStatus = keyof typeof RECTIFICATION_STATUSES;

export type RectificationAction = 'save' | 'submit' | 'accept' | 'return';

/** Which step may be taken from which status; the unit writes while the task is open or returned. */
export function stepRefusal(action: RectificationAction, status: RectificationStatus): string | null {
  const writable = status === 'open' || status === 'returned';
  if ((action === 'save' || action === 'submit') && !writable)
    return status === 'accepted' ? '该整改事项已销号，不能再修改' : '整改情况已提交，待组长销号或退回后才能修改';
  if ((action === 'accept' || action === 'return') && status !== 'submitted')
    return status === 'accepted' ? '该整改事项已销号' : '单位尚未提交整改情况，不能销号或退回';
  return null;
}

export interface RectificationText {
  measures: string | null;
  result: string | null;
}

/** The measures and result as typed; each within the comment limit. */
export function parseRectificationText(
  body: Record<string, unknown>,
  errors: FieldError[],
): Partial<RectificationText> {
  return {
    measures: readText(body.measures, 'measures', '整改措施', TEXT_LIMITS.comment, errors),
    result: readText(body.result, 'result', '整改结果', TEXT_LIMITS.comment, errors),
  };
}

/** What a submission lacks: both the measures and the result, at least four characters each. */
export function submitProblems(text: RectificationText): FieldError[] {
  const problems: FieldError[] = [];
  if (characterCount(text.measures ?? '') < 4)
    problems.push({ field: 'measures', message: '请填写整改措施（至少4个字）' });
  if (characterCount(text.result ?? '') < 4) problems.push({ field: 'result', message: '请填写整改结果（至少4个字）' });
  return problems;
}

/** Overdue: past the due date and not accepted. */
export function isRectificationOverdue(dueDate: string, status: RectificationStatus, today: string): boolean {
  return status !== 'accepted' && dueDate < today;
}

/** Counts by status, every status present. */
export function countByStatus(statuses: RectificationStatus[]): Record<RectificationStatus, number> {
  const counts = { open: 0, submitted: 0, returned: 0, accepted: 0 };
  for (const s of statuses) counts[s] += 1;
  return counts;
}

/** What a 整改情况通报 is compiled from. */
export interface ReportFigures {
  asOf: string;
  total: number;
  byStatus: Record<RectificationStatus, number>;
  overdue: Array<{
    unit: string;
    code: string;
    name: string;
    category: string;
    dueDate: string;
    status: RectificationStatus;
  }>;
  departments: Array<{ department: string; total: number; accepted: number; overdue: number }>;
}

const zhDate = (text: string) => {
  const [y, m, d] = text.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

/** The 整改情况通报's text, paragraph by paragraph, from the figures: what the lead then edits. */
export function compileReport(roundTitle: string, bureau: string | null, f: ReportFigures): string {
  const share = f.total ? `${Math.round((f.byStatus.accepted * 1000) / f.total) / 10}%` : '0%';
  const paragraphs = [
    `${bureau ? `${bureau}：` : ''}根据${roundTitle}的公示，被抽中单位应对复核发现的问题逐项整改。现将截至${zhDate(f.asOf)}的整改情况通报如下。`,
    f.total === 0
      ? '一、总体情况。本次抽查复核未形成整改事项。'
      : `一、总体情况。本次抽查复核共形成整改事项${f.total}项，已整改销号${f.byStatus.accepted}项，占${share}；已提交整改情况、待审核销号${f.byStatus.submitted}项；审核未通过、退回重新整改${f.byStatus.returned}项；尚未提交整改情况${f.byStatus.open}项。`,
  ];
  if (f.departments.length)
    paragraphs.push(
      `二、各主管部门整改情况。${f.departments
        .map(
          (d) =>
            `${d.department}整改事项${d.total}项，已销号${d.accepted}项${d.overdue ? `，逾期未销号${d.overdue}项` : ''}`,
        )
        .join('；')}。`,
    );
  paragraphs.push(
    f.overdue.length
      ? `三、逾期未销号事项。以下${f.overdue.length}项已过整改期限仍未销号：${f.overdue
          .map(
            (o) =>
              `${o.unit}“${o.name}”（${o.code}）${o.category}问题，期限${zhDate(o.dueDate)}，${RECTIFICATION_STATUSES[o.status]}`,
          )
          .join('；')}。`
      : '三、逾期未销号事项。目前没有逾期未销号的整改事项。',
    '四、下一步要求。尚未完成整改的单位要对照问题清单逐项落实整改措施，按期报送整改结果和佐证材料；整改情况将作为下一年度预算安排和绩效评价的重要参考。',
  );
  return paragraphs.join('\n\n');
}
