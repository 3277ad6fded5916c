import {
  AnnouncedItem,
  AnnouncementInput,
  compileFigures,
  figureValues,
  fillFigures,
  generateSections,
  gradeSentence,
  overallGradeSentence,
  sharesOf,
  mergeEdits,
  staleFigures,
  unknownTokens,
} from '../../server/domain/announcement';
import { estimateShare, largestRemainderPercents, percent } from '../../server/domain/statistics';
import { statisticsLines } from '../../server/announcements/document';

const CATEGORIES = [
  {
    code: 'P01',
    title: '预算执行率低（资金闲置沉淀）',
    recommendation: '建议预算单位充分考虑以往项目的实际支出和未来的支出计划，科学合理的编报下年预算。',
  },
  { code: 'P09', title: '佐证材料缺失、未取证留档', recommendation: '建立佐证材料收集和归档制度。' },
  { code: 'P19', title: '本局自定义问题', recommendation: '' },
];

function item(
  code: string,
  kind: 'project' | 'department',
  selfScore: number,
  reviewScore: number | null,
  qualityScore: number | null,
  budgetFen: bigint,
  categories: string[] = [],
): AnnouncedItem {
  return {
    code,
    kind,
    name: `${code}项目`,
    unit: `${code}单位`,
    budgetFen,
    selfScore,
    reviewScore,
    qualityScore,
    random: true,
    findings: categories.map((c) => ({ category: c, description: '说明' })),
  };
}

function input(items: AnnouncedItem[], population = { project: 300, department: 40 }): AnnouncementInput {
  return {
    round: {
      title: '2023年度绩效自评结果抽查复核',
      fiscalYear: 2023,
      bureau: '太康县财政局',
      workPlanRef: '太财字〔2023〕30号',
    },
    population,
    draw: {
      procedure: 'FUHE-DRAW-1',
      seed: '太康县2023',
      fingerprint: 'ab'.repeat(32),
      method: 'srs',
      quota: { project: 20, department: 2 },
      mandatory: 0,
      publicUrl: 'https://fuhe.example/p/draws/x',
      cancelled: [],
    },
    items,
    categories: CATEGORIES,
    evaluatorsTookPart: true,
  };
}

/** 太康县: 20 projects (19 优, 1 良; quality 19 优, 1 中), 2 departments (优), 10215.46 万元. */
function taikang(): AnnouncementInput {
  const items: AnnouncedItem[] = [];
  for (let i = 1; i <= 20; i++)
    items.push(
      item(
        `X${i}`,
        'project',
        9600,
        i === 20 ? 8500 : 9300,
        i === 20 ? 7000 : 9500,
        i === 1 ? 10215_460000n - 20n * 100_000000n : 100_000000n,
        i <= 2 ? ['P01'] : [],
      ),
    );
  items.push(item('B1', 'department', 9500, 9400, 9300, 100_000000n, ['P01']));
  items.push(item('B2', 'department', 9500, 9500, 9300, 0n));
  return input(items);
}

