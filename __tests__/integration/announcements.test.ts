import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { publicUrlProblem } from '../../server/config';
import { formatCalendarDateZh, formatInstantCst, workingDays } from '../../server/domain/dates';
import {
  asBearer,
  binaryParser,
  csrfOf,
  login,
  SETUP_CONTEXT,
  startSecondInstance,
  startTestApp,
  TestApp,
} from '../helpers/testApp';

let t: TestApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp({ FUHE_PUBLIC_URL: 'https://fuhe.example.gov.cn' });
  for (const [name, role] of [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['eval1', 'evaluator'],
    ['off1', 'official'],
  ] as const) {
    await t.createUser(name, role, role === 'evaluator' ? { organisation: '某会计师事务所' } : {});
    tokens[name] = (await t.services.tokens.createForUsername(SETUP_CONTEXT, name, 't')).token;
  }
});
afterAll(() => t.close());

const api = (user: string) => asBearer(t, tokens[user]);

interface Spec {
  bureau: string;
  workPlanRef?: string;
  /** Budgets in 万元 as written, one per record; the first kind's records come first. */
  projects: Array<{ budget: string; review: number; quality: number; categories?: string[]; name?: string }>;
  departments: Array<{ budget: string; review: number; quality: number; categories?: string[] }>;
  evaluatorCodes?: string[];
}

const DIMENSIONS = Object.fromEntries(
  ['绩效目标编制', '预算执行', '绩效指标设置', '运行成本控制', '目标完成', '可持续发展能力', '满意度'].map((d) => [
    d,
    { judgement: '基本符合', note: '' },
  ]),
);

/** A round whose whole population is sampled and reviewed as the spec says; `confirm` false leaves the last review submitted only. */
async function reviewedRound(
  spec: Spec,
  options: { confirmAll?: boolean; cancelledDraw?: string; quota?: { project: number; department: number } } = {},
): Promise<{ roundId: number; codes: string[] }> {
  const round = await api('lead1')
    .post('/api/rounds')
    .send({
      title: `2023年度绩效自评结果抽查复核（${spec.bureau}）`,
      fiscalYear: 2023,
      bureau: spec.bureau,
      workPlanRef: spec.workPlanRef,
      objectionContact: '县财政局预算绩效管理股，电话0394-1234567',
      deadline: '2024-03-31',
    });
  expect(round.status).toBe(201);
  const roundId = round.body.id as number;
  const rows = ['类型,编码,主管部门,预算单位,项目名称,预算数（万元）,执行数（万元）,自评得分,报送日期'];
  let records = [
    ...spec.projects.map((p, i) => ({ ...p, kind: '项目支出', code: `P${String(i + 1).padStart(3, '0')}` })),
    ...spec.departments.map((d, i) => ({
      ...d,
      name: '',
      kind: '部门整体支出',
      code: `D${String(i + 1).padStart(3, '0')}`,
    })),
  ];
  for (const r of records)
    rows.push(
      `${r.kind},${r.code},县${r.code}局,县${r.code}中心,${r.name ?? `${r.code}项目`},${r.budget},${r.budget},95,2024-03-20`,
    );
  const imported = await api('lead1')
    .post(`/api/rounds/${roundId}/population`)
    .attach('file', Buffer.from(rows.join('\n')), 'population.csv');
  expect(imported.status).toBe(201);
  if (options.cancelledDraw) {
    // A first draw, cancelled with this reason: the sample is drawn twice.
    const first = await api('lead1')
      .post(`/api/rounds/${roundId}/draws`)
      .send({ seed: '作废的种子', method: 'srs', quota: { project: 1, department: 1 } });
    expect(first.status).toBe(201);
    const cancelled = await api('lead1')
      .post(`/api/draws/${first.body.id}/cancel`)
      .send({ reason: options.cancelledDraw });
    expect(cancelled.status).toBe(200);
  }
  const draw = await api('lead1')
    .post(`/api/rounds/${roundId}/draws`)
    .send({
      seed: `${spec.bureau}2023`,
      method: 'srs',
      quota: options.quota ?? { project: spec.projects.length, department: spec.departments.length },
    });
  expect(draw.status).toBe(201);
  // With a quota, only the records drawn are reviewed.
  const drawn = new Set((draw.body.items as Array<{ code: string }>).map((i) => i.code));
  records = records.filter((r) => drawn.has(r.code));
  const assigned = await api('lead1')
    .post(`/api/rounds/${roundId}/assignments`)
    .send(records.map((r) => ({ code: r.code, username: spec.evaluatorCodes?.includes(r.code) ? 'eval1' : 'rev1' })));
  expect(assigned.status).toBe(200);
  for (const [index, r] of records.entries()) {
    const who = spec.evaluatorCodes?.includes(r.code) ? 'eval1' : 'rev1';
    const url = `/api/rounds/${roundId}/items/${r.code}`;
    const saved = await api(who).put(`${url}/review`).send({
      version: 0,
      reviewScore: r.review,
      qualityScore: r.quality,
      comment: '复核意见',
      dimensions: DIMENSIONS,
    });
    expect(saved.status).toBe(200);
    for (const category of r.categories ?? [])
      expect(
        (
          await api(who)
            .post(`${url}/findings`)
            .send({ category, description: `${r.code}：问题说明` })
        ).status,
      ).toBe(201);
    expect((await api(who).post(`${url}/review/submit`)).status).toBe(200);
    if (options.confirmAll === false && index === records.length - 1) continue;
    expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);
  }
  return { roundId, codes: records.map((r) => r.code) };
}

