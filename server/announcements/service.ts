import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import {
  AnnouncementFigures,
  compileFigures,
  figureValues,
  fillFigures,
  generateSections,
  LIMITS,
  mergeEdits,
  Section,
  staleFigures,
  unknownTokens,
} from '../domain/announcement';
import { formatCalendarDateZh, isCalendarDate } from '../domain/dates';
import { Role } from '../domain/roles';
import { findActiveDraw, setRoundState } from '../draws/repository';
import { listCategories } from '../findings/repository';
import { Conflict, Invalid, NotFound } from '../errors';
import { requiredReason, withoutBidiControls } from '../domain/text';
import { findRound, lockRound, Round } from '../rounds/repository';
import {
  Announcement,
  AnnouncementDocument,
  evaluatorsTookPart,
  findAnnouncedItems,
  findOpen,
  findPublished,
  findPublishedBySlug,
  findRevisions,
  insertAnnouncement,
  insertRevision,
  listVersions,
  updateAnnouncement,
} from './repository';

export interface Actor {
  id: number;
  role: Role;
}

export interface Warning {
  code: 'unconfirmed' | 'missingRecommendation' | 'staleFigure' | 'droppedEdit';
  message: string;
  /** Blocks submission (s) or publication (p). */
  blocks: Array<'submit' | 'publish'>;
}

/** An announcement with the text as it reads now: live figures for a draft, frozen ones once published. */
export interface AnnouncementView {
  announcement: Announcement;
  figures: AnnouncementFigures;
  /** Figure values by token name. */
  values: Record<string, string>;
  /** The sections with tokens (what the editor shows). */
  sections: Section[];
  /** The sections as read, figures filled in. */
  rendered: Section[];
  warnings: Warning[];
  round: Round;
}

const DEFAULT_DEADLINE_DAYS = 30;

function defaultTitle(round: Round): string {
  return `${round.bureau ?? '财政局'}关于${round.fiscalYear}年度绩效自评结果抽查复核情况的公示`;
}