describe('compiling the announcement', () => {
  test('太康县: scope, grades per kind and quality ratings come out as the seed reports them', () => {
    const f = compileFigures(taikang());
    expect(f.scope).toMatchObject({ project: 20, department: 2, budgetWan: '10215.46' });
    expect(f.grades.project).toEqual({ 优: 19, 良: 1, 中: 0, 差: 0 });
    expect(f.grades.department).toEqual({ 优: 2, 良: 0, 中: 0, 差: 0 });
    expect(f.quality.project).toEqual({ 优: 19, 良: 0, 中: 1, 差: 0 });
    expect(f.quality.department).toEqual({ 优: 2, 良: 0, 中: 0, 差: 0 });
    expect(f.problems).toEqual([
      { category: 'P01', title: '预算执行率低（资金闲置沉淀）', count: 2, of: 20, kind: 'project' },
      { category: 'P01', title: '预算执行率低（资金闲置沉淀）', count: 1, of: 2, kind: 'department' },
    ]);
    expect(f.deviation).toMatchObject({ higherThanReview: 21, gradeLowered: 1, maxPoints: 11 });
  });

  test('太康县: the text says what the seed says, in its words', () => {
    const data = taikang();
    const f = compileFigures(data);
    const values = figureValues(f, {
      bureau: '太康县财政局',
      deadline: '2024年6月30日',
      fiscalYear: 2023,
      workPlanRef: '太财字〔2023〕30号',
    });
    const text = generateSections(f, { evaluatorsTookPart: true, hasWorkPlanRef: true })
      .map((s) => `${s.heading ?? ''}${fillFigures(s.text, values)}`)
      .join('\n');
    expect(text).toContain('对20个项目和2个部门整体支出进行自评抽查复核');
    expect(text).toContain('此次共抽查复核20个项目支出和2个部门整体支出，涉及预算资金10215.46万元。');
    expect(text).toContain('项目支出自评复核评级为“优”的19个，为“良”的1个；2个部门整体支出自评复核评级均为“优”。');
    expect(text).toContain('项目支出自评工作质量为“优”的19个，为“中”的1个；2个部门整体支出自评工作质量均为“优”。');
    expect(text).toContain('20个项目中，有2个项目预算未执行完毕，2个部门中，有1个部门预算未执行完毕。');
    expect(text).toContain('（一）预算执行率低。');
    expect(text).toContain('（一）提高预算测算准确性。');
    expect(text).toContain('总体来说，绩效自评工作质量较好。');
    expect(text).toContain('《2023年度绩效自评结果抽查复核工作方案》（太财字〔2023〕30号）');
    expect(text).toContain('“财政部门+业务部门+第三方评价机构”');
    expect(
      unknownTokens(
        generateSections(f, { evaluatorsTookPart: true, hasWorkPlanRef: true })
          .map((s) => s.text)
          .join(''),
        values,
      ),
    ).toEqual([]);
  });

  test('青阳县: 35 projects and 15 departments, 27177.289 万元 written as 27177.29, shares of all 50 adding to 100 %', () => {
    const items: AnnouncedItem[] = [];
    const grades = [...Array(27).fill(9500), ...Array(7).fill(8500), ...Array(16).fill(7000)];
    for (let i = 0; i < 50; i++)
      items.push(
        item(
          `Q${i}`,
          i < 35 ? 'project' : 'department',
          9600,
          grades[i],
          9000,
          i === 0 ? 27177_289000n - 49n * 100_000000n : 100_000000n,
        ),
      );
    const f = compileFigures(input(items));
    expect(f.scope.budgetWan).toBe('27177.29');
    expect(f.grades.all).toEqual({ 优: 27, 良: 7, 中: 16, 差: 0 });
    expect(f.grades.allShare).toEqual({ 优: '54%', 良: '14%', 中: '32%', 差: '0%' });
    const values = figureValues(f, {
      bureau: '青阳县财政局',
      deadline: '2024年6月30日',
      fiscalYear: 2023,
      workPlanRef: null,
    });
    const text = generateSections(f, { evaluatorsTookPart: false, hasWorkPlanRef: false })
      .map((s) => fillFigures(s.text, values))
      .join('\n');
    expect(text).toContain('此次共抽查复核35个项目支出和15个部门整体支出，涉及预算资金27177.29万元。');
    expect(text).toContain('其中复核等级为“优”的27个，占抽查复核项目的54%；为“中”的16个，占32%；为“良”的7个，占14%。');
    expect(text).toContain('总体来说，绩效自评报告质量还有待进一步改进。');
    expect(text).not.toContain('（）');
    expect(text).toContain('“财政部门+业务部门”自评');
  });

  test('only confirmed reviews count, and the unconfirmed are listed', () => {
    const f = compileFigures(
      input([item('A', 'project', 9000, 9000, null, 1n), item('B', 'project', 9000, null, null, 1n)]),
    );
    expect(f.confirmed).toBe(1);
    expect(f.unconfirmed).toEqual(['B']);
    expect(f.grades.project.优).toBe(1);
    expect(f.quality.unrated.project).toBe(1);
  });

  test('a grade of 差 is counted and named', () => {
    const f = compileFigures(
      input([item('A', 'project', 9000, 5000, 5500, 1n), item('B', 'project', 9000, 9500, 9500, 1n)]),
    );
    expect(f.grades.project).toEqual({ 优: 1, 良: 0, 中: 0, 差: 1 });
    const text = generateSections(f, { evaluatorsTookPart: false, hasWorkPlanRef: false })
      .map((s) =>
        fillFigures(
          s.text,
          figureValues(f, { bureau: '某县财政局', deadline: 'x', fiscalYear: 2023, workPlanRef: null }),
        ),
      )
      .join('');
    expect(text).toContain('为“差”的1个');
    expect(text).toContain('其中复核等级为“优”的1个，占抽查复核项目的50%；为“差”的1个，占50%。');
  });

  test('problems are ordered by how many items show them, with one recommendation per category and a warning for a missing one', () => {
    const f = compileFigures(
      input([
        item('A', 'project', 9000, 8000, 9000, 1n, ['P09', 'P19', 'P09']),
        item('B', 'project', 9000, 8000, 9000, 1n, ['P09']),
        item('C', 'project', 9000, 8000, 9000, 1n, ['P01']),
        item('D', 'department', 9000, 8000, 9000, 1n, ['P01']),
      ]),
    );
    expect(f.problems.map((p) => `${p.category}/${p.kind}/${p.count}/${p.of}`)).toEqual([
      'P09/project/2/3',
      'P01/project/1/3',
      'P01/department/1/1',
      'P19/project/1/3',
    ]);
    expect(f.recommendations.map((r) => r.category)).toEqual(['P09', 'P01', 'P19']);
    expect(f.missingRecommendations).toEqual(['P19']);
  });

  test('edited prose keeps bound figures current and reports a typed number that went stale', () => {
    const before = figureValues(compileFigures(taikang()), {
      bureau: '太康县财政局',
      deadline: 'x',
      fiscalYear: 2023,
      workPlanRef: null,
    });
    const changed = taikang();
    changed.items[0].reviewScore = 8000;
    const after = figureValues(compileFigures(changed), {
      bureau: '太康县财政局',
      deadline: 'x',
      fiscalYear: 2023,
      workPlanRef: null,
    });
    const edited = '项目支出中评级为优的有19个，共{项目优数}个。';
    expect(fillFigures(edited, after)).toBe('项目支出中评级为优的有19个，共18个。');
    expect(staleFigures('results', edited, before, after)).toContainEqual({
      section: 'results',
      literal: '19',
      figure: '项目优数',
      now: '18',
    });
    expect(staleFigures('results', '共{项目优数}个', before, after)).toEqual([]);
    expect(unknownTokens('共{不存在的数}个', after)).toEqual(['不存在的数']);
    const sections = mergeEdits(
      [
        { key: 'a', part: 'results', heading: null, text: 'gen' },
        { key: 'b', part: 'results', heading: null, text: 'gen b' },
      ],
      { a: 'edited' },
    );
    expect(sections.map((s) => s.text)).toEqual(['edited', 'gen b']);
  });

  test('the inflated share is estimated from the random picks only, finite population corrected', () => {
    const items = [
      item('A', 'project', 9500, 8500, 9000, 1n),
      item('B', 'project', 9500, 9500, 9000, 1n),
      { ...item('C', 'project', 9500, 7000, 9000, 1n), random: false },
    ];
    const f = compileFigures(input(items, { project: 10, department: 0 }));
    expect(f.inflation.estimates).toHaveLength(1);
    expect(f.inflation.estimates[0]).toMatchObject({
      kind: 'project',
      x: 1,
      n: 2,
      N: 9,
      share: '50.00%',
      tooSmall: true,
    });
    // Two random items say too little for the public: left out of its text, kept (with why) for the lead.
    expect(statisticsLines(f, 'public').join('')).not.toContain('项目支出：');
    expect(statisticsLines(f, 'lead').join('')).toMatch(
      /项目支出：随机抽取的2个中有1个[\s\S]*少于10个[\s\S]*不列出此估计/,
    );
    // The round may set a smaller minimum: then two random items are enough to publish the interval.
    const lenient = compileFigures({ ...input(items, { project: 10, department: 0 }), minEstimateSample: 2 });
    expect(lenient.inflation.estimates[0].tooSmall).toBe(false);
    expect(statisticsLines(lenient, 'public').join('')).toContain('项目支出：随机抽取的2个中有1个');
    const census = compileFigures(input(items.slice(0, 2), { project: 2, department: 0 }));
    expect(statisticsLines(census, 'public')[0]).toBe(
      '项目支出：2个已全部抽查，其中1个自评等级虚高（50.00%），这是实际比例，没有抽样误差。',
    );
    const pps = compileFigures({ ...input(items), draw: { ...input(items).draw, method: 'pps' } });
    expect(pps.inflation.estimates).toEqual([]);
  });
});

