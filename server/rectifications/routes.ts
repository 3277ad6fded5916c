import { Request, Response, Router } from 'express';
import { KIND_LABELS } from '../domain/population';
import { RECTIFICATION_STATUSES } from '../domain/rectification';
import { can } from '../domain/roles';
import { Invalid, isFormError, NotFound } from '../errors';
import { RectificationReport } from './report';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { formAgain } from '../http/forms';
import { asText, objectBody } from '../http/input';
import { idParam } from '../http/params';
import { sendAs } from '../http/download';
import { actorOf } from '../reviews/itemRoutes';
import { Services } from '../services';
import { Rectification, RectificationStep } from './repository';
import { StaleRectification } from './service';

type Task = Rectification & { overdue: boolean };

export const rectificationJson = (t: Task) => ({
  id: t.id,
  roundId: t.roundId,
  code: t.code,
  name: t.name,
  unit: t.unit,
  department: t.department,
  category: t.category,
  categoryTitle: t.categoryTitle,
  finding: t.finding,
  dueDate: t.dueDate,
  status: t.status,
  overdue: t.overdue,
  measures: t.measures,
  result: t.result,
  evidence: t.evidenceIds,
  returnReason: t.returnReason,
  recordedByLead: t.recordedByLead,
  version: t.version,
  updatedBy: t.updatedByName,
  updatedAt: t.updatedAt.toISOString(),
});

const reportJson = (r: RectificationReport) => ({
  version: r.version,
  status: r.status,
  title: r.title,
  body: r.body,
  figures: r.figures,
  revision: r.revision,
  returnReason: r.returnReason,
  publicUrl: r.slug ? `/p/rectifications/${r.slug}` : null,
  publishedAt: r.publishedAt?.toISOString() ?? null,
});

const STEP_LABELS: Record<string, string> = {
  create: '生成',
  save: '保存',
  submit: '提交',
  accept: '销号',
  return: '退回',
};

/** A task and its steps as the pages show them. */
export const taskRow = (t: Task, steps: RectificationStep[]) => ({
  ...t,
  kindLabel: KIND_LABELS[t.kind],
  statusLabel: RECTIFICATION_STATUSES[t.status],
  href: `/rectifications/${t.id}`,
  steps: steps
    .filter((s) => s.rectificationId === t.id)
    .map((s) => ({
      ...s,
      actionLabel: STEP_LABELS[s.action] ?? s.action,
      statusLabel: RECTIFICATION_STATUSES[s.status],
    }))
    .reverse(),
});

const ACTIONS = ['save', 'submit', 'accept', 'return'] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);
const DONE: Record<Action, string> = {
  save: '整改情况已保存。',
  submit: '整改情况已提交，等待复核组组长销号。',
  accept: '已销号。',
  return: '已退回，单位修改后可重新提交。',
};