function addDays(at: Date, days: number): string {
  return new Date(at.getTime() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

export function announcementService({ db, now, publicUrl }: { db: Database; now: () => Date; publicUrl: string }) {
  async function requireRound(q: Queryable, roundId: number): Promise<Round> {
    const round = Number.isSafeInteger(roundId) ? await findRound(q, roundId) : undefined;
    if (!round) throw new NotFound('复核批次不存在');
    return round;
  }

  /** The figures and generated sections of a round as its data stands now. */
  async function compileNow(q: Queryable, round: Round, deadline: string) {
    const draw = await findActiveDraw(q, round.id);
    if (!draw) throw new Conflict('本批次还没有抽样，无法生成公示');
    const items = await findAnnouncedItems(q, round.id);
    const withEvaluators = await evaluatorsTookPart(q, round.id);
    const figures = compileFigures({
      round,
      population: draw.population,
      draw: {
        procedure: draw.procedure,
        seed: draw.seed,
        fingerprint: draw.fingerprint,
        method: draw.method,
        quota: draw.quota,
        mandatory: items.filter((i) => !i.random).length,
        publicUrl: `${publicUrl}/p/draws/${draw.publicId}`,
      },
      items,
      categories: await listCategories(q, true),
      evaluatorsTookPart: withEvaluators,
    });
    const values = figureValues(figures, {
      bureau: round.bureau ?? '财政局',
      deadline: formatCalendarDateZh(deadline),
      fiscalYear: round.fiscalYear,
      workPlanRef: round.workPlanRef,
    });
    const generated = generateSections(figures, {
      evaluatorsTookPart: withEvaluators,
      hasWorkPlanRef: Boolean(round.workPlanRef),
    });
    return { figures, values, generated };
  }

  function render(sections: Section[], values: Record<string, string>): Section[] {
    return sections.map((s) => ({ ...s, text: fillFigures(s.text, values) }));
  }

  type Compiled = Awaited<ReturnType<typeof compileNow>>;

  /** The announcement as it reads now; a transaction that has just compiled passes what it compiled. */
  async function viewOf(q: Queryable, round: Round, a: Announcement, compiled?: Compiled): Promise<AnnouncementView> {
    if (a.status === 'published' || a.status === 'superseded') {
      // Frozen at publication (a superseded submission shows the text it was submitted with).
      const values = figureValues(a.figures, {
        bureau: round.bureau ?? '财政局',
        deadline: formatCalendarDateZh(a.document.deadline),
        fiscalYear: round.fiscalYear,
        workPlanRef: round.workPlanRef,
      });
      const sections =
        a.publishedSections ??
        mergeEdits(
          generateSections(a.figures, { evaluatorsTookPart: false, hasWorkPlanRef: Boolean(round.workPlanRef) }),
          a.document.edits,
        );
      return {
        announcement: a,
        figures: a.figures,
        values,
        sections,
        rendered: render(sections, values),
        warnings: [],
        round,
      };
    }
    const { figures, values, generated } = compiled ?? (await compileNow(q, round, a.document.deadline));
    const sections = mergeEdits(generated, a.document.edits);
    const warnings: Warning[] = [];
    if (figures.unconfirmed.length) {
      warnings.push({
        code: 'unconfirmed',
        message: `还有${figures.unconfirmed.length}个样本的复核未确认（${figures.unconfirmed.slice(0, 10).join('、')}${figures.unconfirmed.length > 10 ? '等' : ''}），全部确认后才能公示`,
        blocks: ['publish'],
      });
    }
    for (const s of sections) {
      if (s.key.startsWith('recommendation:') && s.text.trim() === '') {
        const code = s.key.slice('recommendation:'.length);
        warnings.push({
          code: 'missingRecommendation',
          message: `问题"${code} ${figures.recommendations.find((r) => r.category === code)?.title ?? ''}"还没有建议，请填写`,
          blocks: ['submit', 'publish'],
        });
      }
      if (a.document.edits[s.key] !== undefined) {
        for (const st of staleFigures(s.key, s.text, a.document.savedWith[s.key] ?? {}, values)) {
          warnings.push({
            code: 'staleFigure',
            message: `"${s.heading ?? sectionLabel(s)}"中手工填写的"${st.literal}"原为{${st.figure}}，数据现为${st.now}，请改正或改用{${st.figure}}`,
            blocks: ['publish'],
          });
        }
      }
    }
    const keys = new Set(generated.map((s) => s.key));
    for (const key of Object.keys(a.document.edits)) {
      if (!keys.has(key))
        warnings.push({
          code: 'droppedEdit',
          message: `"${key}"已没有对应的问题，该节的修改不再出现在公示中（保留在修订历史里）`,
          blocks: [],
        });
    }
    return {
      announcement: { ...a, figures },
      figures,
      values,
      sections,
      rendered: render(sections, values),
      warnings,
      round,
    };
  }

  function sectionLabel(s: Section): string {
    return (
      {
        preamble: '导语',
        results: '复核结果',
        problems: '问题概述',
        recommendations: '建议导语',
        appendix: '抽样说明',
      }[s.key] ?? s.key
    );
  }

  /** The open version if there is one, else the latest published, as stored (nothing compiled). */
  async function latest(roundId: number): Promise<Announcement | undefined> {
    return (await findOpen(db, roundId)) ?? (await findPublished(db, roundId))[0];
  }

  async function requireOpen(q: Queryable, roundId: number): Promise<Announcement> {
    const open = await findOpen(q, roundId);
    if (!open) throw new Conflict('本批次没有公示草稿，请先生成');
    return open;
  }

  async function audit(
    q: Queryable,
    context: AuditContext,
    action: string,
    a: Pick<Announcement, 'roundId' | 'version'>,
    before: unknown,
    after: unknown,
    at: Date,
  ) {
    await appendAudit(
      q,
      context,
      {
        action: `announcement.${action}`,
        objectType: 'announcement',
        objectId: `${a.roundId}:v${a.version}`,
        before,
        after,
      },
      at,
    );
  }

  return {
    /**
     * Compiles the draft from the confirmed reviews. An existing draft keeps the lead's edits and
     * takes the new figures; a submitted one is set aside (superseded) for a new draft.
     */
    async compile(context: AuditContext, actor: Actor, roundId: number): Promise<AnnouncementView> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await lockRound(trx, roundId);
        const round = await requireRound(trx, roundId);
        const open = await findOpen(trx, roundId);
        const deadline = open?.document.deadline ?? addDays(at, DEFAULT_DEADLINE_DAYS);
        const compiled = await compileNow(trx, round, deadline);
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
          await audit(
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
          await audit(
            trx,
            context,
            'compile',
            { roundId, version },
            open ? { supersededVersion: open.version, status: open.status } : null,
            { version, confirmed: figures.confirmed },
            at,
          );
        }
        return viewOf(trx, round, (await findOpen(trx, roundId))!, compiled);
      });
    },

    latest,

    /** The latest version as it reads now; undefined before the first compile. */
    async current(roundId: number): Promise<AnnouncementView | undefined> {
      const round = await requireRound(db, roundId);
      const a = await latest(roundId);
      return a && viewOf(db, round, a);
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
        await lockRound(trx, roundId);
        const round = await requireRound(trx, roundId);
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

        const compiled = await compileNow(trx, round, isCalendarDate(deadline) ? deadline : open.document.deadline);
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
        if (errors.length) throw new Invalid('公示稿有以下问题，未保存', errors);
        const document: AnnouncementDocument = { edits, savedWith, deadline };
        if (!(await updateAnnouncement(trx, open.id, open.revision, { title, document, correctionNote }, actor.id, at)))
          throw new Conflict('公示稿已被他人修改，请刷新后重试');
        await insertRevision(trx, open.id, open.revision + 1, 'edit', title, document, null, actor.id, at);
        await audit(
          trx,
          context,
          'edit',
          open,
          { revision: open.revision, title: open.title, edits: open.document.edits, deadline: open.document.deadline },
          { revision: open.revision + 1, title, edits, deadline, correctionNote },
          at,
        );
        return viewOf(trx, round, (await findOpen(trx, roundId))!, compiled);
      });
    },

    /** The lead sends the draft to the officials. */
    async submit(context: AuditContext, actor: Actor, roundId: number): Promise<AnnouncementView> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        await lockRound(trx, roundId);
        const round = await requireRound(trx, roundId);
        const open = await requireOpen(trx, roundId);
        if (open.status !== 'draft') throw new Conflict('公示稿已提交审批');
        const compiled = await compileNow(trx, round, open.document.deadline);
        const view = await viewOf(trx, round, open, compiled);
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
        await audit(trx, context, 'submit', open, { status: 'draft' }, { status: 'submitted' }, at);
        return viewOf(trx, round, (await findOpen(trx, roundId))!, compiled);
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
        await lockRound(trx, roundId);
        const round = await requireRound(trx, roundId);
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
        await audit(trx, context, 'return', open, { status: 'submitted' }, { status: 'draft', reason: text }, at);
        return viewOf(trx, round, (await findOpen(trx, roundId))!);
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
        await lockRound(trx, roundId);
        const round = await requireRound(trx, roundId);
        const open = await findOpen(trx, roundId);
        if (!open || open.status !== 'submitted') throw new Conflict('没有待审批的公示稿：请复核组组长先提交审批');
        const view = await viewOf(trx, round, open);
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
        await audit(
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
    async published(slug: string, version?: number) {
      if (!/^\d{4}-[0-9a-f]{12}$/.test(slug)) return undefined;
      const versions = await findPublishedBySlug(db, slug);
      if (!versions.length) return undefined;
      const chosen = version === undefined ? versions[0] : versions.find((v) => v.version === version);
      if (!chosen) return undefined;
      const round = await requireRound(db, chosen.roundId);
      return { view: await viewOf(db, round, chosen), versions, latest: versions[0].version };
    },
  };
}
