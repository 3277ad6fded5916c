/**
 * Compiling the announcement (抽查复核情况公示): the figures from the confirmed reviews and their
 * findings, and the text in the bureaus' own style (the seed's 太康县 and 青阳县 reports). The
 * text is a list of sections whose prose holds bound figures as `{名称}` tokens, so that an edited
 * section still follows the data until publication; a number typed as a literal where a figure
 * used to be is reported when that figure changes.
 */

import { formatCalendarDateZh, workingDays } from './dates';
import { fenToWan } from './money';
import { Grade, GRADES, gradeFor } from './grades';
import { Kind, KINDS } from './population';
import { estimateShare, largestRemainderPercents, percent, ShareEstimate } from './statistics';

export const ANNOUNCEMENT_STATUSES = {
  draft: '草稿',
  submitted: '待审批',
  published: '已公示',
  superseded: '已被替代',
} as const;
export type AnnouncementStatus = keyof typeof ANNOUNCEMENT_STATUSES;

/** Limits on what the lead may write. */
export const LIMITS = { title: 200, section: 5000, recommendation: 1000, correctionNote: 2000 } as const;

/** How the seed names one of a kind in its sentences: "20个项目中，有2个项目…；2个部门中…". */
const KIND_NOUNS: Record<Kind, string> = { project: '项目', department: '部门' };
const KIND_PHRASES: Record<Kind, string> = { project: '项目支出', department: '部门整体支出' };

/**
 * For the default categories: what "has the problem" reads like in a sentence, a short heading
 * for the recommendation, and the usual explanation the bureaus give.
 */
const CATEGORY_WORDING: Record<string, { phrase: string; heading: string; cause: string }> = {
  P01: {
    phrase: '预算未执行完毕',
    heading: '提高预算测算准确性',
    cause:
      '其主要原因是年初预算不够精准、科学，申请资金超出实际需求，致使资金无法完全支出，造成资金闲置沉淀，资金效益低下。',
  },
  P02: {
    phrase: '绩效目标编制不规范、不细化',
    heading: '规范绩效目标编制',
    cause:
      '部分单位设置绩效目标较为简单、笼统，未根据项目实际对数量、质量、进度、效益等指标具体细化，使得事后绩效评价缺少科学合理的衡量标准。',
  },
  P03: {
    phrase: '指标值设置过低',
    heading: '科学设定指标值',
    cause: '部分指标值低于以往实际水平或计划目标，指标缺乏约束力，难以反映项目真实绩效。',
  },
  P04: {
    phrase: '指标设置与项目无关或不具可考核性',
    heading: '围绕项目设置可考核的指标',
    cause: '部分指标与项目核心产出和效益关联不强，或表述模糊、无法量化考核。',
  },
  P05: {
    phrase: '三级指标与二级指标不匹配',
    heading: '规范指标分类填报',
    cause: '部分单位将资金支付等内容填入数量指标，指标层级和分类不清。',
  },
  P06: {
    phrase: '产出指标与效益指标重复设置',
    heading: '区分产出指标与效益指标',
    cause: '部分单位在产出指标和效益指标中重复设置同一内容，导致重复计分。',
  },
  P07: {
    phrase: '自评数据与实际不符',
    heading: '据实填报自评数据',
    cause: '部分自评数据与财务核算、业务台账不一致，自评结果不能真实反映项目情况。',
  },
  P08: {
    phrase: '自评打分偏高、随意',
    heading: '严格按评分标准打分',
    cause: '部分单位只是笼统地打分，存在打分不合理、随意的情况，甚至全部指标计满分。',
  },
  P09: {
    phrase: '佐证材料缺失',
    heading: '建立佐证材料归档制度',
    cause:
      '部分单位对评价打分依据未进行取证留档，自评指标打分欠缺相关证据，致使无法准确、全面、客观地反映绩效评价情况。',
  },
  P10: {
    phrase: '满意度无调查记录',
    heading: '规范开展满意度调查',
    cause: '部分项目对服务对象满意度进行调查缺乏登记记录，以“未投诉”代替满意度。',
  },
  P11: {
    phrase: '项目未完成或未验收即按完成计分',
    heading: '如实反映项目完成情况',
    cause: '部分项目尚未完成或未通过验收，自评时即按完成计分。',
  },
  P12: {
    phrase: '成本指标超支或设置逻辑错误',
    heading: '合理测算成本指标',
    cause: '部分成本指标超出预算标准，或指标方向设置错误。',
  },
  P13: {
    phrase: '晚拨付、资金退回或核减未在自评中反映',
    heading: '如实反映资金拨付和使用情况',
    cause: '部分项目资金拨付较晚、资金退回或被核减，自评时未予反映和扣分。',
  },
  P14: {
    phrase: '未按时报送自评材料',
    heading: '按时报送自评材料',
    cause: '部分单位未按规定时限报送绩效自评材料，影响了复核工作的开展。',
  },
  P15: {
    phrase: '自评由财务人员代填、业务科室未参与',
    heading: '强化主体责任意识，提升绩效理念和意识',
    cause:
      '部分单位业务科室对绩效管理工作不重视，自评工作主要由财务人员完成，但财务人员对项目实际完成情况不够了解，评价打分容易出现偏差。',
  },
  P16: {
    phrase: '自评报告模板化、问题分析流于形式',
    heading: '提高绩效管理意识，完善自评工作质量',
    cause:
      '预算单位提交的自评报告过于模板化，内容主要针对项目立项背景和实施内容进行描述，对扣分点未进行归纳分析，提出的问题不够深入，也没有提出改进措施。',
  },
  P17: {
    phrase: '照搬其他单位模板',
    heading: '独立编制绩效目标和自评报告',
    cause: '部分单位的绩效目标和自评报告照搬其他单位内容，与本单位项目实际不符。',
  },
  P18: {
    phrase: '未完成指标未说明原因和改进措施',
    heading: '说明未完成指标的原因和改进措施',
    cause: '部分单位对未完成的指标未说明原因，也未提出改进措施。',
  },
};

