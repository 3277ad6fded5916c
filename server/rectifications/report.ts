import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { toDate, toInt } from '../data/values';
import { todayCst } from '../domain/dates';
import { compileReport, countByStatus, isRectificationOverdue, ReportFigures } from '../domain/rectification';
import { characterCount, readText, requiredReason, FieldError } from '../domain/text';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { Actor, requireRound } from '../reviews/items';
import { lockRound } from '../rounds/repository';
import { findTasks } from './repository';

/**
 * 整改情况通报: compiled from the round's tasks, edited by the lead, submitted, and published (or
 * returned) by the official, like the announcement. A published version stays as it was; the
 * next compilation is a new version.
 */

export type ReportStatus = 'draft' | 'submitted' | 'published';

export interface RectificationReport {
  id: number;
  roundId: number;
  version: number;
  status: ReportStatus;
  title: string;
  body: string;
  figures: ReportFigures;
  slug: string | null;
  returnReason: string | null;
  revision: number;
  updatedAt: Date;
  publishedAt: Date | null;
}

const BODY_LIMIT = 20000;

function toReport(r: Record<string, unknown>): RectificationReport {
  return {
    id: r.id as number,
    roundId: r.round_id as number,
    version: toInt(r.version),
    status: r.status as ReportStatus,
    title: r.title as string,
    body: r.body as string,
    figures: JSON.parse(r.figures as string) as ReportFigures,
    slug: (r.slug as string | null) ?? null,
    returnReason: (r.return_reason as string | null) ?? null,
    revision: toInt(r.revision),
    updatedAt: toDate(r.updated_at),
    publishedAt: r.published_at ? toDate(r.published_at) : null,
  };
}

async function latest(q: Queryable, roundId: number): Promise<RectificationReport | undefined> {
  const row = (await q('rectification_reports').where('round_id', roundId).orderBy('version', 'desc').first()) as
    Record<string, unknown> | undefined;
  return row && toReport(row);
}

/** The figures of the round's tasks today. */
async function figuresOf(q: Queryable, roundId: number, today: string): Promise<ReportFigures> {
  const tasks = (await findTasks(q, { roundId })).map((t) => ({
    ...t,
    overdue: isRectificationOverdue(t.dueDate, t.status, today),
  }));
  return {
    asOf: today,
    total: tasks.length,
    byStatus: countByStatus(tasks.map((t) => t.status)),
    overdue: tasks
      .filter((t) => t.overdue)
      .map((t) => ({
        unit: t.unit,
        code: t.code,
        name: t.kind === 'department' ? `${t.department}部门整体支出` : t.name,
        category: t.categoryTitle,
        dueDate: t.dueDate,
        status: t.status,
      })),
    departments: [...new Set(tasks.map((t) => t.department))].map((department) => {
      const of = tasks.filter((t) => t.department === department);
      return {
        department,
        total: of.length,
        accepted: of.filter((t) => t.status === 'accepted').length,
        overdue: of.filter((t) => t.overdue).length,
      };
    }),
  };
}

