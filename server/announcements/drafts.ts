import { appendAudit, AuditContext } from '../audit/repository';
import { Queryable } from '../data/database';
import {
  AnnouncementFigures,
  compileFigures,
  defaultCause,
  figureValues,
  fillFigures,
  generateSections,
  mergeEdits,
  Section,
  staleFigures,
} from '../domain/announcement';
import { formatCalendarDateZh, formatInstantCst } from '../domain/dates';
import { Role } from '../domain/roles';
import { findActiveDraw, listDraws } from '../draws/repository';
import { listCategories } from '../findings/repository';
import { Conflict, NotFound } from '../errors';
import { findRound, Round } from '../rounds/repository';
import { Announcement, evaluatorsTookPart, findAnnouncedItems, findOpen } from './repository';

/** A round's announcement as it reads now: compiled from the data, merged with the lead's edits, checked. */

export interface Actor {
  id: number;
  role: Role;
}

/**
 * Where the public reaches this site, and why it cannot when it cannot (config.ts): the address
 * is printed in every announcement as the place to re-draw the sample.
 */
export interface Site {
  publicUrl: string;
  publicUrlProblem: string | null;
}

export interface Warning {
  code:
    | 'unconfirmed'
    | 'missingRecommendation'
    | 'staleFigure'
    | 'droppedEdit'
    | 'publicAddress'
    | 'objectionContact'
    | 'defaultCause';
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

export const DEFAULT_DEADLINE_DAYS = 30;

export function defaultTitle(round: Round): string {
  return `${round.bureau ?? '财政局'}关于${round.fiscalYear}年度绩效自评结果抽查复核情况的公示`;
}

export function addDays(at: Date, days: number): string {
  return new Date(at.getTime() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** The round, or NotFound; `read` may be lockRound, for a step of the announcement. */
export async function requireRound(q: Queryable, roundId: number, read = findRound): Promise<Round> {
  const round = Number.isSafeInteger(roundId) ? await read(q, roundId) : undefined;
  if (!round) throw new NotFound('复核批次不存在');
  return round;
}

/** The figures and generated sections of a round as its data stands now. */
export async function compileNow(
  q: Queryable,
  round: Round,
  deadline: string,
  publicUrl: string,
  /** The publication's date, when compiling for publication: the 公示期 is dated from it. */
  publishedOn: string | null = null,
) {
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
      // Every draw of the round is part of the record: the cancelled ones with when, seed and why.
      cancelled: (await listDraws(q, round.id))
        .filter((d) => d.status === 'cancelled')
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map((d) => ({
          at: formatInstantCst(d.createdAt).slice(0, 16),
          seed: d.seed,
          reason: d.cancelReason ?? '',
          publicUrl: `${publicUrl}/p/draws/${d.publicId}`,
        })),
    },
    items,
    categories: await listCategories(q, true),
    evaluatorsTookPart: withEvaluators,
    minEstimateSample: round.minEstimateSample,
  });
  figures.publicity = { days: round.publicityDays, contact: round.objectionContact, publishedOn };
  figures.onsiteChecks = round.onsiteChecks;
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

export type Compiled = Awaited<ReturnType<typeof compileNow>>;

/** The announcement as it reads now; a transaction that has just compiled passes what it compiled. */
export async function viewOf(
  q: Queryable,
  round: Round,
  a: Announcement,
  site: Site,
  compiled?: Compiled,
  publishedOn: string | null = null,
): Promise<AnnouncementView> {
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
  const { figures, values, generated } =
    compiled ?? (await compileNow(q, round, a.document.deadline, site.publicUrl, publishedOn));
  const sections = mergeEdits(generated, a.document.edits);
  const warnings: Warning[] = [];
  if (!round.objectionContact)
    warnings.push({
      code: 'objectionContact',
      message: '公示须写明异议联系方式：请在复核批次的基本信息中填写（如“县财政局预算绩效管理股，电话……”）',
      blocks: ['publish'],
    });
  if (site.publicUrlProblem)
    warnings.push({
      code: 'publicAddress',
      message: `${site.publicUrlProblem}。请系统管理员把 FUHE_PUBLIC_URL 设为本局对外公开的网址（如 https://czj.example.gov.cn）后再发布`,
      blocks: ['publish'],
    });
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
    const cause = s.key.startsWith('problem:') ? defaultCause(s.key.slice('problem:'.length)) : undefined;
    if (cause && a.document.edits[s.key] === undefined && !a.document.reviewedCauses?.includes(s.key))
      warnings.push({
        code: 'defaultCause',
        message: `"${s.heading ?? sectionLabel(s)}"中的原因分析是该类问题的默认文字，尚未核对：请按本次复核的实际情况修改后保存（“${cause.slice(0, 16)}……”）`,
        blocks: [],
      });
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

export function sectionLabel(s: Section): string {
  return (
    {
      preamble: '导语',
      results: '复核结果',
      problems: '问题概述',
      recommendations: '建议导语',
      publicity: '公示期与异议',
      appendix: '抽样说明',
    }[s.key] ?? s.key
  );
}

export async function requireOpen(q: Queryable, roundId: number): Promise<Announcement> {
  const open = await findOpen(q, roundId);
  if (!open) throw new Conflict('本批次没有公示草稿，请先生成');
  return open;
}

export async function auditAnnouncement(
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