export interface CategoryInfo {
  code: string;
  title: string;
  recommendation: string;
}

/** One sampled record with its confirmed review (or none) and the categories of its findings. */
export interface AnnouncedItem {
  code: string;
  kind: Kind;
  name: string;
  unit: string;
  budgetFen: bigint;
  selfScore: number;
  /** null while the review is not confirmed. */
  reviewScore: number | null;
  qualityScore: number | null;
  random: boolean;
  findings: Array<{ category: string; description: string }>;
}

export interface AnnouncementInput {
  round: { title: string; fiscalYear: number; bureau: string | null; workPlanRef: string | null };
  /** Fewer random items of a kind than this (default MIN_ESTIMATE_SAMPLE): no public estimate. */
  minEstimateSample?: number;
  population: Record<Kind, number>;
  draw: {
    procedure: string;
    seed: string;
    fingerprint: string;
    method: 'srs' | 'pps';
    quota: Record<Kind, number>;
    mandatory: number;
    publicUrl: string;
    /** The round's cancelled draws, oldest first. */
    cancelled: Array<{ at: string; seed: string; reason: string; publicUrl: string }>;
  };
  items: AnnouncedItem[];
  categories: CategoryInfo[];
  /** Third-party agencies took part (the mechanism sentence names them). */
  evaluatorsTookPart: boolean;
}

type GradeCounts = Record<Grade, number>;
type GradeShares = Record<Grade, string>;

export interface Problem {
  category: string;
  title: string;
  count: number;
  of: number;
  kind: Kind;
}

export interface Recommendation {
  category: string;
  title: string;
  heading: string;
  text: string;
}

export interface InflationEstimate {
  kind: Kind;
  x: number;
  n: number;
  N: number;
  share: string;
  wilson: [string, string];
  clopperPearson: [string, string];
  upper: string;
  /** Fewer random items than the round's minimum: too few for the public to be told an interval. */
  tooSmall: boolean;
}

/** Below this many randomly drawn items of a kind, its estimate stays out of the public text. */
export const MIN_ESTIMATE_SAMPLE = 10;

export interface AnnouncementFigures {
  /** 公示期 and the 异议 contact, from the round; frozen with the figures at publication. */
  publicity?: Publicity;
  /** The round's reviewers checked on site too (from the round; frozen at publication). */
  onsiteChecks?: boolean;
  scope: {
    project: number;
    department: number;
    population: Record<Kind, number>;
    budgetFen: string;
    budgetWan: string;
  };
  /** Sampled items whose review is confirmed, and those still waiting. */
  confirmed: number;
  unconfirmed: string[];
  grades: Record<Kind | 'all', GradeCounts> & { share: Record<Kind, GradeShares>; allShare: GradeShares };
  quality: Record<Kind, GradeCounts> & { unrated: Record<Kind, number>; share: Record<Kind, GradeShares> };
  deviation: {
    higherThanReview: number;
    lowerThanReview: number;
    gradeLowered: number;
    gradeRaised: number;
    meanPoints: number;
    maxPoints: number;
    meanRelative: string;
    /** Items per band of (self − review) points, for the distribution chart. */
    distribution: Array<{ label: string; count: number }>;
    largest: Array<{
      code: string;
      kind: Kind;
      name: string;
      unit: string;
      selfScore: number;
      reviewScore: number;
      gap: number;
    }>;
  };
  scatter: Array<{ code: string; kind: Kind; self: number; review: number }>;
  problems: Problem[];
  recommendations: Recommendation[];
  /** Categories raised without a recommendation text. */
  missingRecommendations: string[];
  inflation: { estimates: InflationEstimate[]; note: string; minSample?: number };
  draw: AnnouncementInput['draw'];
}

