/**
 * Grades by score (财预〔2020〕10号): 90 ≤ score → 优; 80 ≤ score < 90 → 良; 60 ≤ score < 80 → 中;
 * score < 60 → 差. Scores are integer hundredths of a point (92.5 → 9250), so the bands are exact.
 */

export const GRADES = ['优', '良', '中', '差'] as const;
export type Grade = (typeof GRADES)[number];

export function gradeFor(scoreHundredths: number): Grade {
  if (!Number.isInteger(scoreHundredths) || scoreHundredths < 0 || scoreHundredths > 10000) {
    throw new RangeError(`A score must be 0–100 in hundredths, got ${scoreHundredths}`);
  }
  if (scoreHundredths >= 9000) return '优';
  if (scoreHundredths >= 8000) return '良';
  if (scoreHundredths >= 6000) return '中';
  return '差';
}

/** The scores, in hundredths, that earn a grade: [lowest, highest]. */
export function scoreBand(grade: Grade): [number, number] {
  return { 优: [9000, 10000], 良: [8000, 8999], 中: [6000, 7999], 差: [0, 5999] }[grade] as [number, number];
}

export function isGrade(value: unknown): value is Grade {
  return typeof value === 'string' && (GRADES as readonly string[]).includes(value);
}

/** 92.5 → "92.5", 90 → "90", 85.25 → "85.25". */
export function formatScore(scoreHundredths: number): string {
  const whole = Math.trunc(scoreHundredths / 100);
  const frac = Math.abs(scoreHundredths % 100);
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}`;
}
