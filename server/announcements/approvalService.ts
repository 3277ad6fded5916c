import { todayCst } from '../domain/dates';
import crypto from 'node:crypto';
import { AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { setRoundState } from '../draws/repository';
import { createTasksAtPublication } from '../rectifications/service';
import { Conflict, Invalid } from '../errors';
import { requiredReason } from '../domain/text';
import { lockRound } from '../rounds/repository';
import { findOpen, insertRevision, updateAnnouncement } from './repository';

import {
  AnnouncementView,
  auditAnnouncement,
  compileNow,
  requireOpen,
  requireRound,
  viewOf,
  Actor,
  Site,
} from './drafts';

/** The announcement's approval: the lead submits, an official returns it or publishes it. */
export function approvalService({ db, now, site }: { db: Database; now: () => Date; site: Site }) {
  return {
    async submit(context: AuditContext, actor: Actor, roundId: number): Promise<AnnouncementView> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        const open = await requireOpen(trx, roundId);
        if (open.status !== 'draft') throw new Conflict('公示稿已提交审批');
        const compiled = await compileNow(trx, round, open.document.deadline, site.publicUrl);
        const view = await viewOf(trx, round, open, site, compiled);
        const problems: Array<{ field: string; message: string }> = view.warnings
          .filter((w) => w.blocks.includes('submit'))
          .map((w) => ({ field: w.code, message: w.message }));
        if (open.version > 1 && !open.correctionNote)
          problems.push({ field: 'correctionNote', message: `这是第${open.version}版（更正版），须写明更正了什么` });
        if (problems.length) throw new Invalid('公示稿还不能提交审批', problems);
        if (
          !(await updateAnnouncement(
            trx,
            open.id,
            open.revision,
            { status: 'submitted', figures: view.figures, submittedBy: actor.id, submittedAt: at },
            actor.id,
            at,
          ))
        )
          throw new Conflict('公示稿已被他人修改，请刷新后重试');
        await insertRevision(trx, open.id, open.revision + 1, 'submit', open.title, open.document, null, actor.id, at);
        await auditAnnouncement(trx, context, 'submit', open, { status: 'draft' }, { status: 'submitted' }, at);
        return viewOf(trx, round, (await findOpen(trx, roundId))!, site, compiled);
      });
    },

    /** An official sends the submitted version back to the lead, with a reason. */
    async returnToDraft(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      reason: string,
    ): Promise<AnnouncementView> {
      const at = now();
      const text = requiredReason(reason, '退回须写明理由');
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        const open = await requireOpen(trx, roundId);
        if (open.status !== 'submitted') throw new Conflict('没有待审批的公示稿');
        if (
          !(await updateAnnouncement(
            trx,
            open.id,
            open.revision,
            { status: 'draft', submittedBy: null, submittedAt: null },
            actor.id,
            at,
          ))
        )
          throw new Conflict('公示稿已被他人修改，请刷新后重试');
        await insertRevision(trx, open.id, open.revision + 1, 'return', open.title, open.document, text, actor.id, at);
        await auditAnnouncement(
          trx,
          context,
          'return',
          open,
          { status: 'submitted' },
          { status: 'draft', reason: text },
          at,
        );
        return viewOf(trx, round, (await findOpen(trx, roundId))!, site);
      });
    },

    /**
     * An official approves and publishes the submitted version: 409 when nothing is submitted, while
     * a sampled item lacks a confirmed review, or while edited prose disagrees with the figures.
     * The text and figures are frozen; the round is published.
     */
    async publish(
      context: AuditContext,
      actor: Actor,
      roundId: number,
    ): Promise<{ version: number; slug: string; publicUrl: string }> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        const open = await findOpen(trx, roundId);
        if (!open || open.status !== 'submitted') throw new Conflict('没有待审批的公示稿：请复核组组长先提交审批');
        // Compiled for publication: the 公示期 is dated from today.
        const view = await viewOf(trx, round, open, site, undefined, todayCst(at));
        const blocking = view.warnings.filter((w) => w.blocks.includes('publish'));
        if (blocking.length)
          throw new Conflict(
            '公示稿还不能发布',
            blocking.map((w) => ({ field: w.code, message: w.message })),
          );
        const slug = open.slug ?? `${round.fiscalYear}-${crypto.randomBytes(6).toString('hex')}`;
        const published = await updateAnnouncement(
          trx,
          open.id,
          open.revision,
          {
            status: 'published',
            slug,
            figures: view.figures,
            publishedSections: view.rendered,
            publishedBy: actor.id,
            publishedAt: at,
          },
          actor.id,
          at,
        );
        if (!published) throw new Conflict('公示稿已被他人修改，请刷新后重试');
        await insertRevision(trx, open.id, open.revision + 1, 'publish', open.title, open.document, null, actor.id, at);
        await setRoundState(trx, roundId, 'published', at);
        // 整改: a task per standing finding, due on the announcement's deadline (a correction adds the new ones).
        await createTasksAtPublication(trx, context, roundId, open.document.deadline, at);
        await auditAnnouncement(
          trx,
          context,
          'publish',
          open,
          { status: 'submitted' },
          { status: 'published', slug, version: open.version },
          at,
        );
        return { version: open.version, slug, publicUrl: `/p/${slug}` };
      });
    },

    /** A published version for the public: the latest, or the one asked for; every version listed. */
  };
}