const zeroCounts = (): GradeCounts => ({ 优: 0, 良: 0, 中: 0, 差: 0 });
/**
 * Each grade's share of a group: whole percents by largest remainder, which add up to 100 %;
 * but equal counts must read as equal shares, so where the remainders would split them (three
 * grades of one item each: 33 %, 33 %, 34 %) every share is rounded on its own to one decimal
 * (33.3 % each).
 */
export const sharesOf = (counts: GradeCounts): GradeShares => {
  const pct = largestRemainderPercents(GRADES.map((g) => counts[g]));
  const split = GRADES.some((a, i) =>
    GRADES.some((b, j) => counts[a] > 0 && counts[a] === counts[b] && pct[i] !== pct[j]),
  );
  if (!split) return Object.fromEntries(GRADES.map((g, i) => [g, `${pct[i]}%`])) as GradeShares;
  const total = GRADES.reduce((t, g) => t + counts[g], 0);
  return Object.fromEntries(
    GRADES.map((g) => [g, `${(Math.round((counts[g] * 1000) / total) / 10).toFixed(1)}%`]),
  ) as GradeShares;
};
const round2 = (value: number) => Math.round(value * 100) / 100;

/** Points bands of (自评 − 复核) for the distribution chart. */
const DEVIATION_BANDS: Array<{ label: string; test: (gap: number) => boolean }> = [
  { label: '复核高于自评', test: (g) => g < 0 },
  { label: '0分', test: (g) => g === 0 },
  { label: '0–5分', test: (g) => g > 0 && g <= 500 },
  { label: '5–10分', test: (g) => g > 500 && g <= 1000 },
  { label: '10–20分', test: (g) => g > 1000 && g <= 2000 },
  { label: '20分以上', test: (g) => g > 2000 },
];

