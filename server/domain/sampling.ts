/**
 * FUHE-DRAW-1 (spec/sampling.md), the published sampling procedure. Steps 1 and 2 — canonical
 * order and population fingerprint — are here; anyone holding the canonical file can recompute
 * the fingerprint with nothing but SHA-256.
 */

import crypto from 'node:crypto';
import seedrandom from 'seedrandom';
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

/** Records in canonical order: the same array when it is already in that order (do not mutate it). */
export function canonicalOrder<T extends { code: string }>(records: readonly T[]): readonly T[] {
  // Records usually arrive sorted (the database orders them): check before sorting.
  let sorted = true;
  for (let i = 1; i < records.length && sorted; i++) sorted = records[i - 1].code < records[i].code;
  return sorted ? (records as T[]) : [...records].sort((a, b) => compareCodes(a.code, b.code));
}

/** One line per record in canonical order: code, kind (项目支出/部门整体支出), fen, hundredths. */
export function canonicalLine(record: PopulationRecord): string {
  return `${record.code}\t${KIND_LABELS[record.kind]}\t${record.budgetFen.toString()}\t${record.selfScore}\n`;
}

/** The canonical population file: what the fingerprint is the SHA-256 of. */
export function canonicalPopulation(records: readonly PopulationRecord[]): string {
  return canonicalFile(records).toString('utf8');
}

/** The canonical population file's UTF-8 bytes, as the draw stores and the public page serves them. */
export function canonicalFile(records: readonly PopulationRecord[]): Buffer {
  return Buffer.concat([...canonicalChunks(canonicalOrder(records))]);
}

/** Step 2: SHA-256 of the canonical file's UTF-8 bytes, 64 lower-case hex digits. */
export function populationFingerprint(records: readonly PopulationRecord[]): string {
  return fingerprintOfOrdered(canonicalOrder(records));
}

const KIND_FIELD: Record<Kind, Buffer> = {
  project: Buffer.from(`\t${KIND_LABELS.project}\t`),
  department: Buffer.from(`\t${KIND_LABELS.department}\t`),
};

/**
 * The canonical file of records already in canonical order, a megabyte at a time: the same bytes
 * as canonicalLine, written straight into buffers (a million records take a third of a second).
 */
function* canonicalChunks(records: readonly PopulationRecord[]): Generator<Buffer> {
  let buffer = Buffer.allocUnsafe(1 << 20);
  let at = 0;
  for (const record of records) {
    // A code is at most 64 characters (256 UTF-8 bytes); the rest of a line is under 60 bytes.
    if (at > buffer.length - 512) {
      yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(1 << 20);
      at = 0;
    }
    at += buffer.write(record.code, at, 'utf8');
    at += KIND_FIELD[record.kind].copy(buffer, at);
    at += buffer.write(record.budgetFen.toString(), at, 'latin1');
    buffer[at++] = 9;
    at += buffer.write(String(record.selfScore), at, 'latin1');
    buffer[at++] = 10;
  }
  yield buffer.subarray(0, at);
}

