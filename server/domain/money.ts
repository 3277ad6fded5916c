/**
 * Money is integer fen (分) end to end; 1 万元 = 1,000,000 分. Text becomes fen here without
 * floating point, and fen become 万元 for people here and nowhere else.
 */

export const FEN_PER_WAN = 1_000_000n;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Parses an amount written in 万元 ("27177.29", "1,234.5", "0.000001") into fen.
 * Up to six decimals (one fen); thousands separators allowed; no sign, no exponent.
 */
export function parseWanToFen(text: string): ParseResult<bigint> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: '金额为空' };
  if (trimmed.startsWith('-')) return { ok: false, message: `金额不能为负数"${trimmed}"` };
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (!match) return { ok: false, message: `不是数字"${trimmed}"` };
  const whole = match[1].replace(/,/g, '');
  const decimals = match[2] ?? '';
  if (decimals.length > 6) return { ok: false, message: `小数位数超过6位"${trimmed}"` };
  const fen = BigInt(whole) * FEN_PER_WAN + BigInt(decimals.padEnd(6, '0') || '0');
  return { ok: true, value: fen };
}

/** Fen as 万元 with two decimals, rounded half up: 27177289000n → "27177.29". */
export function fenToWan(fen: bigint, decimals = 2): string {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  const scale = 10n ** BigInt(6 - decimals);
  const rounded = (abs + scale / 2n) / scale;
  const unit = 10n ** BigInt(decimals);
  const whole = rounded / unit;
  const frac = rounded % unit;
  const text = decimals > 0 ? `${whole}.${frac.toString().padStart(decimals, '0')}` : `${whole}`;
  return negative && rounded !== 0n ? `-${text}` : text;
}

/** 万元 with thousands separators for tables: 27177289000n → "27,177.29". */
export function formatWan(fen: bigint): string {
  const [whole, frac] = fenToWan(fen).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
