import { trimmed } from '../http/input';
import { idParam } from '../http/params';
import { Router } from 'express';
import { AUDIT_ACTION_LABELS } from '../audit/labels';
import { AuditFilter } from '../audit/repository';
import { ROLE_LABELS, ROLES } from '../domain/roles';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { isFormError } from '../errors';
import { Services } from '../services';
import { parseCoverage, parseUserInput } from '../users/validation';

const PAGE_SIZE = 50;
const roleOptions = ROLES.map((value) => ({ value, label: ROLE_LABELS[value] }));

const str = trimmed;

/** "2026-11-25" as the start (or end) of that day in Beijing time. */
function dayBound(text: string, end: boolean): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T${end ? '23:59:59.999' : '00:00:00.000'}+08:00`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function adminRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const manageUsers = access.requirePermission('users.manage');

  const renderUsers = async (res: import('express').Response, data: Record<string, unknown> = {}) => {
    const [users, coverages] = await Promise.all([services.users.list(), services.units.coverages()]);
    res.render('admin/users', {
      title: '用户管理',
      users: users.map((u) => {
        const coverage = coverages.get(u.id);
        // The edit form opens with what was typed when it was refused, else with the stored names.
        const typed = (data.coverageForm as { id?: number } | undefined)?.id === u.id ? data.coverageForm : undefined;
        return {
          ...u,
          coverage,
          coverageEdit: u.role === 'unit' && {
            open: typed !== undefined,
            units: typed ? (typed as { units: string }).units : (coverage?.units ?? []).join('\n'),
            departments: typed
              ? (typed as { departments: string }).departments
              : (coverage?.departments ?? []).join('\n'),
            unknownNames: typed ? (typed as { unknownNames?: unknown[] }).unknownNames : undefined,
          },
        };
      }),
      roleOptions,
      ...data,
    });
  };

  router.get('/admin/users', manageUsers, async (_req, res) => renderUsers(res));

  router.post('/admin/users', manageUsers, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const parsed = parseUserInput(body);
    const form = {
      username: str(body.username),
      displayName: str(body.displayName),
      role: str(body.role),
      organisation: str(body.organisation),
      units: str(body.units),
      departments: str(body.departments),
    };
    if (!parsed.value) {
      res.status(422);
      return renderUsers(res, { errors: parsed.errors, error: '请更正标出的内容', form });
    }
    // A name in no population may be right (the population comes later) or mistyped: asked once, with the closest names.
    const unknownNames = parsed.value.coverage ? await services.units.unknownNames(parsed.value.coverage) : [];
    if (unknownNames.length && body.confirmUnknownNames !== 'yes') {
      res.status(422);
      return renderUsers(res, {
        error: '以下名称不在任何已导入的自评名单中，请核对',
        unknownNames,
        form,
      });
    }
    try {
      const { user, generatedPassword } = await services.users.create(auditContextOf(req), parsed.value);
      res.status(201);
      return renderUsers(res, { created: user, generatedPassword, unknownNamesKept: unknownNames });
    } catch (err) {
      if (!isFormError(err)) throw err;
      res.status(statusOf(err));
      return renderUsers(res, { errors: err.details, error: err.message, form });
    }
  });

  router.post('/admin/users/:id/coverage', manageUsers, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const id = idParam(req);
    const typed = { id, units: str(body.units), departments: str(body.departments) };
    const parsed = parseCoverage(body);
    if (!parsed.value) {
      res.status(422);
      return renderUsers(res, { error: parsed.errors[0].message, coverageForm: typed });
    }
    const unknownNames = await services.units.unknownNames(parsed.value);
    if (unknownNames.length && body.confirmUnknownNames !== 'yes') {
      res.status(422);
      return renderUsers(res, {
        error: '以下名称不在任何已导入的自评名单中，请核对',
        coverageForm: { ...typed, unknownNames },
      });
    }
    const user = await services.users.setCoverage(auditContextOf(req), id, parsed.value);
    return renderUsers(res, { notice: `已修改 ${user.username} 所联系的单位` });
  });

  router.post('/admin/users/:id/disable', manageUsers, async (req, res) => {
    const user = await services.users.setDisabled(auditContextOf(req), idParam(req), true);
    res.status(200);
    return renderUsers(res, { notice: `已停用用户 ${user.username}，其所有会话已结束` });
  });

  router.post('/admin/users/:id/enable', manageUsers, async (req, res) => {
    const user = await services.users.setDisabled(auditContextOf(req), idParam(req), false);
    return renderUsers(res, { notice: `已启用用户 ${user.username}` });
  });

  router.post('/admin/users/:id/reset-password', manageUsers, async (req, res) => {
    const id = idParam(req);
    const password = await services.users.resetPassword(auditContextOf(req), id);
    const user = await services.users.get(id);
    return renderUsers(res, { resetUser: user, generatedPassword: password });
  });

  router.get('/admin/audit', access.requirePermission('audit.read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const form = {
      action: str(query.action),
      actor: str(query.actor).toLowerCase(),
      objectType: str(query.objectType),
      objectId: str(query.objectId),
      from: str(query.from),
      to: str(query.to),
    };
    const filter: AuditFilter = {
      action: form.action || undefined,
      actor: form.actor || undefined,
      objectType: form.objectType || undefined,
      objectId: form.objectId || undefined,
      from: dayBound(form.from, false),
      to: dayBound(form.to, true),
    };
    const page = Math.max(1, Math.floor(Number(query.page)) || 1);
    const { total, records } = await services.audit.list(filter, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const link = (p: number) =>
      `/admin/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(form).filter(([, v]) => v)), page: String(p) })}`;
    res.render('admin/audit', {
      title: '审计日志',
      form,
      // Every action the code writes has a label, so the list needs no scan of the log.
      actions: Object.keys(AUDIT_ACTION_LABELS),
      records,
      total,
      page,
      pages,
      prev: page > 1 ? link(page - 1) : null,
      next: page < pages ? link(page + 1) : null,
    });
  });

  return router;
}