describe('sentences that follow the numbers', () => {
  const counts = (c: Partial<Record<'优' | '良' | '中' | '差', number>>) => ({ 优: 0, 良: 0, 中: 0, 差: 0, ...c });
  it.each([
    [{ 优: 1 }, 1, '1个部门整体支出自评复核评级为“优”'],
    [{ 良: 2 }, 2, '2个部门整体支出自评复核评级均为“良”'],
    [{ 优: 1, 中: 3 }, 4, '部门整体支出自评复核评级为“中”的3个，为“优”的1个'],
    [{ 良: 2, 优: 2 }, 4, '部门整体支出自评复核评级为“优”的2个，为“良”的2个'],
    [{}, 0, ''],
  ])('%j of %i', (c, of, sentence) => {
    expect(gradeSentence(counts(c), of, 'department', '自评复核评级')).toBe(sentence);
  });
  it('the grades of the items reviewed, with their share of those items, most first', () => {
    const c = counts({ 优: 7, 良: 27, 中: 16 });
    expect(overallGradeSentence(c, sharesOf(c))).toBe(
      '其中复核等级为“良”的27个，占抽查复核项目的54%；为“中”的16个，占32%；为“优”的7个，占14%。',
    );
    expect(overallGradeSentence(counts({ 优: 1 }), sharesOf(counts({ 优: 1 })))).toBe(
      '其中抽查复核的1个项目复核等级为“优”。',
    );
    expect(overallGradeSentence(counts({}), sharesOf(counts({})))).toBe('');
  });
  it('equal counts read as equal shares', () => {
    expect(sharesOf(counts({ 优: 1, 良: 1, 中: 1 }))).toEqual({ 优: '33.3%', 良: '33.3%', 中: '33.3%', 差: '0.0%' });
    // Whole percents where they keep equal counts equal (and add up to 100 %).
    expect(sharesOf(counts({ 优: 27, 良: 7, 中: 16 }))).toEqual({ 优: '54%', 良: '14%', 中: '32%', 差: '0%' });
    expect(sharesOf(counts({ 优: 1, 良: 1 }))).toEqual({ 优: '50%', 良: '50%', 中: '0%', 差: '0%' });
  });
  it('one item is never 均为, and an edited text keeps following the data', () => {
    const f = compileFigures(input([item('A', 'department', 9000, 9500, 9500, 1n)]));
    const values = figureValues(f, { bureau: '某县财政局', deadline: 'x', fiscalYear: 2023, workPlanRef: null });
    const text = generateSections(f, { evaluatorsTookPart: false, hasWorkPlanRef: false })
      .map((s) => fillFigures(s.text, values))
      .join('');
    expect(text).toContain('1个部门整体支出自评复核评级为“优”');
    expect(text).not.toContain('均为');
    expect(text).not.toContain('项目支出自评复核评级');
  });
});