/** The figures of the announcement from the sampled items; only confirmed reviews count. */
export function compileFigures(input: AnnouncementInput): AnnouncementFigures {
  const confirmed = input.items.filter((i) => i.reviewScore !== null);
  const unconfirmed = input.items.filter((i) => i.reviewScore === null).map((i) => i.code);
  const count = (kind: Kind) => input.items.filter((i) => i.kind === kind).length;
  const budgetFen = input.items.reduce((sum, i) => sum + i.budgetFen, 0n);

  const grades = { project: zeroCounts(), department: zeroCounts(), all: zeroCounts() };
  const quality = { project: zeroCounts(), department: zeroCounts() };
  const unrated: Record<Kind, number> = { project: 0, department: 0 };
  for (const item of confirmed) {
    const grade = gradeFor(item.reviewScore!);
    grades[item.kind][grade] += 1;
    grades.all[grade] += 1;
    if (item.qualityScore === null) unrated[item.kind] += 1;
    else quality[item.kind][gradeFor(item.qualityScore)] += 1;
  }

  const gaps = confirmed.map((i) => ({ item: i, gap: i.selfScore - i.reviewScore! }));
  const higher = gaps.filter((g) => g.gap > 0);
  const rank = (grade: Grade) => GRADES.indexOf(grade);
  const lowered = confirmed.filter((i) => rank(gradeFor(i.reviewScore!)) > rank(gradeFor(i.selfScore)));
  const raised = confirmed.filter((i) => rank(gradeFor(i.reviewScore!)) < rank(gradeFor(i.selfScore)));
  const relative = confirmed.filter((i) => i.selfScore > 0).map((i) => (i.selfScore - i.reviewScore!) / i.selfScore);

  // One problem entry per category and kind: the sampled items of that kind with at least one finding in it.
  const problems: Problem[] = [];
  const titles = new Map(input.categories.map((c) => [c.code, c]));
  for (const kind of KINDS) {
    const byCategory = new Map<string, number>();
    for (const item of confirmed.filter((i) => i.kind === kind)) {
      for (const category of new Set(item.findings.map((f) => f.category)))
        byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    }
    for (const [category, n] of byCategory)
      problems.push({ category, title: titles.get(category)?.title ?? category, count: n, of: count(kind), kind });
  }
  problems.sort(
    (a, b) =>
      b.count - a.count || a.category.localeCompare(b.category) || KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind),
  );

  const raisedCategories = [...new Set(problems.map((p) => p.category))];
  const recommendations = raisedCategories.map((code) => {
    const c = titles.get(code);
    return {
      category: code,
      title: c?.title ?? code,
      heading: CATEGORY_WORDING[code]?.heading ?? `关于“${shortTitle(c?.title ?? code)}”`,
      text: (c?.recommendation ?? '').trim(),
    };
  });

  return {
    scope: {
      project: count('project'),
      department: count('department'),
      population: input.population,
      budgetFen: budgetFen.toString(),
      budgetWan: fenToWan(budgetFen),
    },
    confirmed: confirmed.length,
    unconfirmed,
    grades: {
      ...grades,
      share: { project: sharesOf(grades.project), department: sharesOf(grades.department) },
      allShare: sharesOf(grades.all),
    },
    quality: {
      ...quality,
      unrated,
      share: { project: sharesOf(quality.project), department: sharesOf(quality.department) },
    },
    deviation: {
      higherThanReview: higher.length,
      lowerThanReview: gaps.filter((g) => g.gap < 0).length,
      gradeLowered: lowered.length,
      gradeRaised: raised.length,
      meanPoints: gaps.length ? round2(gaps.reduce((s, g) => s + g.gap, 0) / gaps.length / 100) : 0,
      maxPoints: gaps.length ? Math.max(...gaps.map((g) => g.gap)) / 100 : 0,
      meanRelative: relative.length ? percent(relative.reduce((a, b) => a + b, 0) / relative.length, 1) : '0.0%',
      distribution: DEVIATION_BANDS.map((b) => ({ label: b.label, count: gaps.filter((g) => b.test(g.gap)).length })),
      largest: [...higher]
        .sort((a, b) => b.gap - a.gap || a.item.code.localeCompare(b.item.code))
        .slice(0, 5)
        .map(({ item, gap }) => ({
          code: item.code,
          kind: item.kind,
          name: item.name,
          unit: item.unit,
          selfScore: item.selfScore / 100,
          reviewScore: item.reviewScore! / 100,
          gap: gap / 100,
        })),
    },
    scatter: confirmed.map((i) => ({
      code: i.code,
      kind: i.kind,
      self: i.selfScore / 100,
      review: i.reviewScore! / 100,
    })),
    problems,
    recommendations,
    missingRecommendations: recommendations.filter((r) => r.text === '').map((r) => r.category),
    inflation: inflationEstimates(input, confirmed),
    draw: input.draw,
  };
}

/**
 * The share of inflated self-evaluations (a review grade below the grade the self-score earns)
 * among all of a kind, from the items drawn at random. Items taken for certainty are not a
 * random sample and are left out, with them the part of the population they stand for.
 */
function inflationEstimates(input: AnnouncementInput, confirmed: AnnouncedItem[]): AnnouncementFigures['inflation'] {
  if (input.draw.method !== 'srs')
    return { estimates: [], note: '本次按金额概率比例抽样（PPS），各项目入样概率不同，不作总体比例估计。' };
  const estimates: InflationEstimate[] = [];
  for (const kind of KINDS) {
    const random = confirmed.filter((i) => i.kind === kind && i.random);
    if (random.length === 0) continue;
    const certain = input.items.filter((i) => i.kind === kind && !i.random).length;
    const N = Math.max(random.length, input.population[kind] - certain);
    const x = random.filter(
      (i) =>
        gradeFor(i.reviewScore!) !== gradeFor(i.selfScore) &&
        GRADES.indexOf(gradeFor(i.reviewScore!)) > GRADES.indexOf(gradeFor(i.selfScore)),
    ).length;
    const e: ShareEstimate = estimateShare(x, random.length, N);
    estimates.push({
      kind,
      x,
      n: random.length,
      N,
      share: percent(e.share),
      wilson: [percent(e.wilson[0]), percent(e.wilson[1])],
      clopperPearson: [percent(e.clopperPearson[0]), percent(e.clopperPearson[1])],
      upper: percent(e.upper),
      // A kind reviewed in full has no sampling error, however few it holds.
      tooSmall: random.length < (input.minEstimateSample ?? MIN_ESTIMATE_SAMPLE) && random.length < N,
    });
  }
  return {
    estimates,
    note: '“虚高”指复核等级低于自评得分对应的等级；估计只用随机抽取的样本，并作有限总体校正，必抽项目不计入。',
    minSample: input.minEstimateSample ?? MIN_ESTIMATE_SAMPLE,
  };
}

