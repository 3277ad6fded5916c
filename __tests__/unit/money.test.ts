import { fenToWan, formatWan, parseWanToFen } from '../../server/domain/money';

describe('amounts in 万元 become integer fen exactly', () => {
  it.each([
    ['27177.29', 27177290000n],
    ['27177.289', 27177289000n],
    ['0.000001', 1n],
    ['1,234.5', 1234500000n],
    ['7.6873', 7687300n],
    ['0', 0n],
    [' 522.61 ', 522610000n],
    // 0.1 + 0.2 style traps: no floating point between text and integer
    ['0.3', 300000n],
    ['90071992547.409919', 90071992547409919n],
  ])('%s → %s fen', (text, fen) => {
    expect(parseWanToFen(text)).toEqual({ ok: true, value: fen });
  });

  it.each([
    ['', '金额为空'],
    ['-1', '金额不能为负数"-1"'],
    ['1,2.5', '不是数字"1,2.5"'],
    ['12a', '不是数字"12a"'],
    ['1e5', '不是数字"1e5"'],
    ['0.0000001', '小数位数超过6位"0.0000001"'],
  ])('refuses %j: %s', (text, message) => {
    expect(parseWanToFen(text)).toEqual({ ok: false, message });
  });

  it('formats fen as 万元 with two decimals, rounding half up, in one place', () => {
    expect(fenToWan(27177289000n)).toBe('27177.29');
    expect(fenToWan(10215460000n)).toBe('10215.46');
    expect(fenToWan(4999n)).toBe('0.00');
    expect(fenToWan(5000n)).toBe('0.01');
    expect(fenToWan(0n)).toBe('0.00');
    expect(formatWan(27177289000n)).toBe('27,177.29');
    expect(formatWan(1234567890123n)).toBe('1,234,567.89');
  });
});
