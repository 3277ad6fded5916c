/**
 * The sample-size planner: how many items to review so that, if no more than `accepted` inflated
 * self-evaluations turn up, one can say with `confidence` that the population's rate of inflated
 * self-evaluations is below `tolerableRate` (attribute sampling, as auditors plan it).
 *
 *   binomial:        smallest n with  Σ_{x=0..k} C(n,x) p^x (1−p)^(n−x)  ≤ 1 − confidence
 *   hypergeometric:  smallest n with  Σ_{x=0..k} C(D,x) C(N−D,n−x) / C(N,n)  ≤ 1 − confidence,
 *                    D = ⌊p·N⌋ inflated items in a population of N (sampling without replacement)
 */

export interface PlanInput {
  /** 0 < p < 1. */
  tolerableRate: number;
  /** 0 < c < 1. */
  confidence: number;
  /** Inflated items one expects to find and still accept, k ≥ 0. */
  accepted: number;
  /** Population size, for the finite-population (hypergeometric) answer. */
  populationSize?: number;
}

export interface Plan {
  binomial: number | null;
  hypergeometric: number | null;
  inflatedInPopulation: number | null;
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push(logFactorials[i - 1] + Math.log(i));
  return logFactorials[n];
}
const logChoose = (n: number, k: number) =>
  k < 0 || k > n ? -Infinity : logFactorial(n) - logFactorial(k) - logFactorial(n - k);

export function binomialCdf(k: number, n: number, p: number): number {
  let sum = 0;
  for (let x = 0; x <= Math.min(k, n); x++)
    sum += Math.exp(logChoose(n, x) + x * Math.log(p) + (n - x) * Math.log1p(-p));
  return sum;
}

export function hypergeometricCdf(k: number, N: number, D: number, n: number): number {
  let sum = 0;
  const total = logChoose(N, n);
  for (let x = 0; x <= Math.min(k, n, D); x++) sum += Math.exp(logChoose(D, x) + logChoose(N - D, n - x) - total);
  return sum;
}

const MAX_N = 100_000;

export function planSampleSize(input: PlanInput): Plan {
  const { tolerableRate: p, confidence: c, accepted: k } = input;
  const risk = 1 - c;
  let binomial: number | null = null;
  for (let n = k + 1; n <= MAX_N; n++) {
    if (binomialCdf(k, n, p) <= risk) {
      binomial = n;
      break;
    }
  }
  let hypergeometric: number | null = null;
  let inflated: number | null = null;
  const N = input.populationSize;
  if (N !== undefined && N > 0) {
    inflated = Math.floor(p * N + 1e-9);
    for (let n = k + 1; n <= N; n++) {
      if (hypergeometricCdf(k, N, inflated, n) <= risk) {
        hypergeometric = n;
        break;
      }
    }
  }
  return { binomial, hypergeometric, inflatedInPopulation: inflated };
}

/** The planner's answer for one stratum: never more than the stratum holds. */
export interface StratumPlan {
  size: number;
  /** Items to review in this stratum (the finite-population answer, at most `size`). */
  suggested: number;
  /** The answer is the whole stratum: it is too small for a sample to say anything less. */
  all: boolean;
  inflatedInPopulation: number | null;
}

/**
 * Each stratum planned on its own, since the announcement speaks of each kind on its own. A
 * stratum too small for the answer (or so small that no inflated item is tolerable at all) is
 * reviewed in full.
 */
export function planStratum(input: Omit<PlanInput, 'populationSize'>, size: number): StratumPlan {
  if (size <= 0) return { size: 0, suggested: 0, all: false, inflatedInPopulation: null };
  const plan = planSampleSize({ ...input, populationSize: size });
  const suggested = Math.min(plan.hypergeometric ?? size, size);
  return { size, suggested, all: suggested >= size, inflatedInPopulation: plan.inflatedInPopulation };
}

export type PlanParse =
  { value: PlanInput; errors: [] } | { value: undefined; errors: Array<{ field: string; message: string }> };

/** From a form: percentages as numbers of percent ("5" = 5 %), counts as integers. */
export function parsePlanInput(form: Record<string, unknown>, populationSize?: number): PlanParse {
  const errors: Array<{ field: string; message: string }> = [];
  const num = (key: string) => Number(String(form[key] ?? '').trim());
  const rate = num('tolerableRate');
  const confidence = num('confidence');
  const accepted = num('accepted');
  if (!(rate > 0 && rate < 100)) errors.push({ field: 'tolerableRate', message: '可容忍偏差率须大于0%、小于100%' });
  if (!(confidence > 0 && confidence < 100))
    errors.push({ field: 'confidence', message: '置信水平须大于0%、小于100%' });
  if (!Number.isInteger(accepted) || accepted < 0 || accepted > 50)
    errors.push({ field: 'accepted', message: '预计发现的偏差数须为0–50的整数' });
  if (errors.length) return { value: undefined, errors };
  return { value: { tolerableRate: rate / 100, confidence: confidence / 100, accepted, populationSize }, errors: [] };
}