describe('a sample drawn more than once', () => {
  it('says so in the appendix, each cancelled draw with when, its seed, why and where it is published', () => {
    const base = input([item('A', 'project', 9500, 9500, 9000, 1n)]);
    const f = compileFigures({
      ...base,
      draw: {
        ...base.draw,
        cancelled: [
          {
            at: '2024-04-01 09:30',
            seed: '福彩3D 2024年第80期',
            reason: '种子公告有误。',
            publicUrl: 'https://fuhe.example/p/draws/a',
          },
          {
            at: '2024-04-02 10:00',
            seed: '福彩3D 2024年第81期',
            reason: '总体漏报一个单位',
            publicUrl: 'https://fuhe.example/p/draws/b',
          },
        ],
      },
    });
    const values = figureValues(f, { bureau: '某县财政局', deadline: 'x', fiscalYear: 2023, workPlanRef: null });
    const appendix = generateSections(f, { evaluatorsTookPart: false, hasWorkPlanRef: false }).find(
      (s) => s.key === 'appendix',
    )!;
    expect(fillFigures(appendix.text, values)).toContain(
      '本批次共抽样3次，前2次已作废并公开：第1次于2024-04-01 09:30抽取，随机种子“福彩3D 2024年第80期”，作废理由：种子公告有误，见https://fuhe.example/p/draws/a；第2次于2024-04-02 10:00抽取，随机种子“福彩3D 2024年第81期”，作废理由：总体漏报一个单位，见https://fuhe.example/p/draws/b。本公示的样本为第3次抽样的结果。',
    );
    const once = compileFigures(base);
    expect(
      generateSections(once, { evaluatorsTookPart: false, hasWorkPlanRef: false }).find((s) => s.key === 'appendix')!
        .text,
    ).not.toContain('作废');
  });
});