function fingerprintOfOrdered(records: readonly PopulationRecord[]): string {
  const hash = crypto.createHash('sha256');
  for (const chunk of canonicalChunks(records)) hash.update(chunk);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Steps 3–7: uniforms, priority, selection, rank, expansion.

export type Method = 'srs' | 'pps';
export const METHODS: Record<Method, string> = {
  srs: '简单随机抽样',
  pps: '按金额概率比例抽样（PPS）',
};
export type Reason = 'mandatory' | 'random' | 'expansion';
export const REASONS: Record<Reason, string> = { mandatory: '必抽', random: '随机抽取', expansion: '扩大抽样' };

/** A seed as stored: Unicode NFC, surrounding white space removed. */
export function normaliseSeed(seed: string): string {
  return seed.normalize('NFC').trim();
}

/** `K`: SHA-256 of the seed's UTF-8 bytes, 64 lower-case hex digits (seedrandom's ARC4 needs it). */
export function seedKey(seed: string): string {
  return crypto.createHash('sha256').update(seed, 'utf8').digest('hex');
}

/** Step 3: one value per record in canonical order, from `seedrandom(K)`. */
export function uniforms(count: number, seed: string): Float64Array {
  const rng = seedrandom(seedKey(seed));
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = rng();
  return values;
}

export interface DrawRules {
  /** Records whose budget is at least this many fen are mandatory. */
  mandatoryMinBudgetFen?: bigint | null;
  mandatoryCodes?: readonly string[];
  excludeCodes?: readonly string[];
}

export interface DrawInput extends DrawRules {
  seed: string;
  method: Method;
  quota: Record<Kind, number>;
}

export interface Pick {
  code: string;
  kind: Kind;
  reason: Reason;
  /** 1-based, within the stratum, in the order taken. */
  rank: number;
  u: number;
}

export interface StratumResult {
  /** Records of the kind in the population. */
  size: number;
  excluded: number;
  eligible: number;
  mandatory: number;
  quota: number;
  taken: number;
  /** The mandatory records alone reached or passed the quota. */
  mandatoryFilled: boolean;
  /** Fewer eligible records than the quota: all were taken. */
  short: boolean;
}

export interface DrawResult {
  fingerprint: string;
  strata: Record<Kind, StratumResult>;
  picks: Pick[];
}

/**
 * Priority of record `i` within its stratum as a comparator (negative: `a` comes first).
 * srs: ascending u. pps: descending ln(u)/w, zero budgets last; ties in canonical order.
 */
function comparator(method: Method, u: Float64Array, weights: Float64Array): (a: number, b: number) => number {
  if (method === 'srs') return (a, b) => (u[a] < u[b] ? -1 : u[a] > u[b] ? 1 : a - b);
  const key = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) key[i] = weights[i] > 0 ? Math.log(u[i]) / weights[i] : Number.NaN;
  return (a, b) => {
    const za = Number.isNaN(key[a]);
    const zb = Number.isNaN(key[b]);
    if (za || zb) return za && zb ? a - b : za ? 1 : -1;
    return key[a] > key[b] ? -1 : key[a] < key[b] ? 1 : a - b;
  };
}

/**
 * The first `limit` of `candidates` in priority order, without sorting all of them: a bounded
 * binary heap keeps the best `limit` seen so far, so a million records cost O(n log limit).
 */
function topByPriority(candidates: number[], limit: number, compare: (a: number, b: number) => number): number[] {
  if (limit <= 0) return [];
  if (candidates.length <= limit) return [...candidates].sort(compare);
  // Max-heap by priority order: the root is the worst of the best `limit`.
  const heap: number[] = [];
  const worse = (a: number, b: number) => compare(a, b) > 0;
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (const c of candidates) {
    if (heap.length < limit) {
      heap.push(c);
      up(heap.length - 1);
    } else if (compare(c, heap[0]) < 0) {
      heap[0] = c;
      down(0);
    }
  }
  return heap.sort(compare);
}

/**
 * FUHE-DRAW-1 on a population given in any order. `previousQuota`, when given, marks the picks
 * beyond it as `expansion` (step 7): the result is the single draw with the larger quota.
 */
