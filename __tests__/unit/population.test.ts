import { parseKind, parsePopulation, Sheet } from '../../server/domain/population';
import { canonicalPopulation, populationFingerprint } from '../../server/domain/sampling';
import { assess, warningKeysOf } from '../../server/domain/warnings';
import { zipWith } from '../helpers/zip';
import { checkZip, decodeText, detectFormat, parseCsv, UnreadableFile } from '../../server/files/formats';

const HEADER = [
  '类型',
  '编码',
  '主管部门',
  '预算单位',
  '项目名称',
  '预算数（万元）',
  '执行数（万元）',
  '自评得分',
  '自评等级',
  '报送日期',
];
const sheet = (rows: Array<Array<string | number | null>>, name = '自评汇总'): Sheet => ({
  name,
  rows: rows.map((cells, i) => ({ number: i + 1, cells })),
});
const project = (code: string, extra: Partial<Record<string, string>> = {}) => {
  const values: Record<string, string> = {
    类型: '项目支出',
    编码: code,
    主管部门: '县民政局',
    预算单位: '县民政局',
    项目名称: '低保',
    '预算数（万元）': '58.4',
    '执行数（万元）': '57.23',
    自评得分: '88',
    自评等级: '良',
    报送日期: '2024-03-18',
    ...extra,
  };
  return HEADER.map((h) => values[h]);
};

describe('reading the population sheet', () => {
  it('reads a record with amounts in fen and the score in hundredths', () => {
    const result = parsePopulation(sheet([HEADER, project('2023-P006')]));
    expect(result.problems).toEqual([]);
    expect(result.submissions[0]).toMatchObject({
      rowNumber: 2,
      kind: 'project',
      code: '2023-P006',
      budgetFen: 58400000n,
      executedFen: 57230000n,
      selfScore: 8800,
      selfGrade: '良',
      submittedOn: '2024-03-18',
      extra: null,
    });
  });

  it('accepts the English header names in any case, in any order, and keeps unknown columns', () => {
    const result = parsePopulation(
      sheet([
        ['CODE', 'Kind', 'department', 'unit', 'budgetWan', 'selfScore', '绩效目标'],
        ['2023-D001', '整体支出', '县民政局', '县民政局', '947', '87', '保障民生'],
      ]),
    );
    expect(result.problems).toEqual([]);
    expect(result.submissions[0]).toMatchObject({
      kind: 'department',
      name: '县民政局部门整体支出',
      extra: { 绩效目标: '保障民生' },
    });
  });

  it('finds the header below a title row and keeps the spreadsheet row numbers', () => {
    const result = parsePopulation(
      sheet([['2023年度项目支出绩效自评汇总表'], [], HEADER, project('P1', { '预算数（万元）': 'abc' })]),
    );
    expect(result.problems).toEqual([
      { sheet: '自评汇总', row: 4, column: '预算数（万元）', message: '不是数字"abc"' },
    ]);
  });

  it('lists every problem of every row at once', () => {
    const result = parsePopulation(
      sheet([
        HEADER,
        project('P1', { '预算数（万元）': '-5', 自评得分: '101' }),
        project('P2', { 类型: '专项', 报送日期: '2024-02-30' }),
        project('P1'),
        project('=HYPERLINK("x")'),
        project('P5', { 项目名称: '', 自评等级: 'A' }),
      ]),
    );
    expect(result.problems.map((p) => `${p.row}|${p.column}|${p.message}`)).toEqual([
      '2|预算数（万元）|预算数不能为负数"-5"',
      '2|自评得分|自评得分不能超过100"101"',
      '3|类型|类型"专项"不正确，应为"项目支出"或"部门整体支出"',
      '3|报送日期|不是有效日期"2024-02-30"（应为 2024-03-05、2024/3/5 或 2024年3月5日）',
      '4|编码|编码"P1"重复，与第2行相同',
      '5|编码|编码不能以 = + - @ 开头"=HYPERLINK("x")"（可能是公式）',
      '6|项目名称|项目支出必须填写项目名称',
      '6|自评等级|自评等级"A"不正确，应为优、良、中或差',
    ]);
    expect(result.problemCount).toBe(8);
  });

  it('names missing required columns, and refuses a sheet with no records', () => {
    expect(
      parsePopulation(
        sheet([
          ['类型', '编码', '预算数（万元）'],
          ['项目支出', 'P1', '1'],
        ]),
      ).problems,
    ).toEqual([
      {
        sheet: '自评汇总',
        row: 1,
        column: '主管部门、预算单位、自评得分',
        message: '缺少必填列："主管部门"、"预算单位"、"自评得分"（表头应在第1行）',
      },
    ]);
    expect(parsePopulation(sheet([HEADER])).problems[0].message).toBe('没有数据行：表头下面至少要有一条自评记录');
    expect(parsePopulation(sheet([])).problems[0].message).toBe('文件或工作表是空的，没有表头和数据');
  });

  it('checks indicators against the population, and flags (not refuses) a score above its weight', () => {
    const indicators = sheet(
      [
        ['编码', '一级指标', '三级指标', '分值', '自评得分'],
        ['P1', '产出指标', '保障人数', '50', '55'],
        ['P9', '产出指标', '保障人数', '50', '40'],
        ['P1', '效益指标', '', '0', '0'],
      ],
      '绩效指标',
    );
    const result = parsePopulation(sheet([HEADER, project('P1')]), indicators);
    expect(result.problems.map((p) => `${p.sheet}|${p.row}|${p.column}|${p.message}`)).toEqual([
      '绩效指标|3|编码|编码"P9"在自评汇总中不存在',
      '绩效指标|4|三级指标|必填，不能为空',
      '绩效指标|4|分值|分值必须大于0',
    ]);
  });
});

