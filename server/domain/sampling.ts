/**
 * FUHE-DRAW-1 (spec/sampling.md), the published sampling procedure. Steps 1 and 2 — canonical
 * order and population fingerprint — are here; anyone holding the canonical file can recompute
 * the fingerprint with nothing but SHA-256.
 */

import crypto from 'node:crypto';
import { Kind, KIND_LABELS } from './population';

export const PROCEDURE = 'FUHE-DRAW-1';

export interface PopulationRecord {
  code: string;
  kind: Kind;
  budgetFen: bigint;
  /** Hundredths of a point. */
  selfScore: number;
}

/** Step 1: by code, comparing UTF-16 code units (JavaScript's `<`), never by locale. */
export function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function canonicalOrder<T extends { code: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => compareCodes(a.code, b.code));
}

/** One line per record in canonical order: code, kind (项目支出/部门整体支出), fen, hundredths. */
export function canonicalLine(record: PopulationRecord): string {
  return `${record.code}\t${KIND_LABELS[record.kind]}\t${record.budgetFen.toString()}\t${record.selfScore}\n`;
}

/** The canonical population file: what the fingerprint is the SHA-256 of. */
export function canonicalPopulation(records: readonly PopulationRecord[]): string {
  return canonicalOrder(records).map(canonicalLine).join('');
}

/** Step 2: SHA-256 of the canonical file's UTF-8 bytes, 64 lower-case hex digits. */
export function populationFingerprint(records: readonly PopulationRecord[]): string {
  const hash = crypto.createHash('sha256');
  for (const record of canonicalOrder(records)) hash.update(canonicalLine(record), 'utf8');
  return hash.digest('hex');
}
