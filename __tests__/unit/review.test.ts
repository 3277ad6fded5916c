import {
  DIMENSIONS,
  IndicatorForReview,
  parseReviewContent,
  qualityScoreOf,
  ReviewContent,
  reviewFigures,
  scoreUnderRule,
  submitProblems,
  timelinessScore,
} from '../../server/domain/review';

/**
 * The bureau's scoring rules for a review, table by table: deductions and their rules, execution
 * points from the amounts, whole scores, the quality rating, the dimensions, and what submitting
 * needs. Scores are hundredths.
 */

// A project of 100 points: two output indicators, a satisfaction one, and 预算执行率 (10 points).
const INDICATORS: IndicatorForReview[] = [
  { id: 1, level1: '产出指标', level3: '培训人数', weight: 3000, score: 3000, isExecution: false },
  { id: 2, level1: '产出指标', level3: '合格率', weight: 2000, score: 1800, isExecution: false },
  { id: 3, level1: '满意度指标', level3: '学员满意度', weight: 4000, score: 4000, isExecution: false },
  { id: 4, level1: '预算执行率', level3: '预算执行率', weight: 1000, score: 1000, isExecution: true },
];
const RECORD = { budgetFen: 100_000_000n, executedFen: 80_000_000n, selfScore: 9800 };
const JUDGED = Object.fromEntries(DIMENSIONS.map((d) => [d, { judgement: '基本符合', note: '' }]));

const parse = (body: Record<string, unknown>, base?: ReviewContent) =>
  parseReviewContent(body, INDICATORS, undefined, base);

describe('deductions under the rules', () => {
  it.each([
    ['R1', 3000, 0],
    ['R4', 3000, 1200],
    ['R5', 3000, 2100],
    ['R5', 1575, 1103], // 15.75 × 70 % = 11.025, half up to 11.03
    ['R4', 2000, 800],
  ] as const)('rule %s on a weight of %i hundredths leaves %i', (rule, weight, expected) => {
    expect(scoreUnderRule(weight, rule)).toBe(expected);
  });

  it.each([
    ['a rule sets the score and needs a note', [{ id: 1, rule: 'R5', note: '指标值不规范' }], { 1: 2100 }, []],
    ['a rule without a note', [{ id: 1, rule: 'R5' }], null, ['indicators.1.note']],
    [
      'a rule with a score it does not give',
      [{ id: 1, rule: 'R4', reviewScore: 20, note: 'x' }],
      null,
      ['indicators.1.reviewScore'],
    ],
    [
      'a rule with the wrong percentage',
      [{ id: 1, rule: 'R5', percent: 60, note: 'x' }],
      null,
      ['indicators.1.percent'],
    ],
    ["a score below the unit's own needs a note", [{ id: 2, reviewScore: 15 }], null, ['indicators.2.note']],
    ["a score at or above the unit's own needs none", [{ id: 2, reviewScore: 18 }], { 2: 1800 }, []],
    ['a score above the weight', [{ id: 2, reviewScore: 21 }], null, ['indicators.2.reviewScore']],
    ['an unknown rule', [{ id: 1, rule: 'R99', note: 'x' }], null, ['indicators.1.rule']],
    ['a built-in name as the rule', [{ id: 1, rule: 'toString', note: 'x' }], null, ['indicators.1.rule']],
    ['an indicator of another record', [{ id: 99, reviewScore: 1 }], null, ['indicators.99']],
  ] as Array<[string, unknown[], Record<number, number> | null, string[]]>)(
    '%s',
    (_name, indicators, scores, fields) => {
      const parsed = parse({ indicators });
      expect(parsed.errors.map((e) => e.field)).toEqual(fields);
      if (scores)
        for (const [id, score] of Object.entries(scores))
          expect(parsed.value!.indicators.find((i) => i.id === Number(id))!.reviewScore).toBe(score);
    },
  );

  it.each([
    ['the full weight: no deduction, no note', 1000, []],
    ['below the weight: a deduction, with its note', 900, ['indicators.5.note']],
  ])('a unit that claimed 12 of 10 points, given %s', (_name, reviewScore, fields) => {
    // 2023-P004's case: the self-score is above the weight; deductions count from the weight.
    const inflated: IndicatorForReview[] = [
      ...INDICATORS,
      { id: 5, level1: '效益指标', level3: '受益人数', weight: 1000, score: 1200, isExecution: false },
    ];
    const parsed = parseReviewContent({ indicators: [{ id: 5, reviewScore: reviewScore / 100 }] }, inflated);
    expect(parsed.errors.map((e) => e.field)).toEqual(fields);
  });

  it('the execution indicator is never entered: its points come from the amounts', () => {
    const parsed = parse({ indicators: [{ id: 4, reviewScore: 10 }] });
    expect(parsed.value!.indicators.map((i) => i.id)).toEqual([1, 2, 3]);
  });
});