export function rectificationReportService({ db, now }: { db: Database; now: () => Date }) {
  /** The report in the state a step needs, at the revision read. */
  async function open(trx: Queryable, roundId: number, statuses: ReportStatus[], revision?: number) {
    await requireRound(trx, roundId, lockRound);
    const report = await latest(trx, roundId);
    if (!report || !statuses.includes(report.status))
      throw new Conflict(
        report?.status === 'published'
          ? '整改情况通报已发布；如需更新，请重新生成（作为新的版本）'
          : report?.status === 'submitted'
            ? '整改情况通报已提交审批，待分管领导发布或退回'
            : '还没有整改情况通报的草稿，请先生成',
      );
    if (revision !== undefined && report.revision !== revision)
      throw new Conflict('整改情况通报已被他人修改，请刷新后重试', undefined, 'stale_version');
    return report;
  }

  async function audit(
    trx: Queryable,
    context: AuditContext,
    action: string,
    report: RectificationReport,
    at: Date,
    after: unknown,
  ) {
    await appendAudit(
      trx,
      context,
      { action: `rectification-report.${action}`, objectType: 'round', objectId: report.roundId, after },
      at,
    );
  }

  return {
    get: async (roundId: number) => {
      await requireRound(db, roundId);
      return latest(db, roundId);
    },

    /** The published version for the public, by its address. */
    async published(slug: string) {
      const row = (await db('rectification_reports').where({ slug, status: 'published' }).first()) as
        Record<string, unknown> | undefined;
      if (!row) throw new NotFound('整改情况通报不存在');
      const report = toReport(row);
      return { report, round: await requireRound(db, report.roundId) };
    },

    /** A new draft from today's tasks: the open draft is replaced, a published version kept and followed. */
    async compile(context: AuditContext, actor: Actor, roundId: number) {
      if (actor.role !== 'lead') throw new Refused('只有复核组组长可以生成整改情况通报');
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        if (round.state !== 'published') throw new Conflict('公示发布后才有整改事项，才能生成整改情况通报');
        const figures = await figuresOf(trx, roundId, todayCst(at));
        const body = compileReport(round.title, round.bureau, figures);
        const title = `关于${round.title}发现问题整改情况的通报`;
        const current = await latest(trx, roundId);
        if (current?.status === 'submitted') throw new Conflict('整改情况通报已提交审批，待分管领导发布或退回后再生成');
        const fields = {
          status: 'draft',
          title,
          body,
          figures: JSON.stringify(figures),
          updated_by: actor.id,
          updated_at: at,
        };
        if (current?.status === 'draft')
          await trx('rectification_reports')
            .where({ id: current.id })
            .update({ ...fields, return_reason: null, revision: current.revision + 1 });
        else
          await trx('rectification_reports').insert({
            ...fields,
            round_id: roundId,
            version: (current?.version ?? 0) + 1,
            revision: 1,
          });
        const report = (await latest(trx, roundId))!;
        await audit(trx, context, 'compile', report, at, { version: report.version, total: figures.total });
        return report;
      });
    },

    /** The lead's edit of the draft's title and text, at the revision read. */
    async save(context: AuditContext, actor: Actor, roundId: number, body: Record<string, unknown>) {
      if (actor.role !== 'lead') throw new Refused('只有复核组组长可以修改整改情况通报');
      const errors: FieldError[] = [];
      const title = readText(body.title, 'title', '标题', 200, errors);
      const text = readText(body.body, 'body', '正文', BODY_LIMIT, errors);
      if (!errors.length && title === null) errors.push({ field: 'title', message: '请填写标题' });
      if (!errors.length && characterCount(text ?? '') < 10) errors.push({ field: 'body', message: '请填写通报正文' });
      const at = now();
      return writeTransaction(db, async (trx) => {
        const report = await open(trx, roundId, ['draft'], Number(body.revision));
        if (errors.length) throw new Invalid(errors[0].message, errors);
        await trx('rectification_reports')
          .where({ id: report.id })
          .update({
            title: title ?? report.title,
            body: text ?? report.body,
            revision: report.revision + 1,
            updated_by: actor.id,
            updated_at: at,
          });
        const after = (await latest(trx, roundId))!;
        await audit(trx, context, 'edit', after, at, { version: after.version, revision: after.revision });
        return after;
      });
    },

    async submit(context: AuditContext, actor: Actor, roundId: number) {
      if (actor.role !== 'lead') throw new Refused('只有复核组组长可以提交整改情况通报');
      const at = now();
      return writeTransaction(db, async (trx) => {
        const report = await open(trx, roundId, ['draft']);
        await trx('rectification_reports')
          .where({ id: report.id })
          .update({
            status: 'submitted',
            return_reason: null,
            revision: report.revision + 1,
            updated_by: actor.id,
            updated_at: at,
          });
        await audit(trx, context, 'submit', report, at, { version: report.version });
        return (await latest(trx, roundId))!;
      });
    },

    async return(context: AuditContext, actor: Actor, roundId: number, reason: unknown) {
      if (actor.role !== 'official') throw new Refused('只有分管领导可以退回整改情况通报');
      const text = requiredReason(reason, '退回须写明理由');
      const at = now();
      return writeTransaction(db, async (trx) => {
        const report = await open(trx, roundId, ['submitted']);
        await trx('rectification_reports')
          .where({ id: report.id })
          .update({
            status: 'draft',
            return_reason: text,
            revision: report.revision + 1,
            updated_by: actor.id,
            updated_at: at,
          });
        await audit(trx, context, 'return', report, at, { version: report.version, reason: text });
        return (await latest(trx, roundId))!;
      });
    },

    async publish(context: AuditContext, actor: Actor, roundId: number) {
      if (actor.role !== 'official') throw new Refused('只有分管领导可以发布整改情况通报');
      const at = now();
      return writeTransaction(db, async (trx) => {
        const report = await open(trx, roundId, ['submitted']);
        const slug = crypto.randomBytes(9).toString('base64url');
        await trx('rectification_reports')
          .where({ id: report.id })
          .update({
            status: 'published',
            slug,
            revision: report.revision + 1,
            updated_by: actor.id,
            updated_at: at,
            published_by: actor.id,
            published_at: at,
          });
        await audit(trx, context, 'publish', report, at, { version: report.version, slug });
        return (await latest(trx, roundId))!;
      });
    },
  };
}
