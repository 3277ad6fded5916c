import { defaultCause } from '../domain/announcement';
import { Request, Response, Router } from 'express';
import { idParam } from '../http/params';
import { ANNOUNCEMENT_STATUSES, fillFigures } from '../domain/announcement';
import { can } from '../domain/roles';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { Conflict, isFormError, NotFound } from '../errors';
import { objectBody, trimmed } from '../http/input';
import { Services } from '../services';
import { partsOf } from './document';

import { REVISION_ACTIONS, announcementJson, documentView, figuresView, sendDocx } from './present';

/** The announcement as the API and `/p/:slug.json` give it (api.md, "An announcement"). */

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
    res.json(announcementJson(await services.approval.submit(auditContextOf(req), actor(req), idParam(req))));
  });
  router.post('/rounds/:id/announcement/return', canPublish, async (req, res) => {
    res.json(
      announcementJson(
        await services.approval.returnToDraft(
          auditContextOf(req),
          actor(req),
          idParam(req),
          trimmed(objectBody(req.body).reason),
        ),
      ),
    );
  });
  router.post('/rounds/:id/announcement/publish', canPublish, async (req, res) => {
    res.json(await services.approval.publish(auditContextOf(req), actor(req), idParam(req)));
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
        ...figuresView(view.figures, 'lead'),
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
    act(req, res, 'submitted', () => services.approval.submit(auditContextOf(req), actor(req), idParam(req))),
  );
  router.post('/rounds/:id/announcement/return', canPublish, (req, res) =>
    act(req, res, 'returned', () =>
      services.approval.returnToDraft(
        auditContextOf(req),
        actor(req),
        idParam(req),
        trimmed(objectBody(req.body).reason),
      ),
    ),
  );
  router.post('/rounds/:id/announcement/publish', canPublish, (req, res) =>
    act(req, res, 'published', () => services.approval.publish(auditContextOf(req), actor(req), idParam(req))),
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
            // A default cause the lead may keep as it is, after reading it.
            defaultCause: s.key.startsWith('problem:') && defaultCause(s.key.slice('problem:'.length)) !== undefined,
            causeReviewed: (
              (posted.reviewedCauses as string[] | undefined) ??
              view.announcement.document.reviewedCauses ??
              []
            ).includes(s.key),
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
      // Unticked boxes are not sent: the form says which ones it had.
      reviewedCauses: ([] as unknown[]).concat(input.reviewedCauses ?? []).map(String),
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
