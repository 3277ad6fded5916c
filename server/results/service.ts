import ExcelJS from 'exceljs';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { formatInstantCst, todayCst } from '../domain/dates';
import { GRADES, gradeFor } from '../domain/grades';
import { fenToWan } from '../domain/money';
import { KIND_LABELS } from '../domain/population';
import { isRectificationOverdue, RECTIFICATION_STATUSES } from '../domain/rectification';
import { parseBudgetActions, rectificationSummary, resultsByUnit } from '../domain/results';
import { Conflict, Invalid } from '../errors';
import { safeText } from '../population/spreadsheets';
import { Actor, requireRound } from '../reviews/items';
import { lockRound, updateBudgetActions } from '../rounds/repository';
import { findSampledResults, ResultFilter } from './repository';
import { listCategoryTitles } from '../findings/repository';

/**
 * 结果应用: the results of every round side by side per unit and department, the budget action a
 * round suggests for each grade, and the sheet the budget section takes into next year's budget.
 */
export function resultService({ db, now }: { db: Database; now: () => Date }) {
  return {
    /** Each unit's rounds; a unit's contact gets its own units only, whatever it asks for. */
    async acrossYears(actor: Actor, filter: { unit?: string; department?: string }) {
      const scope: ResultFilter = { ...filter, ...(actor.role === 'unit' && { coveredBy: actor.id }) };
      const today = todayCst(now());
      const [rows, categories] = await Promise.all([findSampledResults(db, scope), listCategoryTitles(db)]);
      const titles = new Map(categories.map((c) => [c.code, c.title]));
      const units = resultsByUnit(
        rows.map((r) => ({
          ...r,
          rectifications: r.rectifications.map((t) => ({
            status: t.status,
            overdue: isRectificationOverdue(t.dueDate, t.status, today),
          })),
        })),
      );
      return units.map((u) => ({
        ...u,
        rounds: u.rounds.map((r) => ({
          ...r,
          problems: r.problems.map((p) => ({ ...p, title: titles.get(p.category) ?? p.category })),
        })),
      }));
    },

    /** The budget actions per grade, by the lead, until the round's announcement is published. */
    async setBudgetActions(context: AuditContext, roundId: number, body: Record<string, unknown>, version: number) {
      const parsed = parseBudgetActions(body);
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        if (round.state === 'published')
          throw new Conflict('公示已发布，预算安排建议不能再修改（已随结果应用表交预算编制使用）');
        if (round.version !== version)
          throw new Conflict(`复核批次已被修改（现为第${round.version}版），请刷新后重试`, undefined, 'stale_version');
        if (!parsed.value) throw new Invalid('预算安排建议不完整', parsed.errors);
        if (!(await updateBudgetActions(trx, roundId, parsed.value, version, at)))
          throw new Conflict('复核批次已被他人修改，请刷新后重试', undefined, 'stale_version');
        await appendAudit(
          trx,
          context,
          {
            action: 'round.budget-actions',
            objectType: 'round',
            objectId: roundId,
            before: round.budgetActions,
            after: parsed.value,
          },
          at,
        );
        return { budgetActions: parsed.value, version: version + 1 };
      });
    },

    /**
     * The 结果应用 sheet: one row per sampled item with its unit, department, project, budget, self
     * and review grade, deviation, suggested budget action and rectification status; and a sheet of
     * the settings used.
     */
    async workbook(roundId: number): Promise<Buffer> {
      const round = await requireRound(db, roundId);
      const today = todayCst(now());
      const rows = await findSampledResults(db, { roundId });
      const book = new ExcelJS.Workbook();
      book.creator = 'fuhe';
      const sheet = book.addWorksheet('结果应用', { views: [{ state: 'frozen', ySplit: 1 }] });
      sheet.columns = [
        { header: '编码', width: 14 },
        { header: '类型', width: 12 },
        { header: '主管部门', width: 20 },
        { header: '预算单位', width: 20 },
        { header: '项目名称', width: 28 },
        { header: '预算数（万元）', width: 14, style: { numFmt: '#,##0.00' } },
        { header: '自评得分', width: 10, style: { numFmt: '0.0#' } },
        { header: '自评等级', width: 10 },
        { header: '复核得分', width: 10, style: { numFmt: '0.0#' } },
        { header: '复核等级', width: 10 },
        { header: '偏差（自评−复核）', width: 14, style: { numFmt: '0.0#;-0.0#;0' } },
        { header: '预算安排建议', width: 20 },
        { header: '整改情况', width: 26 },
        { header: '逾期未销号', width: 10 },
      ];
      sheet.getRow(1).font = { bold: true };
      for (const r of rows) {
        const grade = r.reviewScore === null ? null : gradeFor(r.reviewScore);
        sheet.addRow([
          safeText(r.code),
          KIND_LABELS[r.kind],
          safeText(r.department),
          safeText(r.unit),
          safeText(r.kind === 'department' ? `${r.department}部门整体支出` : r.name),
          Number(fenToWan(r.budgetFen)),
          r.selfScore / 100,
          r.selfGrade ?? gradeFor(r.selfScore),
          r.reviewScore === null ? null : r.reviewScore / 100,
          grade ?? '未确认',
          r.reviewScore === null ? null : (r.selfScore - r.reviewScore) / 100,
          grade ? round.budgetActions[grade] : '复核未确认，暂无建议',
          rectificationSummary(r.rectifications, RECTIFICATION_STATUSES),
          r.rectifications.filter((t) => isRectificationOverdue(t.dueDate, t.status, today)).length,
        ]);
      }
      sheet.autoFilter = { from: 'A1', to: 'N1' };
      const about = book.addWorksheet('设置');
      about.columns = [{ width: 18 }, { width: 60 }];
      about.addRow(['复核批次', safeText(round.title)]);
      about.addRow(['预算年度', round.fiscalYear]);
      about.addRow(['状态', round.state === 'published' ? '已公示' : '未公示（结果可能变化）']);
      about.addRow(['生成时间', `${formatInstantCst(now())}（北京时间）`]);
      about.addRow([]);
      about.addRow(['复核等级', '预算安排建议']).font = { bold: true };
      for (const g of GRADES) about.addRow([g, safeText(round.budgetActions[g])]);
      about.addRow([]);
      about.addRow(['说明', '复核得分、等级和偏差只计组长已确认的复核；整改情况为生成时的状态。']);
      return Buffer.from(await book.xlsx.writeBuffer());
    },
  };
}

export type ResultService = ReturnType<typeof resultService>;
