/**
 * Normalises what the two engines return: PostgreSQL gives `count(*)` and bigint as strings and
 * timestamps as Date; SQLite gives numbers for both (timestamps are
 * bound as ISO text, but older rows may hold milliseconds).
 */

export function toInt(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  if (value === null || value === undefined) return 0;
  throw new Error(`Not an integer from the database: ${String(value)}`);
}

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') {
    const asNumber = Number(value);
    return Number.isFinite(asNumber) && /^\d+$/.test(value) ? new Date(asNumber) : new Date(value);
  }
  throw new Error(`Not a timestamp from the database: ${String(value)}`);
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** The first value of a `count(*) as n` row, whatever the engine. */
export function countOf(row: { n?: unknown } | undefined): number {
  return toInt(row?.n);
}

/** The id from `insert(...).returning('id')`: one row of `{ id }` on both engines. */
export function insertedId(rows: Array<{ id: number | string }>): number {
  return Number(rows[0].id);
}
