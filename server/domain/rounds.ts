import { withoutBidiControls } from './text';
import { isCalendarDate } from './dates';
import { DEFAULT_UNIT_FEEDBACK_DAYS } from './units';

/** A round (复核批次): one year's spot-check of self-evaluations. */

export const ROUND_STATES = {
  preparing: '准备中',
  drawn: '已抽样',
  reviewing: '复核中',
  published: '已公示',
} as const;
export type RoundState = keyof typeof ROUND_STATES;

export interface RoundFields {
  title: string;
  fiscalYear: number;
  bureau: string | null;
  workPlanRef: string | null;
  deadline: string | null;
  /** Working days an announcement stays open to objections (公示期); 5 when left out. */
  publicityDays?: number;
  /** Where the public sends an objection (异议): an office, a telephone number, an address. */
  objectionContact?: string | null;
  /** The reviewers checked on site (实地核查) as well as the submitted materials. */
  onsiteChecks?: boolean;
  /** Fewer random items of a kind than this, and its estimate stays out of the public text. */
  minEstimateSample?: number;
  /** Working days a sampled unit has to answer a submitted review (意见反馈); 5 when left out. */
  unitFeedbackDays?: number;
}

export const DEFAULT_PUBLICITY_DAYS = 5;
export const DEFAULT_MIN_ESTIMATE_SAMPLE = 10;

export interface FieldError {
  field: string;
  message: string;
}

const text = (value: unknown): string =>
  typeof value === 'string'
    ? withoutBidiControls(value.normalize('NFC')).trim()
    : typeof value === 'number'
      ? String(value)
      : '';

function limited(errors: FieldError[], field: string, label: string, value: string, max: number): string | null {
  if ([...value].length > max) errors.push({ field, message: `${label}不能超过${max}个字符` });
  return value || null;
}

/** Parses a round from a form or JSON body: every problem at once, in Chinese. */
export function parseRoundFields(body: Record<string, unknown>): { value?: RoundFields; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const title = text(body.title);
  if (!title) errors.push({ field: 'title', message: '请填写复核批次名称' });
  limited(errors, 'title', '名称', title, 200);
  const yearText = text(body.fiscalYear);
  const fiscalYear = Number(yearText);
  if (!/^\d{4}$/.test(yearText) || fiscalYear < 2000 || fiscalYear > 2100) {
    errors.push({ field: 'fiscalYear', message: '预算年度须为2000–2100之间的四位年份' });
  }
  const bureau = limited(errors, 'bureau', '财政部门名称', text(body.bureau), 200);
  const workPlanRef = limited(errors, 'workPlanRef', '工作方案文号', text(body.workPlanRef), 100);
  const deadlineText = text(body.deadline);
  if (deadlineText && !isCalendarDate(deadlineText)) {
    errors.push({ field: 'deadline', message: '截止日期须为有效日期（YYYY-MM-DD）' });
  }
  const daysText = text(body.publicityDays);
  const publicityDays = daysText === '' ? DEFAULT_PUBLICITY_DAYS : Number(daysText);
  if (!/^\d{1,2}$/.test(daysText || '5') || publicityDays < 1 || publicityDays > 30)
    errors.push({ field: 'publicityDays', message: '公示期须为1–30个工作日' });
  const sampleText = text(body.minEstimateSample);
  const minEstimateSample = sampleText === '' ? DEFAULT_MIN_ESTIMATE_SAMPLE : Number(sampleText);
  if (!/^\d{1,3}$/.test(sampleText || '10') || minEstimateSample < 1 || minEstimateSample > 500)
    errors.push({ field: 'minEstimateSample', message: '公布总体估计的最小样本须为1–500的整数' });
  const feedbackText = text(body.unitFeedbackDays);
  const unitFeedbackDays = feedbackText === '' ? DEFAULT_UNIT_FEEDBACK_DAYS : Number(feedbackText);
  if (!/^\d{1,2}$/.test(feedbackText || '5') || unitFeedbackDays < 1 || unitFeedbackDays > 30)
    errors.push({ field: 'unitFeedbackDays', message: '单位反馈期限须为1–30个工作日' });
  const objectionContact = limited(errors, 'objectionContact', '异议联系方式', text(body.objectionContact), 300);
  if (errors.length > 0) return { errors };
  return {
    value: {
      title,
      fiscalYear,
      bureau,
      workPlanRef,
      deadline: deadlineText || null,
      publicityDays,
      objectionContact,
      minEstimateSample,
      unitFeedbackDays,
      onsiteChecks: ['on', 'true', '1', 'yes'].includes(text(body.onsiteChecks)) || body.onsiteChecks === true,
    },
    errors,
  };
}

const FIELD_LABELS: Record<string, string> = {
  title: '名称',
  fiscalYear: '预算年度',
  bureau: '财政部门',
  workPlanRef: '工作方案文号',
  deadline: '截止日期',
  publicityDays: '公示期（工作日）',
  objectionContact: '异议联系方式',
  onsiteChecks: '实地核查',
  minEstimateSample: '公布估计的最小样本',
  unitFeedbackDays: '单位反馈期限（工作日）',
  state: '状态',
};

/** "名称：旧 → 新；截止日期：（空） → 2024-03-31" for a history row. */
export function describeChanges(before: unknown, after: unknown): string {
  if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return '';
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const shown = (v: unknown) => (v === null || v === undefined || v === '' ? '（空）' : String(v));
  return Object.keys(FIELD_LABELS)
    .filter((key) => b[key] !== a[key])
    .map((key) => `${FIELD_LABELS[key]}：${shown(b[key])} → ${shown(a[key])}`)
    .join('；');
}