describe('the figures', () => {
  const content = (scores: Array<number | null>, extra: Partial<ReviewContent> = {}): ReviewContent => ({
    wholeScore: null,
    qualityScore: null,
    comment: null,
    dimensions: {},
    indicators: scores.map((reviewScore, i) => ({
      id: i + 1,
      reviewActual: null,
      reviewScore,
      rule: null,
      note: null,
    })),
    ...extra,
  });

  it.each([
    [
      'every indicator scored: their sum plus execution points (10 × 80 % = 8)',
      [3000, 1800, 4000],
      9600,
      '优',
      200,
      204,
    ],
    ['the sum capped at 100', [3000, 2000, 4000], 9800, '优', 0, 0],
    ['a lower score is a lower grade', [1000, 1000, 4000], 6800, '中', 3000, 3061],
    ['one indicator unscored: no score yet', [3000, null, 4000], null, null, null, null],
  ] as const)('%s', (_name, scores, reviewScore, grade, deviation, deviationBp) => {
    const figures = reviewFigures(RECORD, INDICATORS, content([...scores]));
    expect(figures).toMatchObject({ reviewScore, reviewGrade: grade, executionPoints: 800, deviation, deviationBp });
  });

  it.each([
    ['nothing entered yet (the untouched review has no indicator entries)', content([])],
    ['every indicator entry left blank', content([null, null, null])],
  ])('%s: 未评分, not the execution points alone', (_name, untouched) => {
    const figures = reviewFigures(RECORD, INDICATORS, untouched);
    expect(figures).toMatchObject({ reviewScore: null, reviewGrade: null, unscored: true, gradeChanged: false });
  });

  it('some indicators scored: no score yet, and no longer 未评分', () => {
    expect(reviewFigures(RECORD, INDICATORS, content([3000]))).toMatchObject({ reviewScore: null, unscored: false });
  });

  it("untouched indicators with a whole score (an agency's sheet) keep the whole score", () => {
    expect(reviewFigures(RECORD, INDICATORS, content([null, null, null], { wholeScore: 7050 })).reviewScore).toBe(7050);
  });

  it('a record without indicators is scored as a whole; a grade change is flagged', () => {
    const figures = reviewFigures(RECORD, [], content([], { wholeScore: 8550, qualityScore: 7200 }));
    expect(figures).toMatchObject({
      reviewScore: 8550,
      reviewGrade: '良',
      qualityGrade: '中',
      deviation: 1250,
      gradeChanged: true,
    });
  });

  it('no execution amount: no execution points', () => {
    expect(reviewFigures({ ...RECORD, executedFen: null }, INDICATORS, content([3000, 1800, 4000])).reviewScore).toBe(
      8800,
    );
  });
});

describe('the quality rating', () => {
  it.each([
    ['2024-03-31', '2024-03-31', 10000],
    ['2024-04-05', '2024-03-31', 6000],
    ['2024-04-30', '2024-03-31', 0],
    [null, '2024-03-31', null],
  ] as const)('submitted %s against %s: 及时性 %p', (submittedOn, deadline, expected) => {
    expect(timelinessScore(submittedOn, deadline)).toBe(expected);
  });

  it('the score is the weighted sum, once all three parts are given', () => {
    expect(
      qualityScoreOf(
        { timeliness: 10000, timelinessReason: null, normative: 6000, report: 7000 },
        { timeliness: 20, normative: 40, report: 40 },
      ),
    ).toBe(7200);
    expect(
      qualityScoreOf(
        { timeliness: 10000, timelinessReason: null, normative: null, report: 7000 },
        { timeliness: 20, normative: 40, report: 40 },
      ),
    ).toBeNull();
  });

  it('及时性 other than the dates say needs a reason', () => {
    const rating = { weights: { timeliness: 20, normative: 40, report: 40 }, timelinessDefault: 10000 };
    expect(
      parseReviewContent({ quality: { timeliness: 80, normative: 60, report: 70 } }, INDICATORS, rating).errors.map(
        (e) => e.field,
      ),
    ).toEqual(['quality.timelinessReason']);
    expect(parseReviewContent({ quality: { normative: 60, report: 70 } }, INDICATORS, rating).value!.qualityScore).toBe(
      7200,
    );
  });
});

