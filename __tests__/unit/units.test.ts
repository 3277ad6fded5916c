import {
  closestNames,
  covers,
  editDistance,
  feedbackDueDate,
  isOverdue,
  parseFeedback,
  parseRequest,
  sampledNotice,
} from '../../server/domain/units';

describe('material requests', () => {
  it('need text of at least four characters and a due date not before today', () => {
    expect(parseRequest({ text: '请上传验收报告', dueDate: '2026-12-10' }, '2026-12-06')).toEqual({
      value: { text: '请上传验收报告', dueDate: '2026-12-10' },
      errors: [],
    });
    expect(parseRequest({ text: '  ', dueDate: '2026-12-06' }, '2026-12-06').errors).toEqual([
      { field: 'text', message: '请写明需要单位补充的材料（至少4个字）' },
    ]);
    expect(parseRequest({ text: '请上传验收报告', dueDate: '2026-12-05' }, '2026-12-06').errors).toEqual([
      { field: 'dueDate', message: '补充期限不能早于今天（2026-12-06）' },
    ]);
    expect(parseRequest({ text: '请上传验收报告', dueDate: '2026-02-30' }, '2026-01-01').errors[0].field).toBe(
      'dueDate',
    );
    expect(parseRequest({ text: 42, dueDate: ['2026-12-10'] }, '2026-12-06').errors.map((e) => e.field)).toEqual([
      'text',
      'dueDate',
    ]);
  });
  it('are overdue after their date while unanswered', () => {
    expect(isOverdue('2026-12-05', false, '2026-12-06')).toBe(true);
    expect(isOverdue('2026-12-06', false, '2026-12-06')).toBe(false);
    expect(isOverdue('2026-12-05', true, '2026-12-06')).toBe(false);
  });
});

describe('feedback', () => {
  it('agrees without a reason, disagrees only with one', () => {
    expect(parseFeedback({ agree: true }).value).toEqual({ agree: true, text: null });
    expect(parseFeedback({ agree: 'yes', text: '无异议' }).value).toEqual({ agree: true, text: '无异议' });
    expect(parseFeedback({ agree: false, text: '' }).errors).toEqual([
      { field: 'text', message: '不同意复核结果时，请写明理由（至少4个字）' },
    ]);
    expect(parseFeedback({ agree: 'no', text: '验收报告已于3月补交，请核实' }).value?.agree).toBe(false);
    expect(parseFeedback({ agree: 'maybe' }).errors[0]).toEqual({ field: 'agree', message: '请选择是否同意复核结果' });
    expect(parseFeedback({ agree: false, text: '长'.repeat(5001) }).errors[0].message).toBe(
      '意见不能超过5000字（现为5001字）',
    );
  });
  it('is due a number of working days after the day the review was submitted', () => {
    // Submitted on Friday 2026-12-04: Monday 7th to Friday 11th are the five working days.
    expect(feedbackDueDate('2026-12-04', 5)).toBe('2026-12-11');
    // Submitted on Monday 2026-12-07: Tuesday to the next Monday.
    expect(feedbackDueDate('2026-12-07', 5)).toBe('2026-12-14');
    expect(feedbackDueDate('2026-12-07', 1)).toBe('2026-12-08');
  });
});

describe('unit contacts', () => {
  it('cover a record by its unit or its department', () => {
    const coverage = { units: ['县教育局'], departments: ['县卫健委'] };
    expect(covers(coverage, { unit: '县教育局', department: '县教育局' })).toBe(true);
    expect(covers(coverage, { unit: '县人民医院', department: '县卫健委' })).toBe(true);
    expect(covers(coverage, { unit: '县交通局', department: '县交通局' })).toBe(false);
  });
  it('are offered the closest names for one typed a character or two off, nearest first', () => {
    expect(editDistance('太康县教育局', '太康县教育局')).toBe(0);
    expect(editDistance('太康县教育局', '太康县教肓局')).toBe(1);
    expect(editDistance('县教育局', '县教育体育局')).toBe(2);
    const known = ['太康县教育局', '太康县卫生健康委员会', '太康县交通运输局', '太康县教育体育局'];
    expect(closestNames('太康县教肓局', known)).toEqual(['太康县教育局']);
    expect(closestNames('太康县教局', known)).toEqual(['太康县教育局']);
    expect(closestNames('太康县教育局', known)).toEqual(['太康县教育体育局']);
    expect(closestNames('市政府', known)).toEqual([]);
  });
  it('are told on their landing page how many items were sampled and which', () => {
    expect(sampledNotice(['A', 'B', 'C'])).toBe('您单位有3个项目被抽中复核：A、B、C');
  });
});
