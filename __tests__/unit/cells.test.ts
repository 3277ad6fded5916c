import fc from 'fast-check';
import {
  cellText,
  excelSerialToDate,
  parseAmountCell,
  parseDateCell,
  parsePointsCell,
} from '../../server/domain/cells';
import { fenToWan } from '../../server/domain/money';

const fen = (cell: Parameters<typeof parseAmountCell>[0]) => {
  const r = parseAmountCell(cell);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const refusal = (r: { ok: boolean; message?: string }) => (r.ok ? 'accepted' : r.message);

describe('amounts in 万元 become integer fen exactly', () => {
  it.each([
    ['522.61', 522610000n],
    ['7.6873', 7687300n],
    ['0.000001', 1n],
    ['1,234.5', 1234500000n],
    ['10769.64', 10769640000n],
    ['０．５', 500000n],
    ['.5', 500000n],
    ['0', 0n],
    [' 947.0 ', 947000000n],
  ])('%s → %s fen', (text, expected) => expect(fen(text)).toBe(expected));

  it('reads Excel number cells as the 15 digits Excel shows, so 0.1+0.2 is 0.3 万元', () => {
    expect(fen(0.1 + 0.2)).toBe(300000n);
    expect(fen(9613.2571)).toBe(9613257100n);
    expect(fen(263)).toBe(263000000n);
  });

  it.each([
    ['1,2.5', '不是数字"1,2.5"'],
    ['-3', '金额不能为负数"-3"'],
    ['abc', '不是数字"abc"'],
    ['1.2345678', '小数位数超过6位"1.2345678"'],
    ['1e5', '不是数字"1e5"'],
    ['', '金额为空'],
    ['=SUM(A1:A2)', '不是数字"=SUM(A1:A2)"'],
  ])('refuses %j: %s', (text, message) => expect(refusal(parseAmountCell(text))).toBe(message));

  it('refuses an error cell with its own message', () => {
    expect(refusal(parseAmountCell({ error: '单元格是错误值 #N/A' }))).toBe('单元格是错误值 #N/A');
  });

  it('property: any fen amount written as 万元 (any trailing zeros, with or without separators) parses back to itself', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (value, zeros, separators) => {
          let text = fenToWan(value, 6) + '0'.repeat(zeros);
          if (separators) {
            const [whole, frac] = text.split('.');
            text = `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
          }
          expect(fen(text)).toBe(value);
        },
      ),
    );
  });

  it('property: text with a letter or a second point is never a number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,6}\.\d{1,4}$/), fc.constantFrom('a', '.', '元', 'e3'), (number, junk) => {
        expect(parseAmountCell(number + junk).ok).toBe(false);
      }),
    );
  });
});

describe('scores are 0–100 in hundredths', () => {
  const score = (text: string | number) => parsePointsCell(text, '自评得分', 10000);
  it('reads 95, 85.5, 93.20 and 100', () => {
    expect([score('95'), score('85.5'), score('93.20'), score(100)]).toEqual([
      { ok: true, value: 9500 },
      { ok: true, value: 8550 },
      { ok: true, value: 9320 },
      { ok: true, value: 10000 },
    ]);
  });
  it('refuses over 100, three decimals and negatives', () => {
    expect(refusal(score('100.01'))).toBe('自评得分不能超过100"100.01"');
    expect(refusal(score('92.125'))).toBe('小数位数超过2位"92.125"');
    expect(refusal(score('-1'))).toBe('自评得分不能为负数"-1"');
  });
  it('property: every hundredth from 0 to 100 round-trips, and everything above 100 is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20000 }), (h) => {
        const text = `${Math.floor(h / 100)}.${String(h % 100).padStart(2, '0')}`;
        const r = score(text);
        if (h <= 10000) expect(r).toEqual({ ok: true, value: h });
        else expect(r.ok).toBe(false);
      }),
    );
  });
});

describe('dates', () => {
  it.each([
    ['2024-03-05', '2024-03-05'],
    ['2024/4/8', '2024-04-08'],
    ['2024年3月5日', '2024-03-05'],
    ['2024.3.5', '2024-03-05'],
    ['20240305', '2024-03-05'],
  ])('%s → %s', (text, expected) => expect(parseDateCell(text)).toEqual({ ok: true, value: expected }));

  it('reads Excel serial numbers (LibreOffice writes dates as plain serials) and date cells', () => {
    expect(parseDateCell(45356)).toEqual({ ok: true, value: '2024-03-05' });
    expect(parseDateCell(new Date(Date.UTC(2024, 2, 20)))).toEqual({ ok: true, value: '2024-03-20' });
    expect(excelSerialToDate(59)).toBe('1900-02-28');
    expect(excelSerialToDate(60)).toBeUndefined();
    expect(excelSerialToDate(61)).toBe('1900-03-01');
    expect(excelSerialToDate(45356.75)).toBe('2024-03-05');
  });

  it('refuses dates that do not exist', () => {
    expect(refusal(parseDateCell('2023-02-29'))).toContain('不是有效日期"2023-02-29"');
    expect(refusal(parseDateCell('下周'))).toContain('不是有效日期');
  });
});

describe('cell text', () => {
  it('removes the apostrophe our exports put before a formula character, and nothing else', () => {
    expect(cellText("'=1+1")).toBe('=1+1');
    expect(cellText("'abc")).toBe("'abc");
    expect(cellText('  县民政局 ')).toBe('县民政局');
  });
});