/** 整改情况 (a round's tasks, for the lead and the official) and one task's page. */
export function rectificationPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.get('/rounds/:id/rectifications', access.requirePermission('rectifications.read'), async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const view = await services.rectifications.ofRound(round.id);
    res.render('rectifications/round', {
      title: `整改情况：${round.title}`,
      round,
      total: view.tasks.length,
      byStatus: Object.entries(RECTIFICATION_STATUSES).map(([status, label]) => ({
        status,
        label,
        count: view.byStatus[status as keyof typeof RECTIFICATION_STATUSES],
      })),
      departments: view.departments,
      overdue: view.overdue.map((t) => taskRow(t, [])),
      tasks: view.tasks.map((t) => taskRow(t, view.steps)),
      canAct: can(req.user!.role, 'reviews.assign'),
    });
  });

  // 整改情况通报: the lead compiles and edits, the official publishes or returns it.
  const REPORT_STEPS: Record<string, (req: Request, form: Record<string, unknown>) => Promise<string>> = {
    compile: async (req) => {
      await services.rectificationReports.compile(auditContextOf(req), actorOf(req), idParam(req));
      return '已按当前整改情况生成通报草稿。';
    },
    save: async (req, form) => {
      await services.rectificationReports.save(auditContextOf(req), actorOf(req), idParam(req), form);
      return '通报已保存。';
    },
    // From the editor: what was typed is saved first, so that nothing typed is lost by submitting.
    submit: async (req, form) => {
      if (form.body !== undefined)
        await services.rectificationReports.save(auditContextOf(req), actorOf(req), idParam(req), form);
      await services.rectificationReports.submit(auditContextOf(req), actorOf(req), idParam(req));
      return '已保存并提交分管领导审批。';
    },
    publish: async (req) => {
      await services.rectificationReports.publish(auditContextOf(req), actorOf(req), idParam(req));
      return '整改情况通报已发布。';
    },
    return: async (req, form) => {
      await services.rectificationReports.return(auditContextOf(req), actorOf(req), idParam(req), form.reason);
      return '已退回复核组组长修改。';
    },
  };

  async function renderReport(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const round = await services.rounds.get(idParam(req));
    const report = await services.rectificationReports.get(round.id);
    const typed = extra.typed as Record<string, unknown> | undefined;
    const role = req.user!.role;
    res.render('rectifications/report', {
      title: `整改情况通报：${round.title}`,
      round,
      report: report && { ...report, paragraphs: report.body.split(/\n{2,}/) },
      form: {
        title: typed ? asText(typed.title) : (report?.title ?? ''),
        body: typed ? asText(typed.body) : (report?.body ?? ''),
        revision: typed ? asText(typed.revision) : String(report?.revision ?? ''),
      },
      canCompile: role === 'lead' && round.state === 'published' && report?.status !== 'submitted',
      canEdit: role === 'lead' && report?.status === 'draft',
      canDecide: role === 'official' && report?.status === 'submitted',
      ...extra,
    });
  }

  router.get('/rounds/:id/rectifications/report', access.requirePermission('rectifications.read'), (req, res) =>
    renderReport(req, res),
  );

  router.post(
    '/rounds/:id/rectifications/report',
    access.requirePermission('rectifications.read'),
    async (req, res) => {
      const form = objectBody(req.body);
      const step = asText(form.action);
      if (!Object.hasOwn(REPORT_STEPS, step)) throw new Invalid(`未知的操作"${step.slice(0, 20)}"`);
      let what: string;
      try {
        what = await REPORT_STEPS[step](req, form);
      } catch (err) {
        if (!isFormError(err)) throw err;
        return renderReport(req, res, {
          typed: step === 'save' || step === 'submit' ? form : undefined,
          ...formAgain(res, err),
        });
      }
      await req.flash({ notice: what });
      res.redirect(303, `/rounds/${idParam(req)}/rectifications/report`);
    },
  );

  // The published report, for anyone.
  router.get('/p/rectifications/:slug', async (req, res) => {
    const { report, round } = await services.rectificationReports.published(String(req.params.slug));
    res.render('rectifications/public', {
      layout: 'public',
      publicSection: '整改情况通报',
      title: report.title,
      report: { ...report, paragraphs: report.body.split(/\n{2,}/) },
      round,
    });
  });

  async function renderTask(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const { task, steps, unitReachable, files } = await services.rectifications.get(actorOf(req), idParam(req));
    const typed = extra.typed as Record<string, unknown> | undefined;
    const cited = typed ? [typed.evidence ?? []].flat().map(String) : task.evidenceIds.map(String);
    const itemHref = `/rounds/${task.roundId}/items/${encodeURIComponent(task.code)}`;
    res.render('rectifications/task', {
      title: `整改事项：${task.code} ${task.categoryTitle}`,
      task: taskRow(task, steps),
      form: {
        measures: typed ? asText(typed.measures) : (task.measures ?? ''),
        result: typed ? asText(typed.result) : (task.result ?? ''),
        version: typed ? asText(typed.version) : String(task.version),
        reason: typed ? asText(typed.reason) : '',
      },
      files: files.map((e) => ({
        id: e.id,
        fileName: e.fileName,
        href: `${itemHref}/evidence/${e.id}`,
        checked: cited.includes(String(e.id)),
      })),
      citedFiles: files
        .filter((e) => task.evidenceIds.includes(e.id))
        .map((e) => ({ fileName: e.fileName, href: `${itemHref}/evidence/${e.id}` })),
      itemHref,
      isUnit: req.user!.role === 'unit',
      isLead: req.user!.role === 'lead',
      writable: (task.status === 'open' || task.status === 'returned') && ['unit', 'lead'].includes(req.user!.role),
      decidable: task.status === 'submitted' && req.user!.role === 'lead',
      unitReachable,
      backHref: req.user!.role === 'unit' ? '/unit' : `/rounds/${task.roundId}/rectifications`,
      ...extra,
    });
  }

  router.get('/rectifications/:id', access.requireSignedIn, (req, res) => renderTask(req, res));

  router.post('/rectifications/:id', access.requireSignedIn, async (req, res) => {
    const form = objectBody(req.body);
    const action = asText(form.action);
    if (!isAction(action)) throw new Invalid(`未知的操作"${action.slice(0, 20)}"`);
    try {
      // The form's boxes: none ticked cites no file (the API keeps the cited files when it leaves them out).
      const body = action === 'save' || action === 'submit' ? { ...form, evidence: form.evidence ?? [] } : form;
      await services.rectifications[action](auditContextOf(req), actorOf(req), idParam(req), body);
    } catch (err) {
      if (!isFormError(err)) throw err;
      // What was typed comes back; a stale version shows the task as it is now beside it.
      return renderTask(req, res, { typed: form, stale: err instanceof StaleRectification, ...formAgain(res, err) });
    }
    await req.flash({ notice: DONE[action] });
    res.redirect(303, `/rectifications/${idParam(req)}`);
  });

  return router;
}