export function drawSample(
  population: readonly PopulationRecord[],
  input: DrawInput,
  previousQuota?: Record<Kind, number>,
): DrawResult {
  const records = canonicalOrder(population);
  const fingerprint = fingerprintOfOrdered(records);
  const u = uniforms(records.length, input.seed);
  const weights = new Float64Array(input.method === 'pps' ? records.length : 0);
  if (input.method === 'pps') for (let i = 0; i < records.length; i++) weights[i] = Number(records[i].budgetFen);
  const compare = comparator(input.method, u, weights);
  const excluded = new Set(input.excludeCodes ?? []);
  const mandatoryCodes = new Set(input.mandatoryCodes ?? []);
  const threshold = input.mandatoryMinBudgetFen ?? null;

  // One pass sorts every record into its stratum: excluded, mandatory or the others.
  const classes = {
    project: { size: 0, excluded: 0, mandatory: [] as number[], others: [] as number[] },
    department: { size: 0, excluded: 0, mandatory: [] as number[], others: [] as number[] },
  };
  const checkCodes = excluded.size > 0 || mandatoryCodes.size > 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const c = classes[r.kind];
    c.size++;
    if (checkCodes && excluded.has(r.code)) c.excluded++;
    else if ((checkCodes && mandatoryCodes.has(r.code)) || (threshold !== null && r.budgetFen >= threshold))
      c.mandatory.push(i);
    else c.others.push(i);
  }

  const picks: Pick[] = [];
  const strata = {} as Record<Kind, StratumResult>;
  for (const kind of ['project', 'department'] as const) {
    const quota = input.quota[kind];
    const { size, excluded: excludedCount, mandatory, others } = classes[kind];
    // Step 5: every mandatory record first, in priority order; then random ones up to the quota.
    const taken = [...mandatory].sort(compare);
    const reasons: Reason[] = taken.map(() => 'mandatory');
    for (const i of topByPriority(others, quota - taken.length, compare)) {
      const rank = taken.length + 1;
      taken.push(i);
      reasons.push(previousQuota && rank > previousQuota[kind] ? 'expansion' : 'random');
    }
    taken.forEach((i, k) => picks.push({ code: records[i].code, kind, reason: reasons[k], rank: k + 1, u: u[i] }));
    const eligible = mandatory.length + others.length;
    strata[kind] = {
      size,
      excluded: excludedCount,
      eligible,
      mandatory: mandatory.length,
      quota,
      taken: taken.length,
      mandatoryFilled: mandatory.length >= quota,
      short: eligible < quota,
    };
  }
  return { fingerprint, strata, picks };
}

/** u with at least 12 significant digits: the shortest exact form, or 12 digits where that is shorter. */
export function formatU(u: number): string {
  const shortest = String(u);
  const digits = shortest
    .replace(/^0\.0*/, '')
    .replace('.', '')
    .replace(/e.*$/, '').length;
  return digits >= 12 ? shortest : u.toPrecision(12);
}

export interface VerificationParameters {
  seed: string;
  method: Method;
  quota: Record<Kind, number>;
  initialQuota: Record<Kind, number>;
  mandatoryMinBudgetFen: bigint | null;
  mandatoryCodes: readonly string[];
  excludeCodes: readonly string[];
}

/**
 * The text `scripts/verify-draw.js` prints for a draw, byte for byte: the parameters, the
 * fingerprint and every pick. The public page offers it so that anyone can compare.
 */
export function verificationText(
  parameters: VerificationParameters,
  fingerprint: string,
  sizes: Record<Kind, number>,
  picks: ReadonlyArray<{ kind: Kind; rank: number; code: string; reason: Reason; u: number }>,
): string {
  const list = (codes: readonly string[]) => (codes.length ? [...codes].sort(compareCodes).join(',') : '-');
  const lines = [
    PROCEDURE,
    `fingerprint: ${fingerprint}`,
    `records: project=${sizes.project} department=${sizes.department}`,
    `seed: ${parameters.seed}`,
    `K: ${seedKey(parameters.seed)}`,
    `method: ${parameters.method}`,
    `quota: project=${parameters.quota.project} department=${parameters.quota.department}`,
    `initial-quota: project=${parameters.initialQuota.project} department=${parameters.initialQuota.department}`,
    `mandatory-min-budget-fen: ${parameters.mandatoryMinBudgetFen === null ? '-' : parameters.mandatoryMinBudgetFen.toString()}`,
    `mandatory-codes: ${list(parameters.mandatoryCodes)}`,
    `exclude-codes: ${list(parameters.excludeCodes)}`,
    'kind\trank\tcode\treason\tu',
  ];
  const ordered = [...picks].sort((a, b) => (a.kind === b.kind ? a.rank - b.rank : a.kind === 'project' ? -1 : 1));
  for (const p of ordered) lines.push(`${p.kind}\t${p.rank}\t${p.code}\t${p.reason}\t${formatU(p.u)}`);
  return lines.join('\n') + '\n';
}
