/**
 * Offline review results for third-party agencies (import-format.md §3): the assigned items go
 * out as a `复核结果` sheet, come back filled, and are stored all or nothing. Each row carries the
 * review version it was downloaded at, so work done in the system since then is never overwritten.
 */

import ExcelJS from 'exceljs';
import { Cell, cellText, isEmptyCell, parsePointsCell } from '../domain/cells';
import { formatScore } from '../domain/grades';
import { ImportProblem, ProblemList, Sheet } from '../domain/population';
import { KIND_LABELS } from '../domain/population';
import { safeText } from '../population/spreadsheets';
import { SampleItem } from './sampleRepository';

export const RESULTS_SHEET = '复核结果';

const COLUMNS = [
  { key: 'code', label: '编码', aliases: ['code'] },
  { key: 'reviewScore', label: '复核得分', aliases: ['reviewscore'] },
  { key: 'qualityScore', label: '自评工作质量得分', aliases: ['qualityscore'] },
  { key: 'comment', label: '复核意见', aliases: ['comment'] },
  { key: 'findingCategory', label: '问题类别', aliases: ['findingcategory'] },
  { key: 'findingDescription', label: '问题描述', aliases: ['findingdescription'] },
  { key: 'version', label: '版本（勿改）', aliases: ['版本', 'version'] },
] as const;
type Key = (typeof COLUMNS)[number]['key'];

const headerKey = (text: string) => text.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

export interface OfflineRow {
  row: number;
  code: string;
  reviewScore: number;
  qualityScore: number | null;
  comment: string | null;
  categories: string[];
  findingDescription: string | null;
  version: number | null;
}

/** Reads the sheet; every problem by row and column, like the population import. */
export function parseResults(sheet: Sheet): { rows: OfflineRow[]; problems: ProblemList } {
  const problems = new ProblemList();
  const header = sheet.rows[0];
  const index: Partial<Record<Key, number>> = {};
  header?.cells.forEach((cell, i) => {
    const text = headerKey(cellText(cell)).replace(/\(勿改\)$/, '');
    const column = COLUMNS.find(
      (c) => headerKey(c.label).replace(/\(勿改\)$/, '') === text || c.aliases.some((a) => headerKey(a) === text),
    );
    if (column && index[column.key] === undefined) index[column.key] = i;
  });
  for (const required of ['code', 'reviewScore'] as const) {
    if (index[required] === undefined)
      problems.add({
        sheet: sheet.name,
        row: header?.number ?? 1,
        column: COLUMNS.find((c) => c.key === required)!.label,
        message: `缺少必填列"${COLUMNS.find((c) => c.key === required)!.label}"`,
      });
  }
  if (problems.count) return { rows: [], problems };
  const rows: OfflineRow[] = [];
  for (const row of sheet.rows.slice(1)) {
    const cell = (key: Key): Cell => (index[key] === undefined ? null : (row.cells[index[key]!] ?? null));
    if (row.cells.every(isEmptyCell)) continue;
    const problem = (key: Key, message: string) =>
      problems.add({ sheet: sheet.name, row: row.number, column: COLUMNS.find((c) => c.key === key)!.label, message });
    const code = cellText(cell('code'));
    if (!code) problem('code', '必填，不能为空');
    // A row without any result is an item not reviewed yet: left for later, not an error.
    if (
      code &&
      (['reviewScore', 'qualityScore', 'comment', 'findingCategory', 'findingDescription'] as const).every((k) =>
        isEmptyCell(cell(k)),
      )
    )
      continue;
    const score = parsePointsCell(cell('reviewScore'), '复核得分', 10000);
    if (!score.ok) problem('reviewScore', score.message);
    const qualityCell = cell('qualityScore');
    const quality = isEmptyCell(qualityCell) ? undefined : parsePointsCell(qualityCell, '自评工作质量得分', 10000);
    if (quality && !quality.ok) problem('qualityScore', quality.message);
    const versionText = cellText(cell('version'));
    const version = versionText === '' ? null : Number(versionText);
    if (version !== null && !Number.isInteger(version))
      problem('version', `版本号"${versionText}"不正确，请勿修改这一列`);
    const categories = cellText(cell('findingCategory'))
      .split(/[；;]/)
      .map((c) => c.trim())
      .filter(Boolean);
    const findingDescription = cellText(cell('findingDescription')) || null;
    if (categories.length && !findingDescription) problem('findingDescription', '填写了问题类别，须同时描述问题');
    if (!code || !score.ok || (quality && !quality.ok)) continue;
    rows.push({
      row: row.number,
      code,
      reviewScore: score.value,
      qualityScore: quality?.ok ? quality.value : null,
      comment: cellText(cell('comment')) || null,
      categories,
      findingDescription,
      version,
    });
  }
  if (rows.length === 0 && problems.count === 0)
    problems.add({ sheet: sheet.name, row: null, column: null, message: '没有数据行' });
  return { rows, problems };
}

/** The assigned items as a sheet to fill in, with the review each already has. */
export async function resultsWorkbook(
  items: Array<SampleItem & { version: number; comment: string | null; qualityScore: number | null }>,
  blind: boolean,
): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'fuhe';
  const sheet = workbook.addWorksheet(RESULTS_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    { header: '编码', width: 14 },
    { header: '复核得分', width: 10 },
    { header: '自评工作质量得分', width: 16 },
    { header: '复核意见', width: 40 },
    { header: '问题类别', width: 16 },
    { header: '问题描述', width: 40 },
    { header: '版本（勿改）', width: 10 },
    { header: '类型', width: 12 },
    { header: '项目名称', width: 28 },
    { header: '主管部门', width: 18 },
    { header: '自评得分', width: 10 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const item of items) {
    sheet.addRow([
      safeText(item.code),
      item.reviewScore === null ? null : item.reviewScore / 100,
      item.qualityScore === null ? null : item.qualityScore / 100,
      safeText(item.comment),
      null,
      null,
      item.version,
      KIND_LABELS[item.kind],
      safeText(item.name),
      safeText(item.department),
      blind ? null : Number(formatScore(item.selfScore)),
    ]);
  }
  const notes = workbook.addWorksheet('填写说明');
  for (const line of [
    '每行一个分配给您的样本项目。"复核得分"必填（0–100，最多两位小数）；"自评工作质量得分"选填。',
    '"问题类别"填类别编码或名称（如 P01 或"预算执行率低（资金闲置沉淀）"），多个用分号分隔，并填写"问题描述"。',
    '"版本"一列请勿修改：如果该项目在系统中已被他人修改，上传会被拒绝，以免覆盖。',
    '整份文件全部正确才会保存；有错误时会列出每一处的行号和列名。',
  ])
    notes.addRow([line]);
  notes.getColumn(1).width = 110;
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export type { ImportProblem };
