import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { fenToWan } from '../domain/money';
import { KIND_LABELS } from '../domain/population';
import { formatU, METHODS, REASONS } from '../domain/sampling';
import { formatRateBp, WARNINGS, warningKeysOf } from '../domain/warnings';
import { safeText } from '../population/spreadsheets';
import { Submission } from '../population/repository';
import { Draw, StoredPick } from './repository';

/** The sample as a workbook: the picks, and a sheet with the draw's parameters. */
export async function writeSampleXlsx(
  output: Writable,
  title: string,
  draw: Draw,
  rows: Array<{ pick: StoredPick; submission: Submission }>,
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  workbook.creator = 'fuhe';
  const sheet = workbook.addWorksheet('样本', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    { header: '类型', width: 12 },
    { header: '序号', width: 6 },
    { header: '编码', width: 16 },
    { header: '入样原因', width: 10 },
    { header: 'u', width: 22 },
    { header: '主管部门', width: 20 },
    { header: '预算单位', width: 20 },
    { header: '项目名称', width: 28 },
    { header: '预算数（万元）', width: 14, style: { numFmt: '#,##0.00####' } },
    { header: '执行率', width: 10 },
    { header: '自评得分', width: 10 },
    { header: '得分对应等级', width: 10 },
    { header: '警示', width: 30 },
  ];
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for (const { pick, submission: s } of rows) {
    sheet
      .addRow([
        KIND_LABELS[pick.kind],
        pick.rank,
        safeText(pick.code),
        REASONS[pick.reason],
        formatU(pick.u),
        safeText(s.department),
        safeText(s.unit),
        safeText(s.name),
        Number(fenToWan(s.budgetFen, 6)),
        formatRateBp(s.executionRateBp),
        s.selfScore / 100,
        s.scoreGrade,
        warningKeysOf(s.warnings)
          .map((k) => WARNINGS[k].label)
          .join('；'),
      ])
      .commit();
  }
  sheet.commit();
  const about = workbook.addWorksheet('抽样参数');
  const facts: Array<[string, string]> = [
    ['批次', title],
    ['抽样方法', `${draw.procedure}，${METHODS[draw.method]}`],
    ['随机种子', draw.seed],
    ['总体指纹', draw.fingerprint],
    ['抽取数量', `项目支出 ${draw.quota.project} 个，部门整体支出 ${draw.quota.department} 个`],
    ['总体数量', `项目支出 ${draw.population.project} 个，部门整体支出 ${draw.population.department} 个`],
    [
      '必抽',
      [
        draw.mandatoryMinBudgetFen === null ? '' : `预算数不低于 ${fenToWan(draw.mandatoryMinBudgetFen)} 万元`,
        draw.mandatoryCodes.join('、'),
      ]
        .filter(Boolean)
        .join('；') || '无',
    ],
    [
      '排除',
      draw.excludeCodes.length
        ? `${draw.excludeCodes.length} 个编码${draw.excludeNote ? `（${draw.excludeNote}）` : ''}`
        : '无',
    ],
    ['公开核验', `/p/draws/${draw.publicId}`],
  ];
  for (const [k, v] of facts) about.addRow([k, safeText(v)]).commit();
  about.commit();
  await workbook.commit();
}
