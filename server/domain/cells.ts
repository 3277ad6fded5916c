/**
 * Spreadsheet cells as the import sees them, whatever file they came from, and the parsers that
 * turn one cell into a typed value. A CSV gives only text; an `.xlsx` also gives numbers, dates
 * and errors (a formula with no cached result, `#N/A`). Numbers never pass through floating
 * point on their way from text to the stored integer.
 */

import { isCalendarDate } from './dates';
import { ParseResult } from './money';
import { withoutBidiControls } from './text';

export type Cell = string | number | boolean | Date | null | { error: string };

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(message: string): ParseResult<T> => ({ ok: false, message });

/** Characters that make a spreadsheet treat text as a formula. */
const FORMULA_START = /^[=+\-@]/;

export function isEmptyCell(cell: Cell): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/**
 * A number cell as the decimal people see in Excel: 15 significant digits, which is all Excel
 * shows and keeps, so a formula result like 19.199999999999999 reads as 19.2.
 */
export function numberCellText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const text = value.toPrecision(15);
  if (/e/i.test(text)) return text;
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * The text of a cell, trimmed. A leading apostrophe before `= + - @` is how our own exports keep
 * Excel from running a formula, so it is removed again on the way back in.
 */
export function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'string') {
    // Bidirectional controls (U+202E …) can make a name read as something else: never imported.
    const text = withoutBidiControls(cell).trim();
    return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
  }
  if (typeof cell === 'number') return numberCellText(cell);
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if (cell instanceof Date) return cell.toISOString().slice(0, 10);
  return '';
}

export function cellError(cell: Cell): string | undefined {
  return cell !== null && typeof cell === 'object' && !(cell instanceof Date) ? cell.error : undefined;
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const SCALES = [1n, 10n, 100n, 1000n, 10000n, 100000n, 1000000n];

/** Full-width digits, points and commas (１２３．５，) become ASCII; spaces go. */
function normaliseNumberText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '');
}

/**
 * A non-negative decimal with at most `maxDecimals` decimals, scaled to an integer
 * (`scale` = 10^maxDecimals units per one). Thousands separators are accepted only in groups of
 * three ("1,234.5"), so "1,2.5" is refused rather than guessed at.
 */
export function parseDecimal(cell: Cell, maxDecimals: number, what: string): ParseResult<bigint> {
  const error = cellError(cell);
  if (error) return fail(error);
  if (typeof cell === 'boolean' || cell instanceof Date) return fail(`不是数字"${cellText(cell)}"`);
  const raw = cellText(cell);
  // The common case, plain digits, skips the normalisation below.
  const plain = PLAIN_DECIMAL.exec(raw);
  if (plain && (plain[2] ?? '').length <= maxDecimals) {
    const decimals = plain[2] ?? '';
    return ok(
      BigInt(plain[1]) * SCALES[maxDecimals] +
        (decimals === '' ? 0n : BigInt(decimals) * SCALES[maxDecimals - decimals.length]),
    );
  }
  const text = normaliseNumberText(raw);
  if (text === '') return fail(`${what}为空`);
  if (/^-\d/.test(text) || /^-\.\d/.test(text)) return fail(`${what}不能为负数"${raw}"`);
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$/.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) return fail(`不是数字"${raw}"`);
  // Trailing zeros change nothing, so "947.0000000" is as exact as "947".
  const decimals = (match[2] ?? '').length > maxDecimals ? match[2].replace(/0+$/, '') : (match[2] ?? '');
  if (decimals.length > maxDecimals) return fail(`小数位数超过${maxDecimals}位"${raw}"`);
  const whole = (match[1] ?? '0').replace(/,/g, '');
  return ok(BigInt(whole) * 10n ** BigInt(maxDecimals) + BigInt(decimals.padEnd(maxDecimals, '0') || '0'));
}

/**
 * The largest amount accepted, 10^9 万元 (10 万亿元, more than any single budget): every amount
 * and every stored figure stays an exact integer on both engines and in JavaScript.
 */
export const MAX_AMOUNT_WAN = 1_000_000_000n;
export const MAX_AMOUNT_FEN = MAX_AMOUNT_WAN * 1_000_000n;
/** The largest total of a population (budgets summed), 2^53 − 1 fen: about 90 亿万元. */
export const MAX_TOTAL_FEN = BigInt(Number.MAX_SAFE_INTEGER);

/** An amount in 万元, up to six decimals and at most MAX_AMOUNT_WAN, as integer fen (1 万元 = 1,000,000 分). */
export function parseAmountCell(cell: Cell, what = '金额'): ParseResult<bigint> {
  // Six decimals of 万元 are whole fen: FEN_PER_WAN is 10^6.
  const parsed = parseDecimal(cell, 6, what);
  if (parsed.ok && parsed.value > MAX_AMOUNT_FEN)
    return fail(`${what}超过上限${MAX_AMOUNT_WAN.toLocaleString('en-US')}万元"${cellText(cell)}"`);
  return parsed;
}

/** Points (a score or an indicator's weight), up to two decimals, as integer hundredths, at most `max`. */
export function parsePointsCell(cell: Cell, what: string, maxHundredths: number): ParseResult<number> {
  const result = parseDecimal(cell, 2, what);
  if (!result.ok) return result;
  if (result.value > BigInt(maxHundredths)) return fail(`${what}不能超过${maxHundredths / 100}"${cellText(cell)}"`);
  return ok(Number(result.value));
}

const pad = (n: number) => String(n).padStart(2, '0');

function calendarDate(year: number, month: number, day: number): string | undefined {
  const text = `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
  return isCalendarDate(text) ? text : undefined;
}

/**
 * Excel's serial day number (1900 date system) as a calendar date. Excel counts 1900-02-29,
 * which did not exist, so serials from 61 on are one day later than a plain count from 1899-12-31.
 */
export function excelSerialToDate(serial: number): string | undefined {
  if (!Number.isFinite(serial) || serial < 1 || serial >= 2958466) return undefined;
  const day = Math.floor(serial);
  if (day === 60) return undefined;
  const epoch = Date.UTC(1899, 11, day < 60 ? 31 : 30);
  return new Date(epoch + day * 86_400_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD`, `YYYY/M/D`, `YYYY年M月D日`, `YYYY.M.D`, `YYYYMMDD`, or an Excel date or serial. */
export function parseDateCell(cell: Cell): ParseResult<string> {
  const error = cellError(cell);
  if (error) return fail(error);
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) return fail('日期无效');
    // exceljs reads date cells as UTC midnight of the day shown.
    return ok(cell.toISOString().slice(0, 10));
  }
  if (typeof cell === 'number') {
    if (Number.isInteger(cell) && cell >= 19000101 && cell <= 29991231) {
      const date = calendarDate(Math.floor(cell / 10000), Math.floor(cell / 100) % 100, cell % 100);
      if (date) return ok(date);
    }
    const date = excelSerialToDate(cell);
    return date ? ok(date) : fail(`不是有效日期"${cellText(cell)}"`);
  }
  const raw = cellText(cell);
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw) && isCalendarDate(raw)) return ok(raw);
  const text = raw.normalize('NFKC').replace(/\s+/g, '');
  const match =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/.exec(text) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match) {
    const date = calendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
    if (date) return ok(date);
  }
  return fail(`不是有效日期"${raw}"（应为 2024-03-05、2024/3/5 或 2024年3月5日）`);
}