/**
 * The explanation a problem's section offers by default ("其主要原因是年初预算不够精准……"): a cause
 * the data does not show, so the lead is told it is not yet reviewed until they edit the section.
 */
export function defaultCause(category: string): string | undefined {
  return Object.hasOwn(CATEGORY_WORDING, category) ? CATEGORY_WORDING[category].cause : undefined;
}

/** "预算执行率低（资金闲置沉淀）" → "预算执行率低". */
export function shortTitle(title: string): string {
  return (
    title
      .replace(/（[^）]*）$/, '')
      .replace(/\([^)]*\)$/, '')
      .trim() || title
  );
}

// ---------------------------------------------------------------------------------------------
// The text

export interface Section {
  /** Stable key: preamble, scope, content, results, problems, problem:P01, recommendations, recommendation:P01, rectification, appendix. */
  key: string;
  /** 一、基本情况 and the like: the part of the document it belongs to. */
  part: 'preamble' | 'basics' | 'results' | 'problems' | 'recommendations' | 'closing' | 'appendix';
  heading: string | null;
  /** Prose with `{名称}` tokens, paragraphs separated by blank lines. */
  text: string;
}

export const PARTS: Record<Section['part'], string | null> = {
  preamble: null,
  basics: '一、基本情况',
  results: '二、复核结果',
  problems: '三、存在的问题',
  recommendations: '四、建议',
  closing: null,
  appendix: '附：样本抽取说明',
};

const CN_NUMBERS = [
  '一',
  '二',
  '三',
  '四',
  '五',
  '六',
  '七',
  '八',
  '九',
  '十',
  '十一',
  '十二',
  '十三',
  '十四',
  '十五',
  '十六',
  '十七',
  '十八',
  '十九',
  '二十',
];
export const ordinal = (i: number) => `（${CN_NUMBERS[i] ?? String(i + 1)}）`;

/** The bound figures, by the names the lead sees in `{…}`. */
/** What an announcement tells the public about objecting: 公示期 and the 异议 contact. */
export interface Publicity {
  /** Working days (default 5). */
  days: number;
  contact: string | null;
  /** The publication's date (YYYY-MM-DD, Beijing) once published; null for a draft. */
  publishedOn: string | null;
}

/** "公示期为2024年4月1日至2024年4月5日（5个工作日）。" — from the publication date once there is one. */
export function publicitySentence(p: Publicity): string {
  if (!p.publishedOn) return `公示期为公示发布之日起${p.days}个工作日。`;
  const { first, last } = workingDays(p.publishedOn, p.days);
  return `公示期为${formatCalendarDateZh(first)}至${formatCalendarDateZh(last)}（${p.days}个工作日）。`;
}

export function figureValues(
  f: AnnouncementFigures,
  extra: { bureau: string; deadline: string; fiscalYear: number; workPlanRef: string | null },
): Record<string, string> {
  const publicity = f.publicity ?? { days: 5, contact: null, publishedOn: null };
  const v: Record<string, string> = {
    年度: String(extra.fiscalYear),
    财政局: extra.bureau,
    工作方案文号: extra.workPlanRef ?? '',
    整改期限: extra.deadline,
    抽查项目数: String(f.scope.project),
    抽查部门数: String(f.scope.department),
    抽查总数: String(f.scope.project + f.scope.department),
    项目总数: String(f.scope.population.project),
    部门总数: String(f.scope.population.department),
    预算资金万元: f.scope.budgetWan,
    自评高于复核数: String(f.deviation.higherThanReview),
    等级下调数: String(f.deviation.gradeLowered),
    平均偏差分: String(f.deviation.meanPoints),
    最大偏差分: String(f.deviation.maxPoints),
    抽样程序: f.draw.procedure,
    随机种子: f.draw.seed,
    总体指纹: f.draw.fingerprint,
    必抽数: String(f.draw.mandatory),
    核验网址: f.draw.publicUrl,
    作废抽样说明: cancelledDrawsSentence(f.draw.cancelled),
    复核依据: f.onsiteChecks ? '上报资料和实地核查' : '上报资料',
    公示天数: String(publicity.days),
    公示期说明: publicitySentence(publicity),
    异议联系: publicity.contact ?? '',
    异议说明: publicity.contact ? `如对公示内容有异议，请在公示期内向${publicity.contact}反映。` : '',
  };
  for (const g of GRADES) {
    v[`${g}数`] = String(f.grades.all[g]);
    v[`${g}占比`] = f.grades.allShare[g];
    for (const kind of KINDS) {
      const noun = KIND_NOUNS[kind];
      v[`${noun}${g}数`] = String(f.grades[kind][g]);
      v[`${noun}${g}占比`] = f.grades.share[kind][g];
      v[`${noun}质量${g}数`] = String(f.quality[kind][g]);
    }
  }
  for (const p of f.problems) v[`${p.category}${KIND_NOUNS[p.kind]}数`] = String(p.count);
  // Whole sentences whose wording follows the numbers (为 / 均为 / a list), so that an edited text
  // that keeps them never says 均为 of one item or names a grade the data no longer has.
  for (const kind of KINDS) {
    const noun = KIND_NOUNS[kind];
    v[`${noun}复核评级句`] = gradeSentence(f.grades[kind], f.scope[kind], kind, '自评复核评级');
    v[`${noun}质量评级句`] = gradeSentence(f.quality[kind], f.scope[kind], kind, '自评工作质量');
  }
  v['复核等级分布句'] = overallGradeSentence(f.grades.all, f.grades.allShare);
  return v;
}

