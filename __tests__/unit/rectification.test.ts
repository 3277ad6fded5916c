import {
  countByStatus,
  isRectificationOverdue,
  parseRectificationText,
  stepRefusal,
  submitProblems,
} from '../../server/domain/rectification';

describe('rectification steps', () => {
  it('the unit writes while open or returned; the lead decides only what was submitted', () => {
    expect(stepRefusal('save', 'open')).toBeNull();
    expect(stepRefusal('submit', 'returned')).toBeNull();
    expect(stepRefusal('save', 'submitted')).toBe('整改情况已提交，待组长销号或退回后才能修改');
    expect(stepRefusal('save', 'accepted')).toBe('该整改事项已销号，不能再修改');
    expect(stepRefusal('accept', 'submitted')).toBeNull();
    expect(stepRefusal('return', 'submitted')).toBeNull();
    expect(stepRefusal('accept', 'open')).toBe('单位尚未提交整改情况，不能销号或退回');
    expect(stepRefusal('return', 'accepted')).toBe('该整改事项已销号');
  });
  it('a submission needs both the measures and the result', () => {
    expect(submitProblems({ measures: '细化绩效目标', result: '已修订目标表' })).toEqual([]);
    expect(submitProblems({ measures: null, result: '短' }).map((p) => p.field)).toEqual(['measures', 'result']);
  });
  it('reads the text once, leaving out what was not sent and naming what is too long', () => {
    const errors: Array<{ field: string; message: string }> = [];
    expect(parseRectificationText({ measures: '  措施  ' }, errors)).toEqual({ measures: '措施', result: undefined });
    parseRectificationText({ result: '长'.repeat(5001) }, errors);
    expect(errors).toEqual([{ field: 'result', message: '整改结果不能超过5000字（现为5001字）' }]);
  });
  it('is overdue after its date until accepted, and counts every status', () => {
    expect(isRectificationOverdue('2027-03-31', 'open', '2027-04-01')).toBe(true);
    expect(isRectificationOverdue('2027-03-31', 'submitted', '2027-03-31')).toBe(false);
    expect(isRectificationOverdue('2027-03-31', 'accepted', '2027-06-01')).toBe(false);
    expect(countByStatus(['open', 'open', 'accepted'])).toEqual({ open: 2, submitted: 0, returned: 0, accepted: 1 });
  });
});