describe('the kind of a record', () => {
  it.each([
    ['项目支出', 'project'],
    ['项目', 'project'],
    [' Department ', 'department'],
    ['整体支出', 'department'],
  ])('%s is %s', (text, kind) => expect(parseKind(text)).toBe(kind));
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', '项目支出2'])('%s is no kind', (text) =>
    expect(parseKind(text)).toBeUndefined(),
  );
});

describe('warning signs', () => {
  const base = {
    budgetFen: 1_000_000_000n,
    executedFen: 1_000_000_000n,
    selfScore: 9500,
    selfGrade: null,
    submittedOn: '2024-03-05',
  };
  type Input = Partial<Parameters<typeof assess>[0]> & { indicators?: Parameters<typeof assess>[1] };
  const keys = ({ indicators = [], ...input }: Input, deadline: string | null = '2024-03-31') =>
    warningKeysOf(assess({ ...base, ...input }, indicators, deadline).warnings);

  it('a clean record has none', () => expect(keys({})).toEqual([]));
  it('self-grade not the one the score earns', () =>
    expect(keys({ selfScore: 8550, selfGrade: '优' })).toEqual(['gradeMismatch']));
  it('execution below 80 %, and the score rate far above it', () => {
    expect(keys({ executedFen: 799_999_999n, selfScore: 8000 })).toEqual(['lowExecution']);
    expect(keys({ executedFen: 799_999_999n })).toEqual(['lowExecution', 'scoreAboveExecution']);
  });
  it('the 5 % relative rule is exact at the boundary', () => {
    // score rate 0.95 × 0.95 = 0.9025 is exactly 5 % above an execution rate of 0.9025: not flagged.
    expect(keys({ executedFen: 902_500_000n })).toEqual([]);
    expect(keys({ executedFen: 902_499_999n })).toEqual(['scoreAboveExecution']);
  });
  it('budget 0', () => expect(keys({ budgetFen: 0n, executedFen: 0n })).toEqual(['zeroBudget']));
  it('late against the round deadline, not without one', () => {
    expect(keys({ submittedOn: '2024-04-08' })).toEqual(['late']);
    expect(keys({ submittedOn: '2024-04-08' }, null)).toEqual([]);
  });
  it('indicators: all full marks, points not adding up, a score above its weight', () => {
    const full = [
      { level1: '产出指标', weight: 9000, score: 9000 },
      { level1: '预算执行率', weight: 1000, score: 1000 },
    ];
    expect(keys({ selfScore: 10000, indicators: full })).toEqual(['allFullMarks']);
    expect(keys({ selfScore: 9500, indicators: full })).toEqual(['pointsMismatch', 'allFullMarks']);
    const over = [
      { level1: '产出指标', weight: 9000, score: 9613 },
      { level1: '预算执行率', weight: 1000, score: 287 },
    ];
    expect(keys({ selfScore: 9900, executedFen: 287_000_000n, indicators: over })).toEqual([
      'lowExecution',
      'scoreAboveExecution',
      'overWeight',
    ]);
  });
  it('execution points are weight × executed / budget, capped at the weight', () => {
    const a = assess(
      { ...base, budgetFen: 76_873_00n, executedFen: 75_300_00n },
      [{ level1: '预算执行率', weight: 1000, score: 980 }],
      null,
    );
    expect([a.executionRateBp, a.executionWeight, a.executionPoints]).toEqual([9795, 1000, 980]);
    expect(assess({ ...base, executedFen: 2_000_000_000n }, [], null).executionPoints).toBe(1000);
  });
});

