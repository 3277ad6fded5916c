import ExcelJS from 'exceljs';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { formatInstantCst, todayCst } from '../domain/dates';
import {
  countByStatus,
  RECTIFICATION_STATUSES,
  isRectificationOverdue,
  parseRectificationText,
  RectificationAction,
  stepRefusal,
  submitProblems,
} from '../domain/rectification';
import { requiredReason, FieldError } from '../domain/text';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { findEvidence } from '../findings/evidence';
import { safeText } from '../population/spreadsheets';
import { Actor, requireRound } from '../reviews/items';
import { coversRecord, hasContacts } from '../units/repository';
import {
  findSteps,
  findTasks,
  findUnitTasks,
  insertMissingTasks,
  Rectification,
  TaskWrite,
  writeTask,
} from './repository';

/** A step on a task that moved on since it was read: the task as it is now comes with it. */
export class StaleRectification extends Conflict {
  constructor(readonly current: Rectification) {
    super(
      `该整改事项已被修改（当前为第${current.version}版），请核对后重新填写`,
      {
        current: {
          version: current.version,
          status: current.status,
          measures: current.measures,
          result: current.result,
          returnReason: current.returnReason,
        },
      },
      'stale_version',
    );
  }
}

/**
 * The task, if this actor may act on it: the lead on every task (recording for a unit marks it
 * as such), a unit's contact on its units' tasks, the official and the admin reading only.
 */
async function taskFor(q: Queryable, actor: Actor, id: number): Promise<Rectification> {
  const [task] = Number.isSafeInteger(id) ? await findTasks(q, { id }) : [];
  if (!task) {
    if (actor.role === 'unit') throw new Refused(`整改事项 ${id} 不属于本单位`);
    throw new NotFound('整改事项不存在');
  }
  if (actor.role === 'unit' && !(await coversRecord(q, actor.id, task)))
    throw new Refused(`整改事项 ${id} 不属于本单位`);
  if (!['unit', 'lead', 'official', 'admin'].includes(actor.role)) throw new Refused('无权查看整改事项');
  return task;
}

/**
 * At publication, in the publishing transaction: a task for every standing finding without one,
 * due on the announcement's 整改 deadline. A correction adds only the new ones.
 */
export async function createTasksAtPublication(
  trx: Queryable,
  context: AuditContext,
  roundId: number,
  dueDate: string,
  at: Date,
): Promise<number[]> {
  const ids = await insertMissingTasks(trx, roundId, dueDate, at);
  if (ids.length)
    await appendAudit(
      trx,
      context,
      { action: 'rectification.create', objectType: 'round', objectId: roundId, after: { tasks: ids.length, dueDate } },
      at,
    );
  return ids;
}

/**
 * Rectification (整改): tasks made at publication, written and submitted by the unit (or recorded
 * for it by the lead), accepted (销号) or returned by the lead. Every step is versioned and audited.
 */
