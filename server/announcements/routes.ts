import { Request, Response, Router } from 'express';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { AnnouncementFigures, ANNOUNCEMENT_STATUSES, fillFigures } from '../domain/announcement';
import { formatCalendarDateZh, formatInstantCst } from '../domain/dates';
import { GRADES } from '../domain/grades';
import { KIND_LABELS, KINDS } from '../domain/population';
import { can } from '../domain/roles';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { Conflict, isFormError, NotFound } from '../errors';
import { objectBody, trimmed } from '../http/input';
import { Services } from '../services';
import { chartConfigs } from './charts';
import { announcementDocx, announcementHtml, partsOf, statisticsLines } from './document';
import { AnnouncementView } from './service';

/** The announcement as the API and `/p/:slug.json` give it (api.md, "An announcement"). */
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

const REVISION_ACTIONS: Record<string, string> = {
  compile: '生成/更新数据',
  edit: '编辑文字',
  submit: '提交审批',
  return: '退回修改',
  publish: '批准发布',
  supersede: '被新草稿替代',
};

/** What the pages show beside the text: figures as tables, charts, statistics. */
function figuresView(f: AnnouncementFigures) {
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
    statistics: statisticsLines(f),
    charts: JSON.stringify(chartConfigs(f)),
  };
}

function documentView(view: AnnouncementView) {
  return { parts: partsOf(view.rendered), title: view.announcement.title };
}

function dateLine(at: Date | null): string {
  return formatCalendarDateZh(formatInstantCst(at ?? new Date()).slice(0, 10));
}

async function sendDocx(res: Response, view: AnnouncementView, name: string) {
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

export function announcementApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canCompile = access.requirePermission('announcements.compile');
  const canRead = access.requirePermission('announcements.read');
  const canPublish = access.requirePermission('announcements.publish');
  const actor = (req: Request) => ({ id: req.user!.id, role: req.user!.role });

  router.post('/rounds/:id/announcement/compile', canCompile, async (req, res) => {
    const view = await services.announcements.compile(auditContextOf(req), actor(req), idParam(req));
    res.status(201).json(announcementJson(view));
  });
  router.get('/rounds/:id/announcement', canRead, async (req, res) => {
    const view = await services.announcements.current(idParam(req));
    if (!view) throw new NotFound('本批次还没有公示稿');
    res.json(announcementJson(view));
  });
  router.put('/rounds/:id/announcement', canCompile, async (req, res) => {
    res.json(
      announcementJson(
        await services.announcements.save(auditContextOf(req), actor(req), idParam(req), objectBody(req.body)),
      ),
    );
  });
  router.post('/rounds/:id/announcement/submit', canCompile, async (req, res) => {
    res.json(announcementJson(await services.announcements.submit(auditContextOf(req), actor(req), idParam(req))));
  });
  router.post('/rounds/:id/announcement/return', canPublish, async (req, res) => {
    res.json(
      announcementJson(
        await services.announcements.returnToDraft(
          auditContextOf(req),
          actor(req),
          idParam(req),
          trimmed(objectBody(req.body).reason),
        ),
      ),
    );
  });
  router.post('/rounds/:id/announcement/publish', canPublish, async (req, res) => {
    res.json(await services.announcements.publish(auditContextOf(req), actor(req), idParam(req)));
  });
  return router;
}

