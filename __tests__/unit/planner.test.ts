import { parsePlanInput, planSampleSize, planStratum } from '../../server/domain/planner';

describe('the sample-size planner', () => {
  it.each([
    [0.05, 0, 59, 56],
    [0.05, 1, 93, 87],
    [0.1, 2, 61, 59],
  ])(
    'tolerable %s, %s accepted, 95 %%: %s (binomial) and %s (hypergeometric, N = 500)',
    (rate, accepted, binomial, hypergeometric) => {
      expect(planSampleSize({ tolerableRate: rate, confidence: 0.95, accepted, populationSize: 500 })).toMatchObject({
        binomial,
        hypergeometric,
      });
    },
  );
  it('a larger population approaches the binomial answer', () => {
    expect(
      planSampleSize({ tolerableRate: 0.05, confidence: 0.95, accepted: 0, populationSize: 100000 }).hypergeometric,
    ).toBe(59);
  });
  it('plans a stratum and never asks for more than it holds', () => {
    const rule = { tolerableRate: 0.05, confidence: 0.95, accepted: 0 };
    expect(planStratum(rule, 500)).toEqual({ size: 500, suggested: 56, all: false, inflatedInPopulation: 25 });
    // 41 items: 2 inflated would be tolerable, and finding none of them needs most of the stratum.
    const small = planStratum(rule, 41);
    expect(small.suggested).toBeLessThanOrEqual(41);
    // 10 items at 5 %: not one inflated item is tolerable, so every item is reviewed.
    expect(planStratum(rule, 10)).toEqual({ size: 10, suggested: 10, all: true, inflatedInPopulation: 0 });
    expect(planStratum(rule, 0)).toEqual({ size: 0, suggested: 0, all: false, inflatedInPopulation: null });
  });
  it('reads the form and refuses nonsense', () => {
    expect(parsePlanInput({ tolerableRate: '5', confidence: '95', accepted: '0' }, 500).value).toEqual({
      tolerableRate: 0.05,
      confidence: 0.95,
      accepted: 0,
      populationSize: 500,
    });
    expect(
      parsePlanInput({ tolerableRate: '0', confidence: '100', accepted: '-1' }).errors.map((e) => e.field),
    ).toEqual(['tolerableRate', 'confidence', 'accepted']);
  });
});