describe('statistics', () => {
  test('12 inflated in 200 sampled: Clopper–Pearson [3.14 %, 10.25 %], Wilson [3.47 %, 10.19 %], one-sided upper 9.54 %', () => {
    const e = estimateShare(12, 200);
    expect(e.clopperPearson.map((v) => percent(v))).toEqual(['3.14%', '10.25%']);
    expect(e.wilson.map((v) => percent(v))).toEqual(['3.47%', '10.19%']);
    expect(percent(e.upper)).toBe('9.54%');
  });

  test('the finite population correction narrows the interval and closes it when everything was sampled', () => {
    const infinite = estimateShare(12, 200);
    const finite = estimateShare(12, 200, 1000);
    expect(finite.clopperPearson[0]).toBeGreaterThan(infinite.clopperPearson[0]);
    expect(finite.clopperPearson[1]).toBeLessThan(infinite.clopperPearson[1]);
    expect(finite.wilson[1] - finite.wilson[0]).toBeLessThan(infinite.wilson[1] - infinite.wilson[0]);
    expect(estimateShare(3, 20, 20).clopperPearson).toEqual([0.15, 0.15]);
    expect(estimateShare(0, 20, 100).clopperPearson[0]).toBe(0);
    expect(() => estimateShare(3, 20, 10)).toThrow(RangeError);
  });

  test('largest-remainder percents always add up to 100', () => {
    expect(largestRemainderPercents([27, 7, 16, 0])).toEqual([54, 14, 32, 0]);
    expect(largestRemainderPercents([1, 1, 1])).toEqual([34, 33, 33]);
    expect(largestRemainderPercents([0, 0])).toEqual([0, 0]);
    for (let a = 0; a < 12; a++)
      for (let b = 0; b < 12; b++)
        for (let c = 1; c < 12; c++) expect(largestRemainderPercents([a, b, c]).reduce((x, y) => x + y)).toBe(100);
  });
});