/** With FUHE_KEEP_PDF=<file>, the converted PDF is kept for a person to look at. */
function keepPdf(pdf: Buffer) {
  if (process.env.FUHE_KEEP_PDF) fs.writeFileSync(process.env.FUHE_KEEP_PDF, pdf);
}

/** Budgets that add up to `total` 万元 (a decimal string), the first carrying the remainder. */
function budgets(n: number, total: string): string[] {
  const [whole, frac = ''] = total.split('.');
  const totalMillionths = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
  const each = 100_000000n;
  const first = totalMillionths - each * BigInt(n - 1);
  const fmt = (m: bigint) => `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, '0')}`.replace(/\.?0+$/, '');
  return [fmt(first), ...Array(n - 1).fill(fmt(each))];
}

describe('the seed announcements rebuilt end to end', () => {
  it('太康县: 20 projects and 2 departments, 10215.46 万元, 19 优 and 1 良, quality 19 优 and 1 中, published and public', async () => {
    const b = budgets(22, '10215.46');
    const { roundId } = await reviewedRound({
      bureau: '太康县财政局',
      workPlanRef: '太财字〔2023〕30号',
      projects: Array.from({ length: 20 }, (_, i) => ({
        budget: b[i],
        review: i === 19 ? 85 : 93,
        quality: i === 19 ? 70 : 92,
        categories: i < 2 ? ['P01'] : i < 5 ? ['P09'] : [],
      })),
      departments: [
        { budget: b[20], review: 94, quality: 95, categories: ['P01'] },
        { budget: b[21], review: 96, quality: 91 },
      ],
      evaluatorCodes: ['P003'],
    });
    const compiled = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
    expect(compiled.status).toBe(201);
    expect(compiled.body).toMatchObject({
      version: 1,
      status: 'draft',
      title: '太康县财政局关于2023年度绩效自评结果抽查复核情况的公示',
      scope: { project: 20, department: 2, budgetWan: '10215.46', budgetFen: '10215460000' },
      grades: {
        project: { 优: 19, 良: 1, 中: 0, 差: 0 },
        department: { 优: 2, 良: 0, 中: 0, 差: 0 },
        all: { 优: 21, 良: 1, 中: 0, 差: 0 },
      },
      quality: { project: { 优: 19, 良: 0, 中: 1, 差: 0 }, department: { 优: 2, 良: 0, 中: 0, 差: 0 } },
      deviation: { higherThanReview: 21, gradeLowered: 1 },
    });
    expect(compiled.body.problems).toEqual([
      { category: 'P09', title: '佐证材料缺失、未取证留档', count: 3, of: 20, kind: 'project' },
      { category: 'P01', title: '预算执行率低（资金闲置沉淀）', count: 2, of: 20, kind: 'project' },
      { category: 'P01', title: '预算执行率低（资金闲置沉淀）', count: 1, of: 2, kind: 'department' },
    ]);
    expect(compiled.body.recommendations.map((r: { category: string }) => r.category)).toEqual(['P09', 'P01']);
    const html: string = compiled.body.html;
    expect(html).toContain('此次共抽查复核20个项目支出和2个部门整体支出，涉及预算资金10215.46万元。');
    expect(html).toContain('项目支出自评复核评级为“优”的19个，为“良”的1个；2个部门整体支出自评复核评级均为“优”。');
    expect(html).toContain('项目支出自评工作质量为“优”的19个，为“中”的1个；2个部门整体支出自评工作质量均为“优”。');
    expect(html).toContain('20个项目中，有2个项目预算未执行完毕，2个部门中，有1个部门预算未执行完毕。');
    expect(html).toContain('“财政部门+业务部门+第三方评价机构”');
    expect(html).toContain('https://fuhe.example.gov.cn/p/draws/');

    // Only an official publishes, and only what was submitted.
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/publish`)).status).toBe(403);
    const early = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('没有待审批的公示稿');
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ version: 1, publicUrl: expect.stringMatching(/^\/p\/2023-[0-9a-f]{12}$/) });
    expect((await api('off1').post(`/api/rounds/${roundId}/announcement/publish`)).status).toBe(409);

    const anonymous = t.agent();
    const page = await anonymous.get(published.body.publicUrl);
    expect(page.status).toBe(200);
    // Its header names the page for what it is: the 公示, not the draw's 公开核验.
    expect(page.text).toContain('<span class="brand__name">绩效自评抽查复核 · 公示</span>');
    expect(page.text).toContain('太康县财政局关于2023年度绩效自评结果抽查复核情况的公示');
    expect(page.text).toContain('此次共抽查复核20个项目支出和2个部门整体支出，涉及预算资金10215.46万元。');
    expect(page.text).toContain('一、基本情况');
    expect(page.text).toContain('四、建议');
    const json = await anonymous.get(`${published.body.publicUrl}.json`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({
      version: 1,
      status: 'published',
      scope: { budgetWan: '10215.46' },
      draw: { procedure: 'FUHE-DRAW-1', seed: '太康县财政局2023' },
    });
    expect(json.body.draw.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const round = await api('lead1').get(`/api/rounds/${roundId}`);
    expect(round.body.state).toBe('published');
  });

  it('青阳县: 35 and 15, 27177.289 万元 written 27177.29, 优 27 (54 %), 良 7 (14 %), 中 16 (32 %); publication waits for the last confirmation', async () => {
    const b = budgets(50, '27177.289');
    const grade = (i: number, good: number, fair: number) => (i < good ? 95 : i < good + fair ? 85 : 70);
    const { roundId, codes } = await reviewedRound(
      {
        bureau: '青阳县财政局',
        projects: Array.from({ length: 35 }, (_, i) => ({
          budget: b[i],
          review: grade(i, 20, 5),
          quality: 80,
          categories: i % 3 === 0 ? ['P02'] : [],
        })),
        departments: Array.from({ length: 15 }, (_, i) => ({
          budget: b[35 + i],
          review: grade(i, 7, 2),
          quality: 80,
          categories: i % 5 === 0 ? ['P14'] : [],
        })),
      },
      { confirmAll: false },
    );
    const compiled = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
    expect(compiled.status).toBe(201);
    expect(compiled.body.scope).toMatchObject({ project: 35, department: 15, budgetWan: '27177.29' });
    expect(compiled.body.unconfirmed).toEqual([codes[49]]);
    expect(compiled.body.warnings.map((w: { code: string }) => w.code)).toContain('unconfirmed');

    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const blocked = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details[0].message).toContain(codes[49]);
    expect((await api('lead1').post(`/api/rounds/${roundId}/items/${codes[49]}/review/confirm`)).status).toBe(200);

    const current = await api('off1').get(`/api/rounds/${roundId}/announcement`);
    expect(current.body.grades.project).toEqual({ 优: 20, 良: 5, 中: 10, 差: 0 });
    expect(current.body.grades.department).toEqual({ 优: 7, 良: 2, 中: 6, 差: 0 });
    expect(current.body.grades.all).toEqual({ 优: 27, 良: 7, 中: 16, 差: 0 });
    expect(current.body.grades.allShare).toEqual({ 优: '54%', 良: '14%', 中: '32%', 差: '0%' });
    expect(current.body.html).toContain('此次共抽查复核35个项目支出和15个部门整体支出，涉及预算资金27177.29万元。');
    expect(current.body.html).toContain(
      '其中复核等级为“优”的27个，占抽查复核项目的54%；为“中”的16个，占32%；为“良”的7个，占14%。',
    );
    expect(current.body.html).toContain('35个项目中，有12个项目绩效目标编制不规范、不细化');
    expect(current.body.html).toContain('15个部门中，有3个部门未按时报送自评材料');
    expect(current.body.html).toContain('总体来说，绩效自评报告质量还有待进一步改进。');
    // The whole population was sampled, so the estimate is exact: the interval closes on the share.
    expect(current.body.statistics.inflated).toEqual([
      {
        kind: 'project',
        x: 15,
        n: 35,
        N: 35,
        share: '42.86%',
        wilson: ['42.86%', '42.86%'],
        clopperPearson: ['42.86%', '42.86%'],
        upper: '42.86%',
        tooSmall: false,
      },
      {
        kind: 'department',
        x: 8,
        n: 15,
        N: 15,
        share: '53.33%',
        wilson: ['53.33%', '53.33%'],
        clopperPearson: ['53.33%', '53.33%'],
        upper: '53.33%',
        tooSmall: false,
      },
    ]);

    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    const page = await t.agent().get(published.body.publicUrl);
    expect(page.text).toContain('其中复核等级为“优”的27个，占抽查复核项目的54%');
    // Reviewed in full: the share is exact and said so, with no interval.
    expect(page.text).toContain(
      '项目支出：35个已全部抽查，其中15个自评等级虚高（42.86%），这是实际比例，没有抽样误差。',
    );
  });
});

describe('a sample drawn twice', () => {
  it('the published appendix lists the cancelled draw with its time, seed, reason and public page', async () => {
    const { roundId } = await reviewedRound(
      {
        bureau: '某县财政局',
        projects: [{ budget: '100', review: 92, quality: 90 }],
        departments: [{ budget: '200', review: 93, quality: 90 }],
      },
      { cancelledDraw: '种子来源未提前公告' },
    );
    const cancelled = (await api('lead1').get(`/api/rounds/${roundId}/draws`)).body.items.find(
      (d: { status: string }) => d.status === 'cancelled',
    );
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`)).status).toBe(201);
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    const page = (await t.agent().get(published.body.publicUrl)).text;
    expect(page).toMatch(
      new RegExp(
        `本批次共抽样2次，前1次已作废并公开：第1次于\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}抽取，随机种子“作废的种子”，作废理由：种子来源未提前公告，见[^<]*${cancelled.publicUrl}。本公示的样本为第2次抽样的结果。`,
      ),
    );
  });
});

