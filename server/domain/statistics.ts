/**
 * Estimating a population share from a simple random sample: the share of inflated
 * self-evaluations among all of a kind, from the share among those sampled at random. Intervals
 * are Wilson's score interval and the exact Clopper–Pearson interval, both at 95 %, with the
 * finite population correction applied through the effective sample size
 * n' = n (N − 1) / (N − n) (Korn & Graubard), which leaves the plain interval when N is unknown
 * or infinite and shrinks it to the observed share when the whole population was sampled.
 */

const Z_95 = 1.959963984540054;
const Z_95_ONE_SIDED = 1.6448536269514722;

/** ln Γ(x) by Lanczos (g = 7, n = 9), accurate to ~15 digits for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b), by bisection on I_x (monotone in x). */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface ShareEstimate {
  /** Found in the sample, and the sample and population sizes (N null when unknown). */
  x: number;
  n: number;
  N: number | null;
  share: number;
  /** The effective sample size after the finite population correction. */
  effectiveN: number;
  wilson: [number, number];
  clopperPearson: [number, number];
  /** One-sided 95 % upper bound (Clopper–Pearson). */
  upper: number;
  /** One-sided 95 % upper bound (Wilson). */
  wilsonUpper: number;
}

function wilson(p: number, n: number, z: number): [number, number] {
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The share x/n with 95 % intervals; N, when known, is the size of the population sampled from. */
export function estimateShare(x: number, n: number, N: number | null = null): ShareEstimate {
  if (!Number.isInteger(x) || !Number.isInteger(n) || n <= 0 || x < 0 || x > n)
    throw new RangeError(`Need 0 ≤ x ≤ n, n > 0; got x=${x}, n=${n}`);
  if (N !== null && (!Number.isInteger(N) || N < n))
    throw new RangeError(`The population (${N}) cannot be smaller than the sample (${n})`);
  const share = x / n;
  if (N !== null && N === n) {
    // Everything was looked at: the share is known exactly.
    return {
      x,
      n,
      N,
      share,
      effectiveN: Infinity,
      wilson: [share, share],
      clopperPearson: [share, share],
      upper: share,
      wilsonUpper: share,
    };
  }
  const effectiveN = N === null || N <= 1 ? n : (n * (N - 1)) / (N - n);
  const ex = share * effectiveN;
  const lower = ex <= 0 ? 0 : betaQuantile(0.025, ex, effectiveN - ex + 1);
  const upper = ex >= effectiveN ? 1 : betaQuantile(0.975, ex + 1, effectiveN - ex);
  const oneSided = ex >= effectiveN ? 1 : betaQuantile(0.95, ex + 1, effectiveN - ex);
  return {
    x,
    n,
    N,
    share,
    effectiveN,
    wilson: wilson(share, effectiveN, Z_95),
    clopperPearson: [lower, upper],
    upper: oneSided,
    wilsonUpper: wilson(share, effectiveN, Z_95_ONE_SIDED)[1],
  };
}

/** 0.031416 → "3.14%". */
export function percent(value: number, decimals = 2): string {
  return `${(value * 100).toFixed(decimals)}%`;
}

/**
 * Whole percents of each part that add up to exactly 100 (largest remainder; ties go to the
 * larger count, then to the earlier part). All zero when the total is zero.
 */
export function largestRemainderPercents(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return counts.map(() => 0);
  const floors = counts.map((c) => Math.floor((c * 100) / total));
  const remainders = counts.map((c, i) => ({ i, r: (c * 100) % total, c }));
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  remainders.sort((a, b) => b.r - a.r || b.c - a.c || a.i - b.i);
  for (const { i } of remainders) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}