export function announcementPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canCompile = access.requirePermission('announcements.compile');
  const canRead = access.requirePermission('announcements.read');
  const canPublish = access.requirePermission('announcements.publish');
  const actor = (req: Request) => ({ id: req.user!.id, role: req.user!.role });

  async function renderShow(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const round = await services.rounds.get(idParam(req));
    const view = await services.announcements.current(round.id);
    const history = await services.announcements.history(round.id);
    const role = req.user!.role;
    const a = view?.announcement;
    res.render('announcements/show', {
      title: `公示：${round.title}`,
      round,
      view: view && {
        ...documentView(view),
        ...figuresView(view.figures),
        announcement: a,
        statusLabel: ANNOUNCEMENT_STATUSES[a!.status],
        warnings: view.warnings,
        deadline: a!.document.deadline,
      },
      versions: history.versions.map((v) => ({
        ...v,
        statusLabel: ANNOUNCEMENT_STATUSES[v.status],
        href: v.slug && v.status === 'published' ? `/p/${v.slug}/v/${v.version}` : null,
      })),
      revisions: history.revisions.map((r) => ({ ...r, actionLabel: REVISION_ACTIONS[r.action] ?? r.action })),
      canCompile: can(role, 'announcements.compile'),
      canEdit: can(role, 'announcements.compile') && a?.status === 'draft',
      canSubmit: can(role, 'announcements.compile') && a?.status === 'draft',
      canPublish: can(role, 'announcements.publish') && a?.status === 'submitted',
      isDraft: a?.status === 'draft' || a?.status === 'submitted',
      flash:
        typeof req.query.done === 'string'
          ? (
              {
                compiled: '已根据已确认的复核结果生成公示稿。',
                saved: '已保存。',
                submitted: '已提交分管领导审批。',
                returned: '已退回复核组组长修改。',
                published: '已发布公示。',
              } as Record<string, string>
            )[req.query.done]
          : undefined,
      ...extra,
    });
  }

  /** Runs an action; a refusal (409/422) shows the page again with the reasons. */
  async function act(req: Request, res: Response, done: string, action: () => Promise<unknown>) {
    try {
      await action();
    } catch (err) {
      if (!isFormError(err)) throw err;
      res.status(statusOf(err));
      return renderShow(req, res, { error: err.message, errors: Array.isArray(err.details) ? err.details : [] });
    }
    res.redirect(303, `/rounds/${idParam(req)}/announcement?done=${done}`);
  }

  router.get('/rounds/:id/announcement', canRead, (req, res) => renderShow(req, res));
  router.post('/rounds/:id/announcement/compile', canCompile, (req, res) =>
    act(req, res, 'compiled', () => services.announcements.compile(auditContextOf(req), actor(req), idParam(req))),
  );
  router.post('/rounds/:id/announcement/submit', canCompile, (req, res) =>
    act(req, res, 'submitted', () => services.announcements.submit(auditContextOf(req), actor(req), idParam(req))),
  );
  router.post('/rounds/:id/announcement/return', canPublish, (req, res) =>
    act(req, res, 'returned', () =>
      services.announcements.returnToDraft(
        auditContextOf(req),
        actor(req),
        idParam(req),
        trimmed(objectBody(req.body).reason),
      ),
    ),
  );
  router.post('/rounds/:id/announcement/publish', canPublish, (req, res) =>
    act(req, res, 'published', () => services.announcements.publish(auditContextOf(req), actor(req), idParam(req))),
  );

  async function renderEdit(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const round = await services.rounds.get(idParam(req));
    const view = await services.announcements.current(round.id);
    if (!view || view.announcement.status !== 'draft') return res.redirect(303, `/rounds/${round.id}/announcement`);
    const posted = (extra.posted as Record<string, unknown> | undefined) ?? {};
    const postedSections = (posted.sections ?? {}) as Record<string, string>;
    const errors = (extra.errors as Array<{ field: string; message: string }> | undefined) ?? [];
    res.render('announcements/edit', {
      title: `编辑公示稿：${round.title}`,
      round,
      a: view.announcement,
      form: {
        title: posted.title ?? view.announcement.title,
        deadline: posted.deadline ?? view.announcement.document.deadline,
        correctionNote: posted.correctionNote ?? view.announcement.correctionNote ?? '',
        revision: posted.revision ?? view.announcement.revision,
      },
      needsCorrectionNote: view.announcement.version > 1,
      parts: partsOf(view.sections).map((part) => ({
        heading: part.heading,
        sections: part.sections.map((s) => {
          const section = view.sections.find((x) => x.key === s.key)!;
          return {
            key: s.key,
            heading: s.heading,
            text: postedSections[s.key] ?? section.text,
            edited: view.announcement.document.edits[s.key] !== undefined,
            preview: fillFigures(section.text, view.values),
            error: errors.find((e) => e.field === `sections.${s.key}`)?.message,
            rows: Math.min(14, Math.max(3, Math.ceil([...section.text].length / 60) + 1)),
          };
        }),
      })),
      figures: Object.entries(view.values).map(([name, value]) => ({ token: `{${name}}`, value })),
      warnings: view.warnings,
      ...extra,
    });
  }

  router.get('/rounds/:id/announcement/edit', canCompile, (req, res) => renderEdit(req, res));
  router.post('/rounds/:id/announcement/edit', canCompile, async (req, res) => {
    const input = objectBody(req.body);
    const sections: Record<string, string> = {};
    for (const [name, value] of Object.entries(input))
      if (name.startsWith('section:')) sections[name.slice('section:'.length)] = String(value);
    const posted = {
      title: input.title,
      deadline: input.deadline,
      correctionNote: input.correctionNote,
      revision: input.revision,
      sections,
    };
    try {
      await services.announcements.save(auditContextOf(req), actor(req), idParam(req), posted);
    } catch (err) {
      if (!isFormError(err)) throw err;
      // Nothing the lead typed is lost: the form comes back with their text (and, on 409, the current revision to save over).
      res.status(statusOf(err));
      const current =
        err instanceof Conflict
          ? (await services.announcements.current(idParam(req)))?.announcement.revision
          : undefined;
      return renderEdit(req, res, {
        posted: { ...posted, revision: current ?? posted.revision },
        error: err.message,
        errors: Array.isArray(err.details) ? err.details : [],
        stale: err instanceof Conflict,
      });
    }
    res.redirect(303, `/rounds/${idParam(req)}/announcement?done=saved`);
  });

  router.get('/rounds/:id/announcement.docx', canRead, async (req, res) => {
    const view = await services.announcements.current(idParam(req));
    if (!view) throw new NotFound('本批次还没有公示稿');
    await sendDocx(
      res,
      view,
      `公示稿-第${view.announcement.version}版-${ANNOUNCEMENT_STATUSES[view.announcement.status]}.docx`,
    );
  });

  return router;
}