/** The rectification API (spec/units.md). */
export function rectificationApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.get('/rounds/:id/rectifications', access.requirePermission('rectifications.read'), async (req, res) => {
    const view = await services.rectifications.ofRound(idParam(req));
    res.json({ items: view.tasks.map(rectificationJson), byStatus: view.byStatus });
  });

  router.get('/rounds/:id/rectifications.xlsx', access.requirePermission('rectifications.read'), async (req, res) => {
    const data = await services.rectifications.workbook(idParam(req));
    sendAs(res, `整改情况-${idParam(req)}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.send(data);
  });

  router.get('/rounds/:id/rectification-report', access.requirePermission('rectifications.read'), async (req, res) => {
    const report = await services.rectificationReports.get(idParam(req));
    if (!report) throw new NotFound('还没有整改情况通报');
    res.json(reportJson(report));
  });
  const reportStep =
    (run: (req: Request) => Promise<RectificationReport>, status = 200) =>
    async (req: Request, res: Response) =>
      res.status(status).json(reportJson(await run(req)));
  router.post(
    '/rounds/:id/rectification-report/compile',
    access.requirePermission('rectifications.read'),
    reportStep((req) => services.rectificationReports.compile(auditContextOf(req), actorOf(req), idParam(req)), 201),
  );
  router.put(
    '/rounds/:id/rectification-report',
    access.requirePermission('rectifications.read'),
    reportStep((req) =>
      services.rectificationReports.save(auditContextOf(req), actorOf(req), idParam(req), objectBody(req.body)),
    ),
  );
  for (const step of ['submit', 'publish'] as const)
    router.post(
      `/rounds/:id/rectification-report/${step}`,
      access.requirePermission('rectifications.read'),
      reportStep((req) => services.rectificationReports[step](auditContextOf(req), actorOf(req), idParam(req))),
    );
  router.post(
    '/rounds/:id/rectification-report/return',
    access.requirePermission('rectifications.read'),
    reportStep((req) =>
      services.rectificationReports.return(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        objectBody(req.body).reason,
      ),
    ),
  );

  router.get('/unit/rectifications', access.requirePermission('units.own'), async (req, res) => {
    const view = await services.rectifications.mine(actorOf(req));
    res.json({ items: view.tasks.map(rectificationJson), byStatus: view.byStatus });
  });

  const answer = async (req: Request, res: Response, action: Action) => {
    const task = await services.rectifications[action](
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      objectBody(req.body),
    );
    res.json(rectificationJson(task));
  };
  router.put('/rectifications/:id', access.requireSignedIn, (req, res) => answer(req, res, 'save'));
  for (const action of ['submit', 'accept', 'return'] as const)
    router.post(`/rectifications/:id/${action}`, access.requireSignedIn, (req, res) => answer(req, res, action));

  return router;
}
