import { reviewChanges, ReviewSnapshot } from '../../server/domain/reviewHistory';

const names = new Map([
  [1, '完成服务人次'],
  [2, '服务对象满意度'],
]);
const base: ReviewSnapshot = {
  reviewScore: 9000,
  qualityScore: null,
  comment: '初稿',
  content: {
    wholeScore: null,
    qualityScore: null,
    comment: '初稿',
    indicators: [
      { id: 1, reviewActual: '1032人次', reviewScore: 2000, rule: null, note: null },
      { id: 2, reviewActual: null, reviewScore: null, rule: null, note: null },
    ],
    dimensions: { 满意度: { judgement: '符合', note: null } },
  },
};

describe('reviewChanges', () => {
  it('names every field that changed, in the order of the review page, and nothing else', () => {
    const after: ReviewSnapshot = {
      ...base,
      reviewScore: 8600,
      comment: '满意度无调查记录',
      content: {
        ...base.content!,
        comment: '满意度无调查记录',
        indicators: [
          base.content!.indicators[0],
          { id: 2, reviewActual: '未开展调查', reviewScore: 0, rule: 'R6', note: '未提供问卷', evidence: [7] },
        ],
        dimensions: { 满意度: { judgement: '不符合', note: '未投诉即满意' } },
        quality: { timeliness: 10000, timelinessReason: null, normative: 8000, report: null },
      },
    };
    expect(reviewChanges(base, after, names)).toEqual([
      { field: '复核得分', from: '90', to: '86' },
      { field: '指标"服务对象满意度"复核完成值', from: '—', to: '未开展调查' },
      { field: '指标"服务对象满意度"复核得分', from: '—', to: '0' },
      { field: '指标"服务对象满意度"扣分规则', from: '—', to: 'R6 满意度无调查记录（"未投诉即满意"）（扣100%）' },
      { field: '指标"服务对象满意度"扣分说明', from: '—', to: '未提供问卷' },
      { field: '指标"服务对象满意度"引用佐证', from: '—', to: '#7' },
      { field: '及时性', from: '—', to: '100' },
      { field: '规范性', from: '—', to: '80' },
      { field: '"满意度"判断', from: '符合', to: '不符合' },
      { field: '"满意度"说明', from: '—', to: '未投诉即满意' },
      { field: '复核意见', from: '初稿', to: '满意度无调查记录' },
    ]);
  });

  it('the first version is compared with nothing, an unchanged one has no changes, and an unknown indicator goes by its id', () => {
    const first = reviewChanges(null, base, new Map());
    expect(first).toContainEqual({ field: '复核得分', from: '—', to: '90' });
    expect(first).toContainEqual({ field: '指标"#1"复核完成值', from: '—', to: '1032人次' });
    expect(reviewChanges(base, { ...base }, names)).toEqual([]);
  });

  it('versions without their content compare the scores and the comment only', () => {
    expect(
      reviewChanges(
        { reviewScore: 8000, qualityScore: 7200, comment: null },
        { reviewScore: 8000, qualityScore: 7500, comment: '补充' },
        names,
      ),
    ).toEqual([
      { field: '自评工作质量得分', from: '72', to: '75' },
      { field: '复核意见', from: '—', to: '补充' },
    ]);
  });
});