export function rectificationService({ db, now }: { db: Database; now: () => Date }) {
  const withState = (tasks: Rectification[], today: string) =>
    tasks.map((t) => ({ ...t, overdue: isRectificationOverdue(t.dueDate, t.status, today) }));

  async function step(
    context: AuditContext,
    actor: Actor,
    id: number,
    action: RectificationAction,
    body: Record<string, unknown>,
  ) {
    const at = now();
    return writeTransaction(db, async (trx) => {
      const task = await taskFor(trx, actor, id);
      const byUnit = actor.role === 'unit';
      if (action === 'accept' || action === 'return') {
        if (actor.role !== 'lead') throw new Refused('只有复核组组长可以销号或退回整改事项');
      } else if (!byUnit && actor.role !== 'lead')
        throw new Refused('只有被抽中单位（或代其填报的组长）可以填写整改情况');
      const version = body.version === undefined ? task.version : Number(body.version);
      if (!Number.isInteger(version) || version !== task.version) throw new StaleRectification(task);
      const refusal = stepRefusal(action, task.status);
      if (refusal) throw new Conflict(refusal);

      const errors: FieldError[] = [];
      let write: TaskWrite = {
        status: task.status,
        measures: task.measures,
        result: task.result,
        evidenceIds: task.evidenceIds,
        returnReason: task.returnReason,
        recordedByLead: task.recordedByLead,
      };
      let reason: string | null = null;
      if (action === 'save' || action === 'submit') {
        const typed = parseRectificationText(body, errors);
        const cited = body.evidence === undefined ? task.evidenceIds : [body.evidence].flat().map(Number);
        const own = new Set(
          (await findEvidence(trx, task.submissionId))
            .filter((e) => e.suppliedByUnit && e.withdrawnAt === null)
            .map((e) => e.id),
        );
        const foreign = cited.filter((e) => !own.has(e));
        if (foreign.length)
          errors.push({ field: 'evidence', message: `引用的材料不是单位为该项目提供的：${foreign.join('、')}` });
        write = {
          ...write,
          measures: typed.measures === undefined ? task.measures : typed.measures,
          result: typed.result === undefined ? task.result : typed.result,
          evidenceIds: cited,
          recordedByLead: !byUnit,
        };
        if (action === 'submit' && !errors.length) errors.push(...submitProblems(write));
        if (errors.length)
          throw new Invalid(action === 'submit' ? '整改情况还不完整，不能提交' : errors[0].message, errors);
        if (action === 'submit') write.status = 'submitted';
      } else if (action === 'accept') {
        write = { ...write, status: 'accepted', returnReason: null };
      } else {
        reason = requiredReason(body.reason, '退回须写明理由');
        write = { ...write, status: 'returned', returnReason: reason };
      }
      if (!(await writeTask(trx, task.id, task.version, action, write, reason, actor.id, at)))
        throw new StaleRectification(task);
      await appendAudit(
        trx,
        context,
        {
          action: `rectification.${action}`,
          objectType: 'rectification',
          objectId: task.id,
          before: { status: task.status, version: task.version },
          after: {
            status: write.status,
            version: task.version + 1,
            ...(reason && { reason }),
            ...(write.recordedByLead && action !== 'accept' && action !== 'return' && { recordedByLead: true }),
          },
        },
        at,
      );
      const [after] = await findTasks(trx, { id: task.id });
      return withState([after], todayCst(at))[0];
    });
  }

  return {
    /** A round's tasks for the lead and the official, with counts by status and department. */
    async ofRound(roundId: number) {
      await requireRound(db, roundId);
      const today = todayCst(now());
      const tasks = withState(await findTasks(db, { roundId }), today);
      const steps = await findSteps(
        db,
        tasks.map((t) => t.id),
      );
      const departments = [...new Set(tasks.map((t) => t.department))].map((department) => {
        const of = tasks.filter((t) => t.department === department);
        return {
          department,
          ...countByStatus(of.map((t) => t.status)),
          overdue: of.filter((t) => t.overdue).length,
          total: of.length,
        };
      });
      return {
        tasks,
        steps,
        byStatus: countByStatus(tasks.map((t) => t.status)),
        overdue: tasks.filter((t) => t.overdue),
        departments,
        today,
      };
    },

    /** 整改情况 as a workbook: every task with its state and answer, and counts by department. */
    async workbook(roundId: number): Promise<Buffer> {
      const round = await requireRound(db, roundId);
      const today = todayCst(now());
      const tasks = withState(await findTasks(db, { roundId }), today);
      const book = new ExcelJS.Workbook();
      book.creator = 'fuhe';
      const sheet = book.addWorksheet('整改事项', { views: [{ state: 'frozen', ySplit: 1 }] });
      sheet.columns = [
        { header: '编码', width: 14 },
        { header: '主管部门', width: 20 },
        { header: '预算单位', width: 20 },
        { header: '项目名称', width: 26 },
        { header: '问题类别', width: 26 },
        { header: '问题描述', width: 40 },
        { header: '整改期限', width: 12, style: { numFmt: 'yyyy-mm-dd' } },
        { header: '状态', width: 16 },
        { header: '逾期', width: 8 },
        { header: '整改措施', width: 40 },
        { header: '整改结果', width: 40 },
        { header: '退回理由', width: 26 },
        { header: '组长代为填报', width: 12 },
      ];
      sheet.getRow(1).font = { bold: true };
      for (const t of tasks)
        sheet.addRow([
          safeText(t.code),
          safeText(t.department),
          safeText(t.unit),
          safeText(t.name),
          `${t.category} ${t.categoryTitle}`,
          safeText(t.finding),
          new Date(`${t.dueDate}T00:00:00Z`),
          RECTIFICATION_STATUSES[t.status],
          t.overdue ? '是' : '否',
          safeText(t.measures ?? ''),
          safeText(t.result ?? ''),
          safeText(t.returnReason ?? ''),
          t.recordedByLead ? '是' : '否',
        ]);
      sheet.autoFilter = { from: 'A1', to: 'M1' };
      const summary = book.addWorksheet('按主管部门');
      summary.columns = [
        { header: '主管部门', width: 22 },
        { header: '整改事项', width: 10 },
        { header: '已销号', width: 10 },
        { header: '未销号', width: 10 },
        { header: '逾期', width: 10 },
        { header: '销号率', width: 10, style: { numFmt: '0.0%' } },
      ];
      summary.getRow(1).font = { bold: true };
      for (const department of [...new Set(tasks.map((t) => t.department))]) {
        const of = tasks.filter((t) => t.department === department);
        const accepted = of.filter((t) => t.status === 'accepted').length;
        summary.addRow([
          safeText(department),
          of.length,
          accepted,
          of.length - accepted,
          of.filter((t) => t.overdue).length,
          accepted / of.length,
        ]);
      }
      summary.addRow([]);
      summary.addRow([`${round.title}，${formatInstantCst(now())}（北京时间）生成`]);
      return Buffer.from(await book.xlsx.writeBuffer());
    },

    /** A unit contact's tasks, in every round. */
    async mine(actor: Actor) {
      if (actor.role !== 'unit') throw new Refused('只有预算单位联系人可以查看本单位的整改事项');
      const today = todayCst(now());
      const tasks = withState(await findUnitTasks(db, actor.id), today);
      return { tasks, byStatus: countByStatus(tasks.map((t) => t.status)), today };
    },

    /** One task, for whoever may act on it. */
    async get(actor: Actor, id: number) {
      const task = await taskFor(db, actor, id);
      return {
        task: withState([task], todayCst(now()))[0],
        steps: await findSteps(db, [task.id]),
        unitReachable: await hasContacts(db, task),
        // The files the unit supplied to the item, which its answer may cite.
        files: (await findEvidence(db, task.submissionId)).filter((e) => e.suppliedByUnit && e.withdrawnAt === null),
      };
    },

    save: (context: AuditContext, actor: Actor, id: number, body: Record<string, unknown>) =>
      step(context, actor, id, 'save', body),
    submit: (context: AuditContext, actor: Actor, id: number, body: Record<string, unknown>) =>
      step(context, actor, id, 'submit', body),
    accept: (context: AuditContext, actor: Actor, id: number, body: Record<string, unknown>) =>
      step(context, actor, id, 'accept', body),
    return: (context: AuditContext, actor: Actor, id: number, body: Record<string, unknown>) =>
      step(context, actor, id, 'return', body),
  };
}

export type RectificationService = ReturnType<typeof rectificationService>;