/**
 * The draws made before this one and cancelled, each with when, its seed, why and where it is
 * published: "本批次共抽样3次，前2次已作废并公开：……". Empty when the sample was drawn once.
 */
export function cancelledDrawsSentence(cancelled: AnnouncementInput['draw']['cancelled']): string {
  if (cancelled.length === 0) return '';
  const each = cancelled.map(
    (d, i) =>
      `第${i + 1}次于${d.at}抽取，随机种子“${d.seed}”，作废理由：${d.reason.replace(/[。；;.\s]+$/, '')}，见${d.publicUrl}`,
  );
  return `本批次共抽样${cancelled.length + 1}次，前${cancelled.length}次已作废并公开：${each.join('；')}。本公示的样本为第${cancelled.length + 1}次抽样的结果。`;
}

/** A figure `{名称}`, or a doubled brace `{{` / `}}`, which stands for a brace itself. */
const TOKEN = /\{\{|\}\}|\{([^{}\s]{1,30})\}/g;

/**
 * Text from the data (a category's title, its recommendation) as it goes into a section: braces
 * doubled, so that a name such as "{良数}" or "{{7*7}}" is shown as written and never read as a
 * figure.
 */
export const literalText = (text: string): string => text.replace(/[{}]/g, (brace) => brace + brace);

/** The text with its tokens replaced by the current figures. */
export function fillFigures(text: string, values: Record<string, string>): string {
  return text.replace(TOKEN, (whole, name: string | undefined) =>
    name === undefined ? whole[0] : Object.hasOwn(values, name) ? values[name] : whole,
  );
}

/** Tokens in a text that name no figure. */
export function unknownTokens(text: string, values: Record<string, string>): string[] {
  return [
    ...new Set(
      [...text.matchAll(TOKEN)]
        .map((m) => m[1])
        .filter((name): name is string => name !== undefined && !Object.hasOwn(values, name)),
    ),
  ];
}

/** The grades present, the most frequent first (ties in the order 优, 良, 中, 差). */
const byCount = (counts: GradeCounts): Grade[] =>
  GRADES.filter((g) => counts[g] > 0).sort((a, b) => counts[b] - counts[a] || GRADES.indexOf(a) - GRADES.indexOf(b));

/**
 * One kind's grades as the seed words them, from the data: "1个部门整体支出自评复核评级为“优”" for one
 * item, "2个部门整体支出自评复核评级均为“优”" when several all share a grade, and "项目支出自评复核评级为“优”的
 * 19个，为“良”的1个" for a mix, most first; nothing when the kind has no grade.
 */
export function gradeSentence(counts: GradeCounts, of: number, kind: Kind, what: string): string {
  const present = byCount(counts);
  if (present.length === 0) return '';
  const phrase = KIND_PHRASES[kind];
  if (present.length === 1 && counts[present[0]] === of)
    return `${of}个${phrase}${what}${of === 1 ? '为' : '均为'}“${present[0]}”`;
  return `${phrase}${what}` + present.map((g) => `为“${g}”的${counts[g]}个`).join('，');
}

/**
 * All reviewed items by grade, with each grade's share of the items reviewed (not of all the
 * self-evaluations): "其中复核等级为“优”的27个，占抽查复核项目的54%；为“中”的16个，占32%……".
 */