describe('what a save keeps and what it refuses', () => {
  const stored = parse({ reviewScore: 85, comment: '意见', dimensions: JUDGED, qualityScore: 80 }).value!;

  it.each([
    [
      'a field left out keeps its stored value',
      { reviewScore: 84 },
      { wholeScore: 8400, comment: '意见', qualityScore: 8000 },
    ],
    ['null clears it', { comment: null }, { wholeScore: 8500, comment: null }],
    ['blank text clears it', { comment: '   ' }, { comment: null }],
  ] as const)('%s', (_name, body, expected) => {
    expect(parse(body, stored).value).toMatchObject(expected);
  });

  it.each([
    ['text that is too long', { comment: '长'.repeat(5001) }, 'comment', '复核意见不能超过5000字（现为5001字）'],
    ['a number where text belongs', { comment: 5 }, 'comment', '复核意见须为文字'],
    ['a score past 100', { reviewScore: 100.5 }, 'reviewScore', '复核得分不能超过100"100.5"'],
    ['three decimals', { reviewScore: '85.555' }, 'reviewScore', '小数位数超过2位"85.555"'],
    [
      'a judgement that is not one',
      { dimensions: { 预算执行: { judgement: '很好' } } },
      'dimensions.预算执行',
      '"预算执行"的判断须为符合、基本符合或不符合',
    ],
    [
      'a dimension that is not one',
      { dimensions: { 别的: { judgement: '符合' } } },
      'dimensions.别的',
      '没有"别的"这个复核内容',
    ],
    ['indicators that are not a list', { indicators: { id: 1 } }, 'indicators', '指标复核须为列表'],
  ] as const)('%s is refused, naming the field', (_name, body, field, message) => {
    const parsed = parse(body, stored);
    expect(parsed.value).toBeUndefined();
    expect(parsed.errors).toContainEqual({ field, message });
  });
});

describe('what submitting needs', () => {
  const full = (body: Record<string, unknown>) => parse(body).value!;

  it.each([
    [
      'every indicator scored and every dimension judged',
      {
        indicators: [
          { id: 1, reviewScore: 30 },
          { id: 2, reviewScore: 18 },
          { id: 3, reviewScore: 40 },
        ],
        dimensions: JUDGED,
      },
      INDICATORS,
      [],
    ],
    [
      'an indicator not yet scored',
      {
        indicators: [
          { id: 1, reviewScore: 30 },
          { id: 3, reviewScore: 40 },
        ],
        dimensions: JUDGED,
      },
      INDICATORS,
      ['indicators.2.reviewScore'],
    ],
    ['a whole score needs its reason', { reviewScore: 70, dimensions: JUDGED }, INDICATORS, ['comment']],
    ['a whole score with its reason', { reviewScore: 70, comment: '整体打分理由', dimensions: JUDGED }, INDICATORS, []],
    ['without indicators: a whole score and its reason', { dimensions: JUDGED }, [], ['reviewScore', 'comment']],
    [
      'a dimension not judged',
      { reviewScore: 70, comment: '理由', dimensions: { ...JUDGED, 满意度: null } },
      INDICATORS,
      ['dimensions.满意度'],
    ],
  ] as Array<[string, Record<string, unknown>, IndicatorForReview[], string[]]>)(
    '%s',
    (_name, body, indicators, fields) => {
      const content = indicators.length ? full(body) : parseReviewContent(body, []).value!;
      const problems = submitProblems(indicators, content, reviewFigures(RECORD, indicators, content));
      expect(problems.map((p) => p.field)).toEqual(fields);
    },
  );
});
