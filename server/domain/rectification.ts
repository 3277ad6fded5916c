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