export function overallGradeSentence(counts: GradeCounts, shares: GradeShares): string {
  const present = byCount(counts);
  if (present.length === 0) return '';
  const total = present.reduce((t, g) => t + counts[g], 0);
  if (present.length === 1)
    return `其中抽查复核的${total}个项目复核等级${total === 1 ? '为' : '均为'}“${present[0]}”。`;
  return `其中${present
    .map((g, i) =>
      i === 0
        ? `复核等级为“${g}”的${counts[g]}个，占抽查复核项目的${shares[g]}`
        : `为“${g}”的${counts[g]}个，占${shares[g]}`,
    )
    .join('；')}。`;
}

/** The four parts and the appendix, in the bureaus' style, with bound figures. */
export function generateSections(
  f: AnnouncementFigures,
  input: { evaluatorsTookPart: boolean; hasWorkPlanRef: boolean },
): Section[] {
  const sections: Section[] = [];
  const has = { project: f.scope.project > 0, department: f.scope.department > 0 };
  const sampled = [has.project && '{抽查项目数}个项目支出', has.department && '{抽查部门数}个部门整体支出']
    .filter(Boolean)
    .join('和');
  const mechanism = input.evaluatorsTookPart ? '“财政部门+业务部门+第三方评价机构”' : '“财政部门+业务部门”';

  sections.push({
    key: 'preamble',
    part: 'preamble',
    heading: null,
    text: `为全面实施预算绩效管理，提高财政资金使用效益，{财政局}研究制定了《{年度}年度绩效自评结果抽查复核工作方案》${input.hasWorkPlanRef ? '（{工作方案文号}）' : ''}，完善了${mechanism}自评抽查复核联动工作机制，对${[has.project && '{抽查项目数}个项目', has.department && '{抽查部门数}个部门整体支出'].filter(Boolean).join('和')}进行自评抽查复核，目前已全部完成，现将抽查复核结果公示如下：`,
  });
  const populationText = [has.project && '项目支出{项目总数}个', has.department && '部门整体支出{部门总数}个']
    .filter(Boolean)
    .join('、');
  sections.push({
    key: 'scope',
    part: 'basics',
    heading: `${ordinal(0)}复核范围`,
    text: `{年度}年度绩效自评中抽取的${sampled}（自评总数：${populationText}）。`,
  });
  sections.push({
    key: 'content',
    part: 'basics',
    heading: `${ordinal(1)}复核内容`,
    text: '为绩效目标编制、预算执行、绩效指标设置、运行成本控制、目标完成、可持续发展能力以及满意度情况等方面，同时考量单位自评工作的及时性、规范性和自评报告工作质量。',
  });

  const results: string[] = [
    `此次共抽查复核${sampled}，涉及预算资金{预算资金万元}万元。抽查复核依据{复核依据}进行综合评价。`,
  ];
  // A kind with nothing to say is left out of the sentence.
  const perKind = KINDS.filter((k) => has[k] && gradeSentence(f.grades[k], f.scope[k], k, '自评复核评级')).map(
    (k) => `{${KIND_NOUNS[k]}复核评级句}`,
  );
  if (perKind.length) results[0] += `经评价，${perKind.join('；')}。`;
  if (overallGradeSentence(f.grades.all, f.grades.allShare)) results.push('{复核等级分布句}');
  const qualityParts = KINDS.filter((k) => has[k] && gradeSentence(f.quality[k], f.scope[k], k, '自评工作质量')).map(
    (k) => `{${KIND_NOUNS[k]}质量评级句}`,
  );
  if (qualityParts.length) results.push(`${qualityParts.join('；')}。`);
  if (f.deviation.higherThanReview > 0) {
    results.push(
      `从得分看，有{自评高于复核数}个抽查对象的自评得分高于复核得分，平均偏差{平均偏差分}分，最大相差{最大偏差分}分；${f.deviation.gradeLowered > 0 ? '{等级下调数}个的复核等级低于自评得分对应的等级。' : '复核等级均未低于自评得分对应的等级。'}`,
    );
  } else results.push('从得分看，抽查对象的自评得分均未高于复核得分。');
  const excellent = f.confirmed ? f.grades.all['优'] / f.confirmed : 0;
  results.push(excellent >= 0.8 ? '总体来说，绩效自评工作质量较好。' : '总体来说，绩效自评报告质量还有待进一步改进。');
  sections.push({ key: 'results', part: 'results', heading: null, text: results.join('\n\n') });

  sections.push({
    key: 'problems',
    part: 'problems',
    heading: null,
    text: f.problems.length
      ? '从抽查复核结果可以看出，抽查复核的部门和单位已按照要求对本部门和项目基本上做到了应评尽评，但是上报的自评报告反映成绩较多，项目存在问题分析较少。主要问题如下：'
      : '从抽查复核结果可以看出，抽查复核的部门和单位已按照要求对本部门和项目基本上做到了应评尽评，本次抽查未发现需要通报的共性问题。',
  });
  const categories = [...new Set(f.problems.map((p) => p.category))];
  categories.forEach((code, i) => {
    const entries = f.problems
      .filter((p) => p.category === code)
      .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
    const wording = CATEGORY_WORDING[code];
    const phrase = wording?.phrase ?? `存在“${literalText(shortTitle(entries[0].title))}”问题`;
    const counted = entries
      .map(
        (p) =>
          `{抽查${KIND_NOUNS[p.kind]}数}个${KIND_NOUNS[p.kind]}中，有{${p.category}${KIND_NOUNS[p.kind]}数}个${KIND_NOUNS[p.kind]}${phrase}`,
      )
      .join('，');
    sections.push({
      key: `problem:${code}`,
      part: 'problems',
      heading: `${ordinal(i)}${shortTitle(entries[0].title)}。`,
      text: `${counted}。${wording?.cause ?? ''}`,
    });
  });

  sections.push({
    key: 'recommendations',
    part: 'recommendations',
    heading: null,
    text: f.recommendations.length
      ? '针对以上问题，提出如下建议：'
      : '请各部门（单位）继续做好绩效自评工作，不断提高自评质量。',
  });
  f.recommendations.forEach((r, i) =>
    sections.push({
      key: `recommendation:${r.category}`,
      part: 'recommendations',
      heading: `${ordinal(i)}${r.heading}。`,
      text: literalText(r.text),
    }),
  );
  sections.push({
    key: 'rectification',
    part: 'recommendations',
    heading: `${ordinal(f.recommendations.length)}整改要求。`,
    text: '请被抽查的部门（单位）针对复核发现的问题认真整改，于{整改期限}前将整改情况书面报送{财政局}。抽查复核结果将作为下一年度预算安排的重要参考依据。',
  });

  sections.push({
    key: 'publicity',
    part: 'closing',
    heading: null,
    text: '{公示期说明}{异议说明}',
  });

  const methodText = f.draw.method === 'srs' ? '分层简单随机抽样' : '分层按金额概率比例抽样（PPS）';
  sections.push({
    key: 'appendix',
    part: 'appendix',
    heading: null,
    text: `本次样本按公开的抽样程序{抽样程序}抽取：${methodText}，随机种子为“{随机种子}”，自评总体指纹（SHA-256）为{总体指纹}；${[has.project && '项目支出抽取{抽查项目数}个（总体{项目总数}个）', has.department && '部门整体支出抽取{抽查部门数}个（总体{部门总数}个）'].filter(Boolean).join('，')}，其中按规则必抽{必抽数}个。任何人可在{核验网址}下载总体清单和核验程序，重新抽取并核对结果。${f.draw.cancelled.length ? '{作废抽样说明}' : ''}`,
  });
  return sections;
}

