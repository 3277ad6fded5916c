/**
 * Spreadsheets the bureau downloads: the import template and the population list. Text that
 * Excel would take for a formula is written with a leading apostrophe (import-format.md).
 */

import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { fenToWan } from '../domain/money';
import { INDICATOR_COLUMNS, KIND_LABELS, SUBMISSION_COLUMNS } from '../domain/population';
import { WARNINGS, warningKeysOf } from '../domain/warnings';
import { Submission } from './repository';

/** `=`, `+`, `-`, `@` (and tab or carriage return, which some spreadsheet programs skip) start a formula. */
export function safeText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDCE6F1' } };

function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.eachCell((cell) => {
    cell.fill = HEADER_FILL;
    cell.alignment = { vertical: 'middle', wrapText: true };
  });
}

const wanNumber = (fen: bigint | null) => (fen === null ? null : Number(fenToWan(fen, 6)));
const scoreNumber = (hundredths: number | null) => (hundredths === null ? null : hundredths / 100);
/** A calendar date as Excel keeps one (a date cell, not text), so that it sorts and filters as a date. */
const dateCell = (isoDate: string | null) => {
  const m = isoDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate) : null;
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : isoDate;
};

export const EXPORT_COLUMNS: Array<{
  header: string;
  width: number;
  value: (s: Submission) => string | number | Date | null;
  numFmt?: string;
}> = [
  { header: '类型', width: 12, value: (s) => KIND_LABELS[s.kind] },
  { header: '编码', width: 16, value: (s) => safeText(s.code) },
  { header: '主管部门', width: 20, value: (s) => safeText(s.department) },
  { header: '预算单位', width: 20, value: (s) => safeText(s.unit) },
  { header: '项目名称', width: 28, value: (s) => safeText(s.name) },
  { header: '资金性质', width: 14, value: (s) => safeText(s.fundingSource) },
  { header: '预算数（万元）', width: 14, value: (s) => wanNumber(s.budgetFen), numFmt: '#,##0.00####' },
  { header: '执行数（万元）', width: 14, value: (s) => wanNumber(s.executedFen), numFmt: '#,##0.00####' },
  { header: '自评得分', width: 10, value: (s) => scoreNumber(s.selfScore), numFmt: '0.##' },
  { header: '自评等级', width: 10, value: (s) => s.selfGrade },
  { header: '报送日期', width: 12, value: (s) => dateCell(s.submittedOn), numFmt: 'yyyy-mm-dd' },
  { header: '联系人', width: 10, value: (s) => safeText(s.contact) },
  { header: '备注', width: 20, value: (s) => safeText(s.note) },
  {
    header: '预算执行率',
    width: 11,
    value: (s) => (s.executionRateBp === null ? null : s.executionRateBp / 10000),
    numFmt: '0.00%',
  },
  { header: '得分对应等级', width: 10, value: (s) => s.scoreGrade },
  { header: '指标数', width: 8, value: (s) => s.indicatorCount },
  {
    header: '警示',
    width: 30,
    value: (s) =>
      warningKeysOf(s.warnings)
        .map((k) => WARNINGS[k].label)
        .join('；'),
  },
  {
    header: '其他信息',
    width: 30,
    value: (s) =>
      safeText(
        s.extra
          ? Object.entries(s.extra)
              .map(([k, v]) => `${k}：${v}`)
              .join('；')
          : '',
      ),
  },
];

/**
 * Streams the rows to `output` as one sheet, without holding the workbook in memory: amounts,
 * scores, rates and dates as numbers with their formats, the header frozen and filterable, and a
 * notes sheet naming the filters the list had when it was exported.
 */
export async function writePopulationXlsx(
  output: Writable,
  title: string,
  rows: AsyncIterable<Submission>,
  filters: string[] = [],
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  workbook.creator = 'fuhe';
  const sheet = workbook.addWorksheet('自评汇总', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: EXPORT_COLUMNS.length } };
  sheet.columns = EXPORT_COLUMNS.map((c) => ({
    header: c.header,
    width: c.width,
    style: c.numFmt ? { numFmt: c.numFmt } : {},
  }));
  styleHeader(sheet.getRow(1));
  sheet.getRow(1).commit();
  for await (const submission of rows) {
    sheet.addRow(EXPORT_COLUMNS.map((c) => c.value(submission))).commit();
  }
  sheet.commit();
  const about = workbook.addWorksheet('说明');
  about.addRow([safeText(title)]).commit();
  about
    .addRow([
      '金额单位：万元；自评得分满分100分。本表由系统导出，可按导入模板格式重新导入（"预算执行率"等计算列将作为其他信息保留）。',
    ])
    .commit();
  about
    .addRow([filters.length ? `导出时的筛选条件：${filters.join('；')}` : '导出时的筛选条件：无（全部记录）'])
    .commit();
  about.commit();
  await workbook.commit();
}

