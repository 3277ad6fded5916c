import { Request, RequestHandler, Router } from 'express';
import { GRADES } from '../domain/grades';
import { can } from '../domain/roles';
import { isFormError, Refused } from '../errors';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { sendAs } from '../http/download';
import { asText, objectBody, trimmed } from '../http/input';
import { idParam } from '../http/params';
import { actorOf } from '../reviews/itemRoutes';
import { Services } from '../services';
import { resultCharts } from './charts';

/** The results across years are the lead's, the official's and the admin's; a unit's contact reads its own. */
const canReadResults: RequestHandler = (req, _res, next) => {
  if (req.user && (can(req.user.role, 'results.read') || req.user.role === 'unit')) return next();
  throw new Refused('无权查看结果应用');
};

const filterOf = (req: Request) => ({
  unit: trimmed(req.query.unit) || undefined,
  department: trimmed(req.query.department) || undefined,
});

/** 结果应用: results across years (page and JSON), the budget actions, the 结果应用 sheet. */
export function resultPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.get('/results', access.requireSignedIn, canReadResults, async (req, res) => {
    const filter = filterOf(req);
    const all = await services.results.acrossYears(actorOf(req), {});
    const units = all.filter(
      (u) => (!filter.unit || u.unit === filter.unit) && (!filter.department || u.department === filter.department),
    );
    const recurring = units.filter((u) => u.rounds.some((r) => r.problems.some((p) => p.recurring)));
    res.render('results/index', {
      title: '结果应用',
      filter,
      departments: [...new Set(all.map((u) => u.department))].map((d) => ({
        name: d,
        selected: d === filter.department,
      })),
      unitNames: [...new Set(all.map((u) => u.unit))].map((n) => ({ name: n, selected: n === filter.unit })),
      units: units.map((u) => ({
        ...u,
        rounds: u.rounds.map((r) => ({
          ...r,
          gradeList: GRADES.map((g) => ({ grade: g, count: r.grades[g] })),
          qualityList: GRADES.map((g) => ({ grade: g, count: r.quality[g] })),
          recurringCount: r.problems.filter((p) => p.recurring).length,
          unaccepted: r.rectification.open + r.rectification.submitted + r.rectification.returned,
          anyTasks:
            r.rectification.open + r.rectification.submitted + r.rectification.returned + r.rectification.accepted > 0,
        })),
      })),
      recurring,
      charts: JSON.stringify(resultCharts(units)),
      hasCharts: units.length > 0,
    });
  });

  router.post('/rounds/:id/budget-actions', access.requirePermission('announcements.compile'), async (req, res) => {
    const form = objectBody(req.body);
    try {
      await services.results.setBudgetActions(auditContextOf(req), idParam(req), form, Number(asText(form.version)));
      await req.flash({ notice: '预算安排建议已保存。' });
    } catch (err) {
      if (!isFormError(err)) throw err;
      await req.flash({ error: err.message, details: Array.isArray(err.details) ? err.details : undefined });
    }
    res.redirect(303, `/rounds/${idParam(req)}#budget-actions`);
  });

  return router;
}

export function resultApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.get('/results', access.requireSignedIn, canReadResults, async (req, res) => {
    res.json({ units: await services.results.acrossYears(actorOf(req), filterOf(req)) });
  });

  router.put('/rounds/:id/budget-actions', access.requirePermission('announcements.compile'), async (req, res) => {
    const body = objectBody(req.body);
    res.json(
      await services.results.setBudgetActions(
        auditContextOf(req),
        idParam(req),
        objectBody(body.actions),
        Number(body.version),
      ),
    );
  });

  router.get('/rounds/:id/results.xlsx', access.requirePermission('results.read'), async (req, res) => {
    const data = await services.results.workbook(idParam(req));
    sendAs(res, `结果应用-${idParam(req)}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.send(data);
  });

  return router;
}