// ---------------------------------------------------------------------------------------------
// Edited prose against changed figures

export interface StaleFigure {
  section: string;
  literal: string;
  figure: string;
  now: string;
}

/**
 * Numbers the lead typed into a section (not as `{tokens}`) that were the value of a figure when
 * they saved it, where that figure has since changed: "文中的“19”原为{项目优数}，现为18".
 */
export function staleFigures(
  sectionKey: string,
  text: string,
  savedWith: Record<string, string>,
  current: Record<string, string>,
): StaleFigure[] {
  // Numbers written as figures are: "19个", "54%", "10215.46万元", "3.5分" (not "alert(1)" or a year).
  const literals = new Set(
    [...text.replace(TOKEN, ' ').matchAll(/(\d+(?:\.\d+)?)(%|个|万元|分|项|家)/g)].map((m) =>
      m[2] === '%' ? `${m[1]}%` : m[1],
    ),
  );
  const stale: StaleFigure[] = [];
  for (const literal of literals) {
    for (const [figure, before] of Object.entries(savedWith)) {
      if (before === literal && current[figure] !== undefined && current[figure] !== before)
        stale.push({ section: sectionKey, literal, figure, now: current[figure] });
    }
  }
  return stale;
}

/** The sections a round's document consists of now: generated ones, with the lead's edits where made. */
export function mergeEdits(generated: Section[], edits: Record<string, string>): Section[] {
  return generated.map((s) => (edits[s.key] !== undefined ? { ...s, text: edits[s.key] } : s));
}