describe('a small sample', () => {
  it('publishes no interval from fewer random items than the round’s minimum; the lead is told why', async () => {
    const { roundId } = await reviewedRound(
      {
        bureau: '某县财政局',
        projects: Array.from({ length: 30 }, (_, i) => ({ budget: '100', review: i % 3 === 0 ? 75 : 92, quality: 90 })),
        departments: [{ budget: '200', review: 93, quality: 90 }],
      },
      { quota: { project: 6, department: 1 } },
    );
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`)).status).toBe(201);
    const lead = t.agent();
    await login(lead, 'lead1');
    const leadView = (await lead.get(`/rounds/${roundId}/announcement`)).text;
    expect(leadView).toContain('项目支出：随机抽取的6个中有');
    expect(leadView).toContain('少于10个，区间过宽，公示文本和 Word 文件中不列出此估计');
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    const page = (await t.agent().get(published.body.publicUrl)).text;
    expect(page).not.toContain('项目支出：随机抽取的');
    expect(page).not.toContain('仅组长可见');
    const docx = await t.agent().get(`${published.body.publicUrl}.docx`).buffer(true).parse(binaryParser);
    const xml = await (await JSZip.loadAsync(docx.body as Buffer)).file('word/document.xml')!.async('string');
    expect(xml).not.toContain('随机抽取的6个');
  });
});

describe('公示期 and 异议', () => {
  it('a round without an objection contact cannot publish; with one, the text dates the 公示期 and the page says it is open', async () => {
    const { roundId } = await reviewedRound({
      bureau: '某县财政局',
      projects: [{ budget: '100', review: 92, quality: 90 }],
      departments: [{ budget: '200', review: 93, quality: 90 }],
    });
    const round = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
    const cleared = await api('lead1')
      .patch(`/api/rounds/${roundId}`)
      .send({ objectionContact: '', version: round.version });
    expect(cleared.status).toBe(200);
    const compiled = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
    expect(compiled.body.warnings).toContainEqual(
      expect.objectContaining({ code: 'objectionContact', blocks: ['publish'] }),
    );
    // A draft says how long, not yet from when.
    expect(compiled.body.html).toContain('公示期为公示发布之日起5个工作日。');
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const refused = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body.error)).toContain('异议联系方式');

    const set = await api('lead1')
      .patch(`/api/rounds/${roundId}`)
      .send({ objectionContact: '县财政局绩效股，电话0394-7654321', publicityDays: 7, version: cleared.body.version });
    expect(set.body).toMatchObject({
      publicityDays: 7,
      objectionContact: '县财政局绩效股，电话0394-7654321',
      minEstimateSample: 10,
    });
    const badMinimum = await api('lead1')
      .patch(`/api/rounds/${roundId}`)
      .send({ minEstimateSample: 0, version: set.body.version });
    expect(badMinimum.status).toBe(422);
    expect(badMinimum.body.error.details).toEqual([
      { field: 'minEstimateSample', message: '公布总体估计的最小样本须为1–500的整数' },
    ]);
    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    const today = formatInstantCst(t.clock.now()).slice(0, 10);
    const { first, last } = workingDays(today, 7);
    const page = (await t.agent().get(published.body.publicUrl)).text;
    expect(page).toContain(
      `公示期为${formatCalendarDateZh(first)}至${formatCalendarDateZh(last)}（7个工作日）。如对公示内容有异议，请在公示期内向县财政局绩效股，电话0394-7654321反映。`,
    );
    expect(page).toContain('data-publicity="open"');
    // Frozen at publication: changing the round afterwards does not change what was published.
    await api('lead1')
      .patch(`/api/rounds/${roundId}`)
      .send({ objectionContact: '改过的联系方式', version: set.body.version });
    expect((await t.agent().get(published.body.publicUrl)).text).not.toContain('改过的联系方式');
    const docx = await t.agent().get(`${published.body.publicUrl}.docx`).buffer(true).parse(binaryParser);
    const xml = await (await JSZip.loadAsync(docx.body as Buffer)).file('word/document.xml')!.async('string');
    expect(xml.replace(/<[^>]+>/g, '')).toContain(
      `公示期为${formatCalendarDateZh(first)}至${formatCalendarDateZh(last)}`,
    );
  });
});

describe('an address the public cannot reach', () => {
  it('compiling warns, and publishing is refused with the reason; with the public address it publishes', async () => {
    const local = await startSecondInstance(t, {
      publicUrl: 'http://localhost:3000',
      publicUrlProblem: publicUrlProblem(undefined),
    });
    try {
      const { roundId } = await reviewedRound({
        bureau: '某县财政局',
        projects: [{ budget: '100', review: 92, quality: 90 }],
        departments: [{ budget: '200', review: 93, quality: 90 }],
      });
      const viaLocal = (user: string) => asBearer(local, tokens[user]);
      const compiled = await viaLocal('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
      expect(compiled.status).toBe(201);
      expect(compiled.body.warnings).toContainEqual(
        expect.objectContaining({ code: 'publicAddress', blocks: ['publish'] }),
      );
      expect(compiled.body.html).toContain('http://localhost:3000/p/draws/');
      expect((await viaLocal('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
      const refused = await viaLocal('off1').post(`/api/rounds/${roundId}/announcement/publish`);
      expect(refused.status).toBe(409);
      expect(JSON.stringify(refused.body.error)).toContain('FUHE_PUBLIC_URL');
      expect((await api('lead1').get(`/api/rounds/${roundId}/announcement`)).body.status).toBe('submitted');
      // The instance whose address the public reaches publishes the same submission.
      expect((await api('off1').post(`/api/rounds/${roundId}/announcement/publish`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('drafting, approval and corrections', () => {
  let roundId: number;
  const url = () => `/api/rounds/${roundId}/announcement`;

  /** Four projects and two departments reviewed and confirmed, one with the bureau's own category P19. */
  const reviewed = () => {
    const b = budgets(6, '1234.5');
    return reviewedRound({
      bureau: '某县财政局',
      projects: [
        { budget: b[0], review: 92, quality: 90, name: '<script>alert("x")</script>农村道路', categories: ['P19'] },
        { budget: b[1], review: 72, quality: 65, categories: ['P08'] },
        { budget: b[2], review: 91, quality: 90 },
        { budget: b[3], review: 55, quality: 50, categories: ['P08'] },
      ],
      departments: [
        { budget: b[4], review: 93, quality: 90 },
        { budget: b[5], review: 88, quality: 80 },
      ],
    });
  };

  beforeAll(async () => {
    // A bureau's own category, added without a default recommendation.
    await t
      .db('finding_categories')
      .insert({ code: 'P19', title: '本县自定义问题', recommendation: '', builtin: false });
  });

  // Every test has a round of its own with a compiled draft, its P19 recommendation written.
  beforeEach(async () => {
    ({ roundId } = await reviewed());
    const compiled = await api('lead1').post(`${url()}/compile`);
    expect(compiled.status).toBe(201);
    const saved = await api('lead1')
      .put(url())
      .send({ revision: compiled.body.revision, sections: { 'recommendation:P19': '请各单位对照问题逐项整改。' } });
    expect(saved.status).toBe(200);
  });

  const publish = async () => {
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(200);
    const published = await api('off1').post(`${url()}/publish`);
    expect(published.status).toBe(200);
    return published.body;
  };

  it('each person lands on their work: the official on what awaits approval, the lead on progress, a reviewer on their tasks', async () => {
    const landing = async (user: string) => {
      const agent = t.agent();
      await login(agent, user);
      const res = await agent.get('/');
      expect(res.status).toBe(200);
      return res.text;
    };
    // Before the submission (if no other round's draft awaits): the official is told that nothing does.
    const before = await landing('off1');
    if (!/份公示稿待审批/.test(before)) expect(before).toContain('没有待审批的公示稿');
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(200);
    const official = await landing('off1');
    expect(official).toMatch(/\d+份公示稿待审批/);
    expect(official).toContain(`href="/rounds/${roundId}/announcement"`);
    expect(official).toContain('请审阅后发布或退回');
    const lead = await landing('lead1');
    expect(lead).toContain('已确认 6 / 6');
    expect(lead).toContain('等待分管领导审批');
    expect(await landing('rev1')).toContain('<h1>我的复核任务</h1>');
  });

  it('facts the data does not hold are the lead’s: on-site checks from the round, default causes marked until edited', async () => {
    const draft = (await api('lead1').get(url())).body;
    // The round did not record on-site checks: the text says the review was of the submitted materials.
    expect(draft.html).toContain('抽查复核依据上报资料进行综合评价。');
    const cause = draft.warnings.find((w: { code: string }) => w.code === 'defaultCause');
    expect(cause).toMatchObject({ blocks: [] });
    expect(cause.message).toContain('尚未核对');
    // Read and kept as it is: ticked 已核对, the mark goes; a key that is no problem of this draft is refused.
    const unknown = await api('lead1')
      .put(url())
      .send({ revision: draft.revision, reviewedCauses: ['problem:P77'] });
    expect(unknown.status).toBe(422);
    const kept = await api('lead1')
      .put(url())
      .send({ revision: draft.revision, reviewedCauses: ['problem:P08'] });
    expect(kept.status).toBe(200);
    expect(kept.body.warnings.map((w: { code: string }) => w.code)).not.toContain('defaultCause');
    const unticked = await api('lead1').put(url()).send({ revision: kept.body.revision, reviewedCauses: [] });
    expect(unticked.body.warnings.map((w: { code: string }) => w.code)).toContain('defaultCause');
    const lead = t.agent();
    await login(lead, 'lead1');
    expect((await lead.get(`/rounds/${roundId}/announcement/edit`)).text).toContain(
      'name="reviewedCauses" value="problem:P08">',
    );
    // Or rewritten: an edited section is the lead's own text.
    const problem = (draft.sections as Array<{ key: string; text: string }>).find((s) => s.key === 'problem:P08')!;
    const saved = await api('lead1')
      .put(url())
      .send({
        revision: unticked.body.revision,
        sections: { 'problem:P08': problem.text.replace(/其主要原因是.*$/, '经核实，原因是项目实施进度滞后。') },
      });
    expect(saved.status).toBe(200);
    expect(saved.body.warnings.map((w: { code: string }) => w.code)).not.toContain('defaultCause');
    const round = (await api('lead1').get(`/api/rounds/${roundId}`)).body;
    expect(
      (await api('lead1').patch(`/api/rounds/${roundId}`).send({ onsiteChecks: true, version: round.version })).body
        .onsiteChecks,
    ).toBe(true);
    expect((await api('lead1').get(url())).body.html).toContain('抽查复核依据上报资料和实地核查进行综合评价。');
  });

  it('compiling needs at least one confirmed review', async () => {
    const round = await api('lead1').post('/api/rounds').send({ title: '空批次', fiscalYear: 2024 });
    await api('lead1')
      .post(`/api/rounds/${round.body.id}/population`)
      .attach(
        'file',
        Buffer.from('类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分\n项目支出,X1,甲,甲,乙,1,90'),
        'p.csv',
      );
    await api('lead1')
      .post(`/api/rounds/${round.body.id}/draws`)
      .send({ seed: 's', method: 'srs', quota: { project: 1, department: 0 } });
    const res = await api('lead1').post(`/api/rounds/${round.body.id}/announcement/compile`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe('还没有已确认的复核结果，无法生成公示稿');
    expect((await api('lead1').get(`/api/rounds/${round.body.id}/announcement`)).status).toBe(404);
  });

  it('a problem without a recommendation is flagged and blocks submission until the lead writes one', async () => {
    ({ roundId } = await reviewed());
    const compiled = await api('lead1').post(`${url()}/compile`);
    expect(compiled.status).toBe(201);
    expect(compiled.body.warnings.find((w: { code: string }) => w.code === 'missingRecommendation').message).toContain(
      'P19',
    );
    const refused = await api('lead1').post(`${url()}/submit`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.map((d: { field: string }) => d.field)).toContain('missingRecommendation');
    const tooLong = await api('lead1')
      .put(url())
      .send({ revision: compiled.body.revision, sections: { 'recommendation:P19': '长'.repeat(1001) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.details[0].message).toContain('不能超过1000个字符');
    const saved = await api('lead1')
      .put(url())
      .send({
        revision: compiled.body.revision,
        sections: { 'recommendation:P19': '请各单位对照问题逐项整改，共{抽查项目数}个项目。' },
      });
    expect(saved.status).toBe(200);
    expect(saved.body.recommendations.find((r: { category: string }) => r.category === 'P19').text).toBe(
      '请各单位对照问题逐项整改，共4个项目。',
    );
  });

  it('a stale revision gets 409 and changes nothing; unknown fields are refused', async () => {
    const current = (await api('lead1').get(url())).body;
    const stale = await api('lead1')
      .put(url())
      .send({ revision: current.revision - 1, title: '改了的标题' });
    expect(stale.status).toBe(409);
    expect((await api('lead1').get(url())).body.title).toBe(current.title);
    const unknown = await api('lead1')
      .put(url())
      .send({ revision: current.revision, sections: { results: '共{不存在}个' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].message).toContain('{不存在}');
    expect((await api('rev1').put(url()).send({ revision: current.revision, title: 'x' })).status).toBe(403);
    expect((await api('eval1').get(url())).status).toBe(403);
  });

  it("markup anywhere is text: project names from the population and the lead's own words reach the public page escaped", async () => {
    const current = (await api('lead1').get(url())).body;
    const saved = await api('lead1')
      .put(url())
      .send({
        revision: current.revision,
        title: '<b>某县</b>公示',
        sections: { preamble: '<img src=x onerror=alert(1)>导语' },
      });
    expect(saved.status).toBe(200);
    expect(saved.body.html).toContain('&lt;b&gt;某县&lt;/b&gt;公示');
    expect(saved.body.html).toContain('&lt;img src=x onerror=alert(1)&gt;导语');
    expect(saved.body.html).not.toContain('<img');
  });

  it('edited prose whose typed number no longer matches the data is flagged, and blocks publication', async () => {
    let current = (await api('lead1').get(url())).body;
    const saved = await api('lead1')
      .put(url())
      .send({
        revision: current.revision,
        sections: { results: '此次共抽查复核4个项目支出和2个部门整体支出，评级为优的项目{项目优数}个。' },
      });
    expect(saved.status).toBe(200);
    expect(saved.body.warnings.filter((w: { code: string }) => w.code === 'staleFigure')).toEqual([]);
    // A review is reopened and re-scored: P003 drops from 优 to 良; the typed "4" still matches, the bound figure follows.
    expect(
      (await api('lead1').post(`/api/rounds/${roundId}/items/P003/review/return`).send({ reason: '请复核得分' }))
        .status,
    ).toBe(200);
    const item = (await api('rev1').get(`/api/rounds/${roundId}/items/P003`)).body;
    expect(
      (
        await api('rev1').put(`/api/rounds/${roundId}/items/P003/review`).send({
          version: item.review.version,
          reviewScore: 85,
          qualityScore: 90,
          comment: '复核意见',
          dimensions: DIMENSIONS,
        })
      ).status,
    ).toBe(200);
    expect((await api('rev1').post(`/api/rounds/${roundId}/items/P003/review/submit`)).status).toBe(200);
    current = (await api('lead1').get(url())).body;
    expect(current.sections.find((s: { key: string }) => s.key === 'results').text).toBe(
      '此次共抽查复核4个项目支出和2个部门整体支出，评级为优的项目1个。',
    );
    expect(current.unconfirmed).toEqual(['P003']);
    expect((await api('lead1').post(`/api/rounds/${roundId}/items/P003/review/confirm`)).status).toBe(200);
    // Now type a figure as a literal, then change the data under it.
    current = (await api('lead1').get(url())).body;
    await api('lead1')
      .put(url())
      .send({ revision: current.revision, sections: { results: '评级为良的项目有2个，共{抽查项目数}个项目。' } });
    expect(
      (await api('lead1').post(`/api/rounds/${roundId}/items/P002/review/return`).send({ reason: '再核' })).status,
    ).toBe(200);
    const p2 = (await api('rev1').get(`/api/rounds/${roundId}/items/P002`)).body;
    await api('rev1').put(`/api/rounds/${roundId}/items/P002/review`).send({
      version: p2.review.version,
      reviewScore: 82,
      qualityScore: 65,
      comment: '复核意见',
      dimensions: DIMENSIONS,
    });
    await api('rev1').post(`/api/rounds/${roundId}/items/P002/review/submit`);
    await api('lead1').post(`/api/rounds/${roundId}/items/P002/review/confirm`);
    current = (await api('lead1').get(url())).body;
    const stale = current.warnings.find((w: { code: string }) => w.code === 'staleFigure');
    expect(stale.message).toContain('"2"原为{良数}，数据现为3');
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(200);
    const refused = await api('off1').post(`${url()}/publish`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.map((d: { field: string }) => d.field)).toEqual(['staleFigure']);
    // The official sends it back; the lead fixes the text.
    expect((await api('off1').post(`${url()}/return`).send({ reason: '' })).status).toBe(422);
    expect((await api('off1').post(`${url()}/return`).send({ reason: '数字与数据不一致' })).status).toBe(200);
    current = (await api('lead1').get(url())).body;
    expect(current.status).toBe('draft');
    expect(
      (
        await api('lead1')
          .put(url())
          .send({
            revision: current.revision,
            sections: { results: '评级为良的项目有{项目良数}个，共{抽查项目数}个项目。' },
          })
      ).status,
    ).toBe(200);
  });

  it('published is immutable; a correction is a new dated version saying what changed, and the old one stays readable', async () => {
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(200);
    const first = await api('off1').post(`${url()}/publish`);
    expect(first.status).toBe(200);
    const slugUrl = first.body.publicUrl as string;
    expect((await api('lead1').put(url()).send({ revision: 1, title: 'x' })).status).toBe(409);
    await expect(t.db('announcements').where({ status: 'published' }).update({ title: 'tampered' })).rejects.toThrow(
      /immutable/,
    );
    await expect(t.db('announcements').where({ status: 'published' }).delete()).rejects.toThrow();
    expect((await t.agent().get(slugUrl)).text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;农村道路');

    const draft = await api('lead1').post(`${url()}/compile`);
    expect(draft.body).toMatchObject({ version: 2, status: 'draft' });
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(422);
    expect(
      (await api('lead1').put(url()).send({ revision: draft.body.revision, correctionNote: '更正了第二部分的表述' }))
        .status,
    ).toBe(200);
    expect((await api('lead1').post(`${url()}/submit`)).status).toBe(200);
    const second = await api('off1').post(`${url()}/publish`);
    expect(second.body).toMatchObject({ version: 2, publicUrl: slugUrl });
    const latest = await t.agent().get(`${slugUrl}.json`);
    expect(latest.body).toMatchObject({ version: 2, correctionNote: '更正了第二部分的表述' });
    expect(latest.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const old = await t.agent().get(`${slugUrl}/v/1`);
    expect(old.status).toBe(200);
    expect(old.text).toContain('已有更正后的版本');
    expect((await t.agent().get(`${slugUrl}/v/9`)).status).toBe(404);
    expect((await t.agent().get('/p/2023-000000000000')).status).toBe(404);
    // The page's charts: chart.js from the installed package, same origin (the CSP allows nothing else).
    const chartJs = await t.agent().get('/static/vendor/chart.umd.min.js');
    expect(chartJs.status).toBe(200);
    expect(chartJs.headers['content-type']).toContain('javascript');
    expect(old.text).toContain('data-charts="{&quot;grades&quot;');
  });

  it('the Word export is a real .docx that LibreOffice turns into a PDF', async () => {
    await publish();
    const current = (await api('lead1').get(url())).body;
    const docx = await t.agent().get(`${current.publicUrl}.docx`).buffer(true).parse(binaryParser);
    expect(docx.status).toBe(200);
    expect(docx.headers['content-type']).toContain('wordprocessingml');
    expect((docx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
    const zip = await JSZip.loadAsync(docx.body as Buffer);
    const documentXml = await zip.file('word/document.xml')!.async('string');
    // GB/T 9704: A4 (11906 × 16838 twips), margins 37/35/28/26 mm, 三号 (16 pt) 仿宋 text, 二号 title.
    expect(documentXml).toMatch(/<w:pgSz w:w="11907" w:h="16840"/);
    expect(documentXml).toMatch(/<w:pgMar w:top="2098" w:right="1474" w:bottom="1985" w:left="1588"/);
    expect(documentXml).toContain('w:eastAsia="仿宋_GB2312"');
    expect(documentXml).toContain('<w:sz w:val="44"/>');
    expect(Object.keys(zip.files).filter((n) => n.startsWith('word/media/'))).toHaveLength(4);
    // Word for word the page's text: every paragraph of the published page is a paragraph of the file.
    const unescape = (text: string) =>
      text
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#x27;|&#39;|&apos;/g, "'")
        .replace(/&#x3D;/g, '=')
        .replace(/&#x60;/g, '`')
        .replace(/&amp;/g, '&');
    const wordParagraphs = new Set(documentXml.split('</w:p>').map((p) => unescape(p.replace(/<[^>]+>/g, '')).trim()));
    const page = (await t.agent().get(current.publicUrl)).text;
    const article = /<article class="gongwen"[\s\S]*?<\/article>/.exec(page)![0];
    const pageParagraphs = [...article.matchAll(/<p>([^<]*)<\/p>/g)].map((m) => unescape(m[1]).trim());
    expect(pageParagraphs.length).toBeGreaterThan(10);
    expect(pageParagraphs.filter((p) => !wordParagraphs.has(p))).toEqual([]);
    expect(await zip.file('word/fontTable.xml')!.async('string')).toContain(
      '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>',
    );
    const soffice = spawnSync('soffice', ['--version'], { encoding: 'utf8' });
    if (soffice.error) {
      console.warn(
        'LibreOffice (soffice) is not installed: the .docx → PDF conversion check is skipped. `apt-get install libreoffice-writer-nogui` to run it.',
      );
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-docx-'));
    try {
      fs.writeFileSync(path.join(dir, 'announcement.docx'), docx.body as Buffer);
      execFileSync(
        'soffice',
        [
          `-env:UserInstallation=file://${dir}/profile`,
          '--headless',
          '--convert-to',
          'pdf',
          '--outdir',
          dir,
          path.join(dir, 'announcement.docx'),
        ],
        { timeout: 120_000, stdio: 'pipe' },
      );
      const pdf = fs.readFileSync(path.join(dir, 'announcement.pdf'));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      // A4 pages: 595 × 842 points.
      expect(pdf.toString('latin1')).toMatch(/MediaBox\s*\[\s*0 0 595(\.\d+)? 84[12](\.\d+)?\s*\]/);
      keepPdf(pdf);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('pages: the lead edits in the browser form, the official sees approval buttons, an evaluator is refused', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    const show = await lead.get(`/rounds/${roundId}/announcement`);
    expect(show.status).toBe(200);
    expect(show.text).toContain('按最新复核结果重新生成');
    // Inside the workbench the document sits under the page's h1: its headings step down one level.
    expect(show.text.match(/<h1[ >]/g)).toHaveLength(1);
    expect(show.text).toContain('<h2 class="gongwen__title">');
    expect(show.text).toContain('<h4 class="gongwen__heading">（一）复核范围</h4>');
    const evaluator = t.agent();
    await login(evaluator, 'eval1');
    expect((await evaluator.get(`/rounds/${roundId}/announcement`)).status).toBe(403);
    const compiled = await lead
      .post(`/rounds/${roundId}/announcement/compile`)
      .type('form')
      .send({ _csrf: await csrfOf(lead, `/rounds/${roundId}/announcement`) });
    expect(compiled.status).toBe(303);
    const edit = await lead.get(`/rounds/${roundId}/announcement/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('{抽查项目数}');
    const revision = /name="revision" value="(\d+)"/.exec(edit.text)![1];
    const stale = await lead
      .post(`/rounds/${roundId}/announcement/edit`)
      .type('form')
      .send({
        _csrf: await csrfOf(lead, `/rounds/${roundId}/announcement/edit`),
        revision: String(Number(revision) - 1),
        title: '我的新标题',
        'section:preamble': '我写的导语不应丢失',
      });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('我写的导语不应丢失');
    expect(stale.text).toContain('我的新标题');
  });
});