const COLUMN_RULES: Record<string, string> = {
  kind: '"项目支出"或"部门整体支出"。',
  code: '项目编码或单位编码，批次内唯一，1–64个字。',
  unit: '部门整体支出可与主管部门相同。',
  name: '项目支出必填；部门整体支出不填时为"预算单位＋部门整体支出"。',
  fundingSource: '如一般公共预算、政府性基金预算、上级转移支付。',
  budgetWan: '单位万元，不小于0，最多6位小数，可用千分位逗号。',
  executedWan: '单位万元，格式同预算数。',
  selfScore: '0–100分，最多2位小数。',
  selfGrade: '优、良、中或差；与得分对应等级不一致时照常导入并标出警示。',
  submittedOn: '如 2024-03-05、2024/3/5 或 2024年3月5日，也可以是 Excel 日期单元格。',
};

const INDICATOR_RULES: Record<string, string> = {
  code: '必须是"自评汇总"中已有的编码。',
  level1: '如产出指标、效益指标、满意度指标、预算执行率。',
  level2: '如数量指标、质量指标、时效指标、成本指标、社会效益指标。',
  nature: '定量或定性，或比较符号 ≥ ≤ = > <。',
  target: '按原文填写，如"≥95%"。',
  weight: '大于0，最多2位小数。',
  actual: '按原文填写。',
  score: '不小于0，应不超过分值；超过分值的照常导入并标出警示。',
};

const NOTES: Array<[string, string]> = [
  [
    '工作表',
    '"自评汇总"每行一条自评记录（必填）；"绩效指标"每行一个绩效指标（可选）。表头必须在第1行，列的顺序不限，其他列作为附加信息保留。',
  ],
  ...SUBMISSION_COLUMNS.map((c): [string, string] => [
    `自评汇总 · ${c.label}`,
    `${c.required ? '必填' : '选填'}。${COLUMN_RULES[c.key] ?? ''}`,
  ]),
  ...INDICATOR_COLUMNS.map((c): [string, string] => [
    `绩效指标 · ${c.label}`,
    `${c.required ? '必填' : '选填'}。${INDICATOR_RULES[c.key] ?? ''}`,
  ]),
  ['全部或全不', '任何一行有错误，整个文件都不会导入；系统会列出每一处错误的行号和列名，更正后重新上传即可。'],
  ['限制', '文件不超过 50 MB，不超过 1,000,000 行；CSV 可为 UTF-8 或 GB18030（GBK）编码。'],
];

/** The import template: both sheets with their headers and example rows, and a notes sheet. */
export async function populationTemplate(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'fuhe';
  const population = workbook.addWorksheet('自评汇总', { views: [{ state: 'frozen', ySplit: 1 }] });
  population.columns = SUBMISSION_COLUMNS.map((c) => ({
    header: c.label,
    width: Math.max(12, c.label.length * 2 + 4),
  }));
  population.addRow([
    '项目支出',
    '2023-P001',
    '县民政局',
    '县民政局',
    '农村居民最低生活保障',
    '一般公共预算',
    58.4,
    57.23,
    88,
    '良',
    '2024-03-18',
    '',
    '',
  ]);
  population.addRow([
    '部门整体支出',
    '2023-D001',
    '县民政局',
    '县民政局',
    '',
    '一般公共预算',
    947,
    852.3,
    87,
    '良',
    '2024-03-20',
    '',
    '',
  ]);
  styleHeader(population.getRow(1));

  const indicators = workbook.addWorksheet('绩效指标', { views: [{ state: 'frozen', ySplit: 1 }] });
  indicators.columns = INDICATOR_COLUMNS.map((c) => ({ header: c.label, width: Math.max(12, c.label.length * 2 + 4) }));
  indicators.addRow(['2023-P001', '产出指标', '数量指标', '保障对象人数', '≥', '≥1200人', '人', 50, '1216人', 48]);
  indicators.addRow([
    '2023-P001',
    '效益指标',
    '社会效益指标',
    '困难群众基本生活得到保障',
    '定性',
    '有效保障',
    '',
    30,
    '有效保障',
    21,
  ]);
  indicators.addRow([
    '2023-P001',
    '满意度指标',
    '服务对象满意度指标',
    '保障对象满意度',
    '≥',
    '≥90%',
    '%',
    10,
    '93%',
    9.2,
  ]);
  indicators.addRow(['2023-P001', '预算执行率', '', '预算执行率', '=', '100%', '%', 10, '98.0%', 9.8]);
  styleHeader(indicators.getRow(1));

  const notes = workbook.addWorksheet('填写说明');
  notes.columns = [
    { header: '项目', width: 24 },
    { header: '说明', width: 90 },
  ];
  for (const [item, text] of NOTES) notes.addRow([item, text]).alignment = { wrapText: true, vertical: 'top' };
  styleHeader(notes.getRow(1));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
