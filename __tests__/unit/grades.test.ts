import { formatScore, gradeFor } from '../../server/domain/grades';

describe('grades by score (财预〔2020〕10号)', () => {
  it.each([
    [10000, '优'],
    [9000, '优'],
    [8999, '良'],
    [8000, '良'],
    [7999, '中'],
    [6000, '中'],
    [5999, '差'],
    [0, '差'],
  ])('%i hundredths → %s', (score, grade) => {
    expect(gradeFor(score)).toBe(grade);
  });

  it('refuses scores outside 0–100 or not in whole hundredths', () => {
    expect(() => gradeFor(-1)).toThrow(RangeError);
    expect(() => gradeFor(10001)).toThrow(RangeError);
    expect(() => gradeFor(90.5)).toThrow(RangeError);
  });

  it('formats hundredths as people write scores', () => {
    expect(formatScore(9250)).toBe('92.5');
    expect(formatScore(9000)).toBe('90');
    expect(formatScore(8525)).toBe('85.25');
    expect(formatScore(5)).toBe('0.05');
  });
});
