import { formFieldOf } from '../../server/reviews/itemView';

describe('a save error finds its field on the review form', () => {
  it.each([
    ['indicators.12.reviewScore', 'ind_12_score'],
    ['indicators.12.note', 'ind_12_note'],
    ['indicators.12.percent', 'ind_12_rule'],
    ['indicators.12.reviewActual', 'ind_12_actual'],
    ['dimensions.绩效目标编制', 'dim_0_judgement'],
    ['dimensions.满意度.note', 'dim_6_note'],
    ['quality.timelinessReason', 'q_timeliness_reason'],
    ['comment', 'comment'],
  ])('%s → %s', (field, name) => {
    expect(formFieldOf(field)).toBe(name);
  });
  it.each(['indicators.12.colour', 'dimensions.不存在', '__proto__', 'quality.constructor'])(
    '%s has no field',
    (field) => {
      expect(formFieldOf(field)).toBeUndefined();
    },
  );
});
