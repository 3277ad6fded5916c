import { Response } from 'express';
import { sendAs } from '../http/download';
import { AnnouncementFigures } from '../domain/announcement';
import { formatCalendarDateZh, formatInstantCst } from '../domain/dates';
import { GRADES } from '../domain/grades';
import { KIND_LABELS, KINDS } from '../domain/population';
import { chartConfigs } from './charts';
import { announcementDocx, announcementHtml, partsOf, statisticsLines } from './document';
import { AnnouncementView } from './drafts';

/** The announcement as the API answers it and as its pages and Word file show it. */

export function announcementJson(view: AnnouncementView, publicUrl?: string) {
  const { announcement: a, figures: f } = view;
  return {
    version: a.version,
    status: a.status,
    revision: a.revision,
    title: a.title,
    scope: {
      project: f.scope.project,
      department: f.scope.department,
      population: f.scope.population,
      budgetFen: f.scope.budgetFen,
      budgetWan: f.scope.budgetWan,
    },
    grades: {
      project: f.grades.project,
      department: f.grades.department,
      all: f.grades.all,
      share: f.grades.share,
      allShare: f.grades.allShare,
    },
    quality: {
      project: f.quality.project,
      department: f.quality.department,
      unrated: f.quality.unrated,
      share: f.quality.share,
    },
    deviation: f.deviation,
    problems: f.problems,
    recommendations: view.rendered
      .filter((s) => s.key.startsWith('recommendation:'))
      .map((s) => ({ category: s.key.slice('recommendation:'.length), heading: s.heading, text: s.text })),
    statistics: { inflated: f.inflation.estimates, note: f.inflation.note },
    draw: {
      procedure: f.draw.procedure,
      seed: f.draw.seed,
      fingerprint: f.draw.fingerprint,
      method: f.draw.method,
      quota: f.draw.quota,
      verifyUrl: f.draw.publicUrl,
    },
    deadline: a.document.deadline,
    correctionNote: a.correctionNote,
    confirmed: f.confirmed,
    unconfirmed: f.unconfirmed,
    warnings: view.warnings.map((w) => ({ code: w.code, message: w.message, blocks: w.blocks })),
    sections: view.rendered.map((s) => ({ key: s.key, part: s.part, heading: s.heading, text: s.text })),
    publishedAt: a.publishedAt?.toISOString() ?? null,
    publicUrl: publicUrl ?? (a.slug && a.status === 'published' ? `/p/${a.slug}` : null),
    html: announcementHtml(a.title, view.rendered),
  };
}

export const REVISION_ACTIONS: Record<string, string> = {
  compile: '生成/更新数据',
  edit: '编辑文字',
  submit: '提交审批',
  return: '退回修改',
  publish: '批准发布',
  supersede: '被新草稿替代',
};

/** What the pages show beside the text: figures as tables, charts, statistics. */
export function figuresView(f: AnnouncementFigures, audience: 'public' | 'lead' = 'public') {
  return {
    gradeRows: [
      ...KINDS.map((k) => ({
        label: KIND_LABELS[k],
        counts: GRADES.map((g) => ({ n: f.grades[k][g], share: f.grades.share[k][g] })),
        total: f.scope[k],
      })),
      {
        label: '合计',
        counts: GRADES.map((g) => ({ n: f.grades.all[g], share: f.grades.allShare[g] })),
        total: f.scope.project + f.scope.department,
      },
    ],
    qualityRows: KINDS.map((k) => ({
      label: KIND_LABELS[k],
      counts: GRADES.map((g) => ({ n: f.quality[k][g], share: f.quality.share[k][g] })),
      unrated: f.quality.unrated[k],
    })),
    grades: GRADES,
    deviation: f.deviation,
    largest: f.deviation.largest.map((l) => ({ ...l, kindLabel: KIND_LABELS[l.kind] })),
    problems: f.problems.map((p) => ({ ...p, kindLabel: KIND_LABELS[p.kind] })),
    statistics: statisticsLines(f, audience),
    charts: JSON.stringify(chartConfigs(f)),
  };
}

export function documentView(view: AnnouncementView) {
  return { parts: partsOf(view.rendered), title: view.announcement.title };
}

export function dateLine(at: Date | null): string {
  return formatCalendarDateZh(formatInstantCst(at ?? new Date()).slice(0, 10));
}

export async function sendDocx(res: Response, view: AnnouncementView, name: string) {
  const buffer = await announcementDocx({
    title: view.announcement.title,
    sections: view.rendered,
    figures: view.figures,
    bureau: view.round.bureau ?? '财政局',
    dateLine: dateLine(view.announcement.publishedAt),
    note: view.announcement.correctionNote,
  });
  sendAs(res, name);
  res.type('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  res.send(buffer);
}
