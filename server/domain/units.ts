import { isCalendarDate, workingDays } from './dates';
import { characterCount, FieldError, readText, TEXT_LIMITS } from './text';

/**
 * The units' side of a review (预算单位): what a unit contact covers, material requests
 * (材料补充), feedback on a submitted review (意见反馈), and the dates they run to.
 */

export const DEFAULT_UNIT_FEEDBACK_DAYS = 5;

/** What a unit contact covers: units by their name in the population, or whole 主管部门. */
export interface Coverage {
  units: string[];
  departments: string[];
}

export function covers(coverage: Coverage, record: { unit: string; department: string }): boolean {
  return coverage.units.includes(record.unit) || coverage.departments.includes(record.department);
}

export interface RequestInput {
  text: string;
  dueDate: string;
}

/** A material request: what is asked (at least four characters) and by when (today or later, Beijing). */
export function parseRequest(
  body: Record<string, unknown>,
  today: string,
): { value?: RequestInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const text = readText(body.text, 'text', '需补充的材料', TEXT_LIMITS.comment, errors) ?? '';
  if (!errors.length && characterCount(text) < 4)
    errors.push({ field: 'text', message: '请写明需要单位补充的材料（至少4个字）' });
  const dueDate = typeof body.dueDate === 'string' ? body.dueDate.trim() : '';
  if (!isCalendarDate(dueDate)) errors.push({ field: 'dueDate', message: '请填写补充期限（YYYY-MM-DD）' });
  else if (dueDate < today) errors.push({ field: 'dueDate', message: `补充期限不能早于今天（${today}）` });
  return errors.length ? { errors } : { value: { text, dueDate }, errors };
}

/** A request is overdue once its due date has passed without an answer. */
export function isOverdue(dueDate: string, answered: boolean, today: string): boolean {
  return !answered && dueDate < today;
}

export interface FeedbackInput {
  agree: boolean;
  text: string | null;
}

/** A unit's feedback: agree or not (a boolean, or the form's "yes"/"no"), and a reason when it disagrees. */
export function parseFeedback(body: Record<string, unknown>): { value?: FeedbackInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const agree =
    body.agree === true || body.agree === 'yes' ? true : body.agree === false || body.agree === 'no' ? false : null;
  if (agree === null) errors.push({ field: 'agree', message: '请选择是否同意复核结果' });
  const text = readText(body.text, 'text', '意见', TEXT_LIMITS.comment, errors) ?? null;
  if (agree === false && !errors.some((e) => e.field === 'text') && characterCount(text ?? '') < 4)
    errors.push({ field: 'text', message: '不同意复核结果时，请写明理由（至少4个字）' });
  return errors.length || agree === null ? { errors } : { value: { agree, text }, errors };
}

/** The last day of a unit's feedback: `days` working days after the day the review was submitted. */
export function feedbackDueDate(submittedOn: string, days: number): string {
  const next = new Date(`${submittedOn}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return workingDays(next.toISOString().slice(0, 10), days).last;
}

/** Levenshtein distance over characters (code points), for names a few characters apart. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[y.length];
}

/**
 * The names closest to a typed one that is in no population: at most `limit`, at most two
 * characters apart (a slip of one or two characters), nearest first.
 */
export function closestNames(typed: string, known: readonly string[], limit = 3): string[] {
  return known
    .map((name) => ({ name, distance: editDistance(typed, name) }))
    .filter((c) => c.distance > 0 && c.distance <= 2)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name, 'zh'))
    .slice(0, limit)
    .map((c) => c.name);
}

/** "您单位有3个项目被抽中复核：A、B、C" — the landing page's first line for a unit contact. */
export function sampledNotice(names: string[]): string {
  return `您单位有${names.length}个项目被抽中复核：${names.join('、')}`;
}
