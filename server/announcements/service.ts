import { AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { LIMITS, unknownTokens } from '../domain/announcement';
import { isCalendarDate } from '../domain/dates';
import { Conflict, Invalid } from '../errors';
import { withoutBidiControls } from '../domain/text';
import { lockRound } from '../rounds/repository';
import {
  Announcement,
  AnnouncementDocument,
  findOpen,
  findPublished,
  findPublishedBySlug,
  findRevisions,
  insertAnnouncement,
  insertRevision,
  listVersions,
  updateAnnouncement,
} from './repository';

import {
  addDays,
  AnnouncementView,
  auditAnnouncement,
  compileNow,
  defaultTitle,
  DEFAULT_DEADLINE_DAYS,
  requireOpen,
  requireRound,
  sectionLabel,
  viewOf,
  Site,
  Actor,
} from './drafts';

/** The announcement's drafting: compiling it from the confirmed reviews, the lead's edits, and reading it. */
export function announcementService({ db, now, site }: { db: Database; now: () => Date; site: Site }) {
  /** The open version if there is one, else the latest published, as stored (nothing compiled). */
  async function latest(roundId: number): Promise<Announcement | undefined> {
    return (await findOpen(db, roundId)) ?? (await findPublished(db, roundId))[0];
  }

  return {
    /**
     * Compiles the draft from the confirmed reviews. An existing draft keeps the lead's edits and
     * takes the new figures; a submitted one is set aside (superseded) for a new draft.
     */
    async compile(context: AuditContext, actor: Actor, roundId: number): Promise<AnnouncementView> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        const open = await findOpen(trx, roundId);
        const deadline = open?.document.deadline ?? addDays(at, DEFAULT_DEADLINE_DAYS);
        const compiled = await compileNow(trx, round, deadline, site.publicUrl);
        const { figures } = compiled;
        if (figures.confirmed === 0)
          throw new Invalid('还没有已确认的复核结果，无法生成公示稿', [
            { field: 'reviews', message: '至少需要一条已确认的复核' },
          ]);
        if (open?.status === 'draft') {
          if (!(await updateAnnouncement(trx, open.id, open.revision, { figures }, actor.id, at)))
            throw new Conflict('公示稿已被他人修改，请刷新后重试');
          await insertRevision(
            trx,
            open.id,
            open.revision + 1,
            'compile',
            open.title,
            open.document,
            null,
            actor.id,
            at,
          );
          await auditAnnouncement(
            trx,
            context,
            'compile',
            open,
            { revision: open.revision },
            { revision: open.revision + 1, confirmed: figures.confirmed },
            at,
          );
        } else {
          if (open) {
            if (!(await updateAnnouncement(trx, open.id, open.revision, { status: 'superseded' }, actor.id, at)))
              throw new Conflict('公示稿已被他人修改，请刷新后重试');
            await insertRevision(
              trx,
              open.id,
              open.revision + 1,
              'supersede',
              open.title,
              open.document,
              '重新生成草稿',
              actor.id,
              at,
            );
          }
          const published = await findPublished(trx, roundId);
          // A correction starts from the text last published, with the lead's edits.
          const document: AnnouncementDocument = open?.document ??
            published[0]?.document ?? { edits: {}, savedWith: {}, deadline };
          const version = (published[0]?.version ?? 0) + 1;
          const id = await insertAnnouncement(
            trx,
            {
              roundId,
              version,
              title: open?.title ?? published[0]?.title ?? defaultTitle(round),
              document,
              figures,
              correctionNote: open?.correctionNote ?? null,
              slug: published[0]?.slug ?? null,
            },
            actor.id,
            at,
          );
          await insertRevision(trx, id, 1, 'compile', open?.title ?? defaultTitle(round), document, null, actor.id, at);
          await auditAnnouncement(
            trx,
            context,
            'compile',
            { roundId, version },
            open ? { supersededVersion: open.version, status: open.status } : null,
            { version, confirmed: figures.confirmed },
            at,
          );
        }
        return viewOf(trx, round, (await findOpen(trx, roundId))!, site, compiled);
      });
    },

    latest,

    /** The latest version as it reads now; undefined before the first compile. */
    async current(roundId: number): Promise<AnnouncementView | undefined> {
      const round = await requireRound(db, roundId);
      const a = await latest(roundId);
      return a && viewOf(db, round, a, site);
    },

    async history(roundId: number) {
      const versions = await listVersions(db, roundId);
      const open = versions.find((v) => v.status === 'draft' || v.status === 'submitted');
      return { versions, revisions: open ? await findRevisions(db, open.id) : [] };
    },

    /**
     * Saves the lead's edits to the draft: `{revision, title?, deadline?, correctionNote?, sections?: {key: text}}`.
     * A section equal to the generated text stops being an edit. Unknown `{tokens}` and texts over
     * the limits are refused, all at once.
     */
    async save(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      body: Record<string, unknown>,
    ): Promise<AnnouncementView> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const round = await requireRound(trx, roundId, lockRound);
        const open = await requireOpen(trx, roundId);
        if (Number(body.revision) !== open.revision)
          throw new Conflict('公示稿已被他人修改（版本已变化），您的修改未保存；请复制您的文字后刷新', {
            current: open.revision,
          });
        if (open.status !== 'draft') throw new Conflict('公示稿已提交审批，不能再修改；如需修改请重新生成草稿');
        const errors: Array<{ field: string; message: string }> = [];
        if (body.title !== undefined && typeof body.title !== 'string')
          errors.push({ field: 'title', message: '标题须为文字' });
        const title =
          typeof body.title === 'string' ? withoutBidiControls(body.title.normalize('NFC')).trim() : open.title;
        if (title === '') errors.push({ field: 'title', message: '请填写标题' });
        if ([...title].length > LIMITS.title)
          errors.push({ field: 'title', message: `标题不能超过${LIMITS.title}个字符` });
        const deadline = body.deadline === undefined ? open.document.deadline : String(body.deadline).trim();
        if (!isCalendarDate(deadline))
          errors.push({ field: 'deadline', message: '整改期限须为有效日期（如 2024-06-30）' });
        const correctionNote =
          body.correctionNote === undefined ? open.correctionNote : String(body.correctionNote).trim() || null;
        if (correctionNote && [...correctionNote].length > LIMITS.correctionNote)
          errors.push({ field: 'correctionNote', message: `更正说明不能超过${LIMITS.correctionNote}个字符` });

        const compiled = await compileNow(
          trx,
          round,
          isCalendarDate(deadline) ? deadline : open.document.deadline,
          site.publicUrl,
        );
        const { values, generated } = compiled;
        const byKey = new Map(generated.map((s) => [s.key, s]));
        const edits = { ...open.document.edits };
        const savedWith = { ...open.document.savedWith };
        const given = (body.sections && typeof body.sections === 'object' ? body.sections : {}) as Record<
          string,
          unknown
        >;
        for (const [key, raw] of Object.entries(given)) {
          const section = byKey.get(key);
          if (!section) {
            errors.push({ field: `sections.${key}`, message: `没有"${key}"这一节` });
            continue;
          }
          const text = String(raw ?? '')
            .normalize('NFC')
            .replace(/\r\n?/g, '\n')
            .trim();
          const limit = key.startsWith('recommendation:') ? LIMITS.recommendation : LIMITS.section;
          const label = section.heading ?? sectionLabel(section);
          if ([...text].length > limit)
            errors.push({
              field: `sections.${key}`,
              message: `"${label}"不能超过${limit}个字符（现有${[...text].length}个）`,
            });
          const unknown = unknownTokens(text, values);
          if (unknown.length)
            errors.push({
              field: `sections.${key}`,
              message: `"${label}"中的{${unknown.join('}、{')}}不是可用的数据字段`,
            });
          if (text === section.text) {
            delete edits[key];
            delete savedWith[key];
          } else if (text !== edits[key]) {
            edits[key] = text;
            savedWith[key] = values;
          }
        }
        // The default causes the lead has read and keeps: only sections of this draft, each once.
        const reviewedCauses =
          body.reviewedCauses === undefined
            ? (open.document.reviewedCauses ?? [])
            : [...new Set(([] as unknown[]).concat(body.reviewedCauses).map(String))].filter((key) => {
                if (byKey.has(key) && key.startsWith('problem:')) return true;
                errors.push({ field: 'reviewedCauses', message: `没有"${key.slice(0, 40)}"这一节问题` });
                return false;
              });
        if (errors.length) throw new Invalid('公示稿有以下问题，未保存', errors);
        const document: AnnouncementDocument = { edits, savedWith, deadline, reviewedCauses };
        if (!(await updateAnnouncement(trx, open.id, open.revision, { title, document, correctionNote }, actor.id, at)))
          throw new Conflict('公示稿已被他人修改，请刷新后重试');
        await insertRevision(trx, open.id, open.revision + 1, 'edit', title, document, null, actor.id, at);
        await auditAnnouncement(
          trx,
          context,
          'edit',
          open,
          { revision: open.revision, title: open.title, edits: open.document.edits, deadline: open.document.deadline },
          { revision: open.revision + 1, title, edits, deadline, correctionNote },
          at,
        );
        return viewOf(trx, round, (await findOpen(trx, roundId))!, site, compiled);
      });
    },

    /** The lead sends the draft to the officials. */
    async published(slug: string, version?: number) {
      if (!/^\d{4}-[0-9a-f]{12}$/.test(slug)) return undefined;
      const versions = await findPublishedBySlug(db, slug);
      if (!versions.length) return undefined;
      const chosen = version === undefined ? versions[0] : versions.find((v) => v.version === version);
      if (!chosen) return undefined;
      const round = await requireRound(db, chosen.roundId);
      return { view: await viewOf(db, round, chosen, site), versions, latest: versions[0].version };
    },
  };
}
