import { Invalid } from '../errors';

/**
 * Free text as users send it: checked, never cut. Too long or not text is an error naming the
 * field, so that nothing typed is lost silently. Lengths are in characters (code points), as
 * a reader counts them; the limits are listed in spec/api.md and the README.
 */

export type FieldError = { field: string; message: string };

/** The longest text each kind of field accepts, in characters. */
export const TEXT_LIMITS = {
  /** 复核意见, 问题描述, 公示 sections' notes. */
  comment: 5000,
  /** A deduction's or a dimension's note, a category's recommendation. */
  note: 2000,
  /** A reason: for returning, withdrawing, cancelling, declaring a conflict, a timeliness change. */
  reason: 1000,
  /** An evidence file's description. */
  description: 500,
  /** A reviewer's actual value of an indicator. */
  actual: 200,
  /** A name of a unit or department, a title. */
  name: 200,
} as const;

/** Unicode's bidirectional controls, which can make a name read differently from what it is. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text with the bidirectional controls (U+202E and the rest) taken out. */
export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

export const characterCount = (text: string): number => [...text].length;

/**
 * A text field of a request: `undefined` when absent (the stored value stays), `null` when null
 * or blank (cleared), else the trimmed text. Not text, or longer than `max`, adds an error.
 */
export function readText(
  value: unknown,
  field: string,
  label: string,
  max: number,
  errors: FieldError[],
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string') {
    errors.push({ field, message: `${label}须为文字` });
    return undefined;
  }
  const text = withoutBidiControls(value.normalize('NFC')).trim();
  if (text === '') return null;
  const length = characterCount(text);
  if (length > max) errors.push({ field, message: `${label}不能超过${max}字（现为${length}字）` });
  return text;
}

/**
 * A reason a step needs (returning, withdrawing, cancelling): at least `min` characters and at
 * most the limit for reasons; otherwise an `Invalid` naming the field with `missing` as message.
 */
export function requiredReason(
  value: unknown,
  missing: string,
  { field = 'reason', label = '理由', min = 2 } = {},
): string {
  const errors: FieldError[] = [];
  const text = readText(value, field, label, TEXT_LIMITS.reason, errors) ?? '';
  if (errors.length === 0 && characterCount(text) < min) errors.push({ field, message: missing });
  if (errors.length) throw new Invalid(errors[0].message, errors);
  return text;
}