describe('FUHE-DRAW-1 fingerprint', () => {
  const vector = [
    { code: 'P-003', kind: 'project' as const, budgetFen: 1200000000n, selfScore: 9500 },
    { code: 'P-001', kind: 'project' as const, budgetFen: 54000000n, selfScore: 9800 },
    { code: 'D-001', kind: 'department' as const, budgetFen: 4525800000n, selfScore: 9900 },
    { code: 'P-002', kind: 'project' as const, budgetFen: 0n, selfScore: 8800 },
    { code: 'D-002', kind: 'department' as const, budgetFen: 91000000n, selfScore: 9100 },
  ];
  it('matches the reference vector of spec/sampling.md, whatever the file order', () => {
    expect(populationFingerprint(vector)).toBe('90ad0199d403e8a084fd10616570cd69b208ae2dbd22e28d25f09974cc3cbd72');
    expect(populationFingerprint([...vector].reverse())).toBe(
      '90ad0199d403e8a084fd10616570cd69b208ae2dbd22e28d25f09974cc3cbd72',
    );
    expect(canonicalPopulation(vector).split('\n')[0]).toBe('D-001\t部门整体支出\t4525800000\t9900');
  });
});

describe('CSV files', () => {
  it('splits quoted fields with commas, quotes and line breaks; CRLF or LF; row numbers as Excel counts them', () => {
    const sheet = parseCsv('a,b,c\r\n"x, y","he said ""hi""","two\nlines"\n\n1,2,3', 'S', 100);
    expect(sheet.rows).toEqual([
      { number: 1, cells: ['a', 'b', 'c'] },
      { number: 2, cells: ['x, y', 'he said "hi"', 'two\nlines'] },
      { number: 3, cells: [''] },
      { number: 4, cells: ['1', '2', '3'] },
    ]);
  });
  it('takes tabs as the separator when the header has more of them', () => {
    expect(parseCsv('类型\t编码\n项目\tP,1', 'S', 10).rows[1].cells).toEqual(['项目', 'P,1']);
  });
  it('detects UTF-8 (with or without BOM) and GB18030, and refuses anything else', () => {
    expect(decodeText(Buffer.from('\uFEFF编码', 'utf8'))).toEqual({ text: '编码', encoding: 'UTF-8' });
    expect(decodeText(Buffer.from([0xb1, 0xe0, 0xc2, 0xeb]))).toEqual({ text: '编码', encoding: 'GB18030' });
    expect(() => decodeText(Buffer.from([0x41, 0xff, 0xff, 0x42]))).toThrow('无法识别文件编码');
    expect(() => decodeText(Buffer.from([0x41, 0x00, 0x42]))).toThrow('不是 CSV 文本文件');
  });
  it('knows what a file is by its bytes', () => {
    expect(detectFormat(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toBe('xlsx');
    expect(() => detectFormat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1]))).toThrow('旧版 Excel');
    expect(() => detectFormat(Buffer.from('%PDF-1.7'))).toThrow('PDF');
    expect(() => detectFormat(Buffer.alloc(0))).toThrow('文件是空的');
  });
});

describe('xlsx archives are checked before they are opened', () => {
  it('accepts an honest archive', () =>
    expect(() => checkZip(zipWith('a.xml', Buffer.from('<x/>'.repeat(100))))).not.toThrow());
  it('refuses a zip bomb by its compression ratio', () => {
    expect(() => checkZip(zipWith('sheet1.xml', Buffer.alloc(50 * 1024 * 1024)))).toThrow(UnreadableFile);
    expect(() => checkZip(zipWith('sheet1.xml', Buffer.alloc(50 * 1024 * 1024)))).toThrow('压缩比异常');
  });
  it('refuses an entry that inflates to more than it declares', () => {
    const random = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251));
    expect(() => checkZip(zipWith('sheet1.xml', random, 1000))).toThrow('实际大小与声明不符');
  });
  it('refuses too many entries or too much in total', () => {
    expect(() =>
      checkZip(zipWith('a.xml', Buffer.from('x'.repeat(1000))), { entries: 2000, totalBytes: 500, ratio: 200 }),
    ).toThrow('解压后超过');
  });
});