/** `/p/:slug` and its versions, JSON and Word: no login; only published versions exist here. */
export function publicAnnouncementRoutes({ services }: { services: Services }): Router {
  const router = Router();

  async function find(slug: string, version?: string) {
    const n = version === undefined ? undefined : Number(version);
    if (n !== undefined && !Number.isSafeInteger(n)) throw new NotFound('没有这份公示');
    const found = await services.announcements.published(slug, n);
    if (!found) throw new NotFound('没有这份公示');
    return found;
  }

  async function respond(res: Response, name: string, version?: string) {
    const [slug, ext] = name.endsWith('.json')
      ? [name.slice(0, -5), 'json']
      : name.endsWith('.docx')
        ? [name.slice(0, -5), 'docx']
        : [name, 'html'];
    const { view, versions, latest } = await find(slug, version);
    const a = view.announcement;
    if (ext === 'json')
      return res.json({
        ...announcementJson(view, `/p/${slug}${version ? `/v/${version}` : ''}`),
        versions: versions.map((v) => ({
          version: v.version,
          publishedAt: v.publishedAt?.toISOString(),
          correctionNote: v.correctionNote,
          url: `/p/${slug}/v/${v.version}`,
        })),
      });
    if (ext === 'docx') return sendDocx(res, view, `${a.title}（第${a.version}版）.docx`);
    res.render('announcements/public', {
      ...documentView(view),
      layout: 'public',
      ...figuresView(view.figures),
      announcement: a,
      bureau: view.round.bureau ?? '财政局',
      dateLine: dateLine(a.publishedAt),
      isLatest: a.version === latest,
      latestHref: `/p/${slug}`,
      base: `/p/${slug}${version ? `/v/${version}` : ''}`,
      versions: versions.map((v) => ({
        version: v.version,
        publishedAt: v.publishedAt,
        correctionNote: v.correctionNote,
        href: `/p/${slug}/v/${v.version}`,
        current: v.version === a.version,
      })),
      // The page links within this site; the absolute address (FUHE_PUBLIC_URL) is for the printed text.
      drawUrl: new URL(view.figures.draw.publicUrl).pathname,
    });
  }

  router.get('/p/:name', async (req, res, next) => {
    if (req.params.name === 'verify-draw.js' || req.params.name === 'draws') return next();
    return respond(res, String(req.params.name));
  });
  router.get('/p/:slug/v/:version', (req, res) => {
    const version = String(req.params.version);
    const [n, ext] = version.endsWith('.json')
      ? [version.slice(0, -5), '.json']
      : version.endsWith('.docx')
        ? [version.slice(0, -5), '.docx']
        : [version, ''];
    return respond(res, `${String(req.params.slug)}${ext}`, n);
  });
  return router;
}
