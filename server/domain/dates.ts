/** Calendar dates are YYYY-MM-DD text; instants are shown in China Standard Time (UTC+8, no DST). */

const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** "2024-03-05" → "2024年3月5日". */
export function formatCalendarDateZh(text: string): string {
  const [year, month, day] = text.split('-').map(Number);
  return `${year}年${month}月${day}日`;
}

/** An instant as "2026-11-25 10:09:47" in Beijing time. */
export function formatInstantCst(at: Date): string {
  return new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * A period of `days` working days beginning on `from` (or the next working day when `from`
 * falls on a Saturday or Sunday): its first and last calendar dates. Public holidays are not
 * known here; a bureau that publishes before one sets more days.
 */
export function workingDays(from: string, days: number): { first: string; last: string } {
  const date = new Date(`${from}T00:00:00Z`);
  const weekend = () => date.getUTCDay() === 0 || date.getUTCDay() === 6;
  const next = () => date.setUTCDate(date.getUTCDate() + 1);
  while (weekend()) next();
  const first = date.toISOString().slice(0, 10);
  for (let counted = 1; counted < days;) {
    next();
    if (!weekend()) counted += 1;
  }
  return { first, last: date.toISOString().slice(0, 10) };
}

/** Today's calendar date in Beijing. */
export function todayCst(now: Date): string {
  return formatInstantCst(now).slice(0, 10);
}
