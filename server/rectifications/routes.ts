import { Request, Response, Router } from 'express';
import { KIND_LABELS } from '../domain/population';
import { RECTIFICATION_STATUSES } from '../domain/rectification';
import { can } from '../domain/roles';
import { Invalid, isFormError } from '../errors';
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
