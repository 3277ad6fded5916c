import { objectBody } from '../http/input';
import { idParam } from '../http/params';
import { Response, Router } from 'express';
import { describeChanges, parseRoundFields, ROUND_STATES } from '../domain/rounds';
import { can } from '../domain/roles';
import { GRADES } from '../domain/grades';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { Conflict, Invalid } from '../errors';
import { Services } from '../services';
import { Round } from './repository';
import { PopulationImport } from '../population/importRepository';
import { fenToWan, formatWan } from '../domain/money';
import { formatScore } from '../domain/grades';
import { REVIEW_STATUSES } from '../domain/review';

const itemHref = (roundId: number, code: string) => `/rounds/${roundId}/items/${encodeURIComponent(code)}`;

export function roundJson(round: Round, population?: PopulationImport) {
  return {
    id: round.id,
    title: round.title,
    fiscalYear: round.fiscalYear,
    bureau: round.bureau,
    workPlanRef: round.workPlanRef,
    deadline: round.deadline,
    publicityDays: round.publicityDays,
    objectionContact: round.objectionContact,
    onsiteChecks: round.onsiteChecks,
    minEstimateSample: round.minEstimateSample,
    unitFeedbackDays: round.unitFeedbackDays,
    state: round.state,
    stateLabel: ROUND_STATES[round.state],
    createdBy: { id: round.createdBy, name: round.createdByName },
    createdAt: round.createdAt.toISOString(),
    updatedAt: round.updatedAt.toISOString(),
    version: round.version,
    population: population
      ? {
          total: population.recordCount,
          byKind: { project: population.projectCount, department: population.departmentCount },
          indicators: population.indicatorCount,
          budgetFen: String(population.budgetFen),
          budgetWan: fenToWan(population.budgetFen),
          fingerprint: population.fingerprint,
          importedAt: population.importedAt.toISOString(),
        }
      : null,
  };
}

const body = objectBody;

export function roundPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canRead = access.requirePermission('rounds.read');
  const canCreate = access.requirePermission('rounds.create');
  const canEdit = access.requirePermission('rounds.edit');

  /**
   * Each person lands on their work: reviewers and evaluators on 我的复核任务 (served at '/' by
   * the work page's route, mounted after this one); an official sees
   * first what awaits their approval, a lead where each round's reviews stand.
   */
  router.get('/', canRead, async (req, res, next) => {
    const role = req.user!.role;
    // Their work page answers '/' for them (reviews/assignmentRoutes.ts).
    if (role === 'reviewer' || role === 'evaluator') return next();
    const populations = await services.population.byRound();
    const progress = await services.rounds.progress();
    const rounds = await services.rounds.list();
    const awaiting = rounds.filter((r) => progress.get(r.id)?.announcement === 'submitted');
    res.render('rounds/dashboard', {
      title: '工作台',
      awaiting: role === 'official' || role === 'lead' ? awaiting : [],
      approves: role === 'official',
      rounds: rounds.map((round) => {
        const population = populations.get(round.id);
        const p = progress.get(round.id);
        return {
          ...round,
          progress: p && {
            ...p.reviews,
            sampled: p.sampled,
            pending: p.reviews.submitted,
            open: p.reviews.none + p.reviews.draft + p.reviews.returned,
          },
          population: population && {
            total: population.recordCount,
            project: population.projectCount,
            department: population.departmentCount,
            budget: formatWan(population.budgetFen),
          },
        };
      }),
      canCreate: can(req.user!.role, 'rounds.create'),
      created: req.query.created === '1',
    });
  });

  const renderForm = (res: Response, data: Record<string, unknown>) => res.render('rounds/form', data);

  router.get('/rounds/new', canCreate, (_req, res) => {
    renderForm(res, {
      title: '新建复核批次',
      form: { fiscalYear: String(new Date().getUTCFullYear() - 1) },
      action: '/rounds',
    });
  });

  router.post('/rounds', canCreate, async (req, res) => {
    const parsed = parseRoundFields(body(req.body));
    if (!parsed.value) {
      res.status(422);
      return renderForm(res, {
        title: '新建复核批次',
        form: req.body,
        errors: parsed.errors,
        error: '请更正标出的内容',
        action: '/rounds',
      });
    }
    const round = await services.rounds.create(auditContextOf(req), parsed.value);
    res.redirect(303, `/rounds/${round.id}?created=1`);
  });

  router.get('/rounds/:id', canRead, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const history = can(req.user!.role, 'rounds.edit')
      ? (
          await services.audit.list({ objectType: 'round', objectId: String(round.id) }, { offset: 0, limit: 50 })
        ).records.map((r) => ({
          ...r,
          changes:
            describeChanges(r.before, r.after) || r.detail || (r.action === 'round.create' ? '创建复核批次' : ''),
        }))
      : [];
    const population = can(req.user!.role, 'population.read') ? await services.population.current(round.id) : undefined;
    const draw = population ? await services.draws.active(round.id) : undefined;
    // The lead's view of the review work: how many items stand at each status, and what awaits confirmation.
    const sample = draw && can(req.user!.role, 'reviews.assign') ? await services.assignments.items(round.id) : [];
    // The units' side: who can be reached in the system, what is still asked of them, who disagrees.
    const [units, openRequests, feedback] = sample.length
      ? await Promise.all([
          services.units.sampledUnits(round.id),
          services.units.openRequests([round.id]),
          services.units.latestFeedback(sample.map((i) => i.submissionId)),
        ])
      : [[], [], new Map()];
    const disagrees = (submissionId: number) => feedback.get(submissionId)?.agree === false;
    res.render('rounds/show', {
      sampledUnits: units.length
        ? {
            total: units.length,
            withContacts: units.filter((u) => u.contacts.length),
            withoutContacts: units.filter((u) => !u.contacts.length),
          }
        : undefined,
      overdueRequests: openRequests
        .filter((r) => r.overdue)
        .map((r) => ({ ...r, href: `${itemHref(round.id, r.code)}#requests` })),
      openRequestCount: openRequests.length,
      progress: sample.length
        ? Object.entries(REVIEW_STATUSES).map(([status, label]) => ({
            status,
            label,
            count: sample.filter((i) => (i.status ?? 'none') === status).length,
          }))
        : undefined,
      pending: sample
        .filter((i) => i.status === 'submitted')
        .map((i) => ({
          ...i,
          reviewScoreText: formatScore(i.reviewScore ?? 0),
          href: itemHref(round.id, i.code),
          unitDisagrees: disagrees(i.submissionId),
        })),
      title: round.title,
      round,
      population: population && { ...population, budget: formatWan(population.budgetFen) },
      canReadPopulation: can(req.user!.role, 'population.read'),
      canImport: can(req.user!.role, 'population.import') && round.state === 'preparing',
      draw,
      canDraw: can(req.user!.role, 'draws.create'),
      isEvaluator: req.user!.role === 'evaluator',
      canReadAnnouncement: can(req.user!.role, 'announcements.read'),
      announcement: can(req.user!.role, 'announcements.read')
        ? await services.announcements.latest(round.id)
        : undefined,
      history,
      canEdit: can(req.user!.role, 'rounds.edit'),
      canReadResults: can(req.user!.role, 'results.read'),
      canEditBudgetActions: can(req.user!.role, 'announcements.compile') && round.state !== 'published',
      budgetActions: GRADES.map((grade) => ({ grade, action: round.budgetActions[grade] })),
      created: req.query.created === '1',
      saved: req.query.saved === '1',
    });
  });

  router.get('/rounds/:id/edit', canEdit, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    renderForm(res, {
      title: `修改：${round.title}`,
      form: round,
      version: round.version,
      action: `/rounds/${round.id}/edit`,
      round,
    });
  });

  router.post('/rounds/:id/edit', canEdit, async (req, res) => {
    const id = idParam(req);
    const round = await services.rounds.get(id);
    const input = body(req.body);
    const action = `/rounds/${id}/edit`;
    const parsed = parseRoundFields(input);
    if (!parsed.value) {
      res.status(422);
      return renderForm(res, {
        title: `修改：${round.title}`,
        form: input,
        version: input.version,
        errors: parsed.errors,
        error: '请更正标出的内容',
        action,
        round,
      });
    }
    try {
      await services.rounds.update(auditContextOf(req), id, parsed.value, Number(input.version));
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      // Keep what the user typed; show what is stored now; the next save starts from the current version.
      const current = await services.rounds.get(id);
      res.status(409);
      return renderForm(res, {
        title: `修改：${round.title}`,
        form: input,
        version: current.version,
        current,
        error: err.message,
        action,
        round,
      });
    }
    res.redirect(303, `/rounds/${id}?saved=1`);
  });

  return router;
}

export function roundApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.get('/rounds', access.requirePermission('rounds.read'), async (_req, res) => {
    const populations = await services.population.byRound();
    res.json({ items: (await services.rounds.list()).map((round) => roundJson(round, populations.get(round.id))) });
  });

  router.post('/rounds', access.requirePermission('rounds.create'), async (req, res) => {
    const parsed = parseRoundFields(body(req.body));
    if (!parsed.value) throw new Invalid('复核批次信息不完整或格式不正确', parsed.errors);
    const round = await services.rounds.create(auditContextOf(req), parsed.value);
    res.status(201).location(`/api/rounds/${round.id}`).json(roundJson(round));
  });

  router.get('/rounds/:id', access.requirePermission('rounds.read'), async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    res.json(roundJson(round, await services.population.current(round.id)));
  });

  router.patch('/rounds/:id', access.requirePermission('rounds.edit'), async (req, res) => {
    const id = idParam(req);
    const current = await services.rounds.get(id);
    const input = body(req.body);
    const version = Number(input.version);
    if (!Number.isInteger(version) || version < 1)
      throw new Invalid('缺少版本号 version', [{ field: 'version', message: '请提供读取时的版本号' }]);
    const merged = {
      title: current.title,
      fiscalYear: current.fiscalYear,
      bureau: current.bureau ?? '',
      workPlanRef: current.workPlanRef ?? '',
      deadline: current.deadline ?? '',
      publicityDays: String(current.publicityDays),
      objectionContact: current.objectionContact ?? '',
      onsiteChecks: current.onsiteChecks,
      minEstimateSample: String(current.minEstimateSample),
      unitFeedbackDays: String(current.unitFeedbackDays),
      ...input,
    };
    const parsed = parseRoundFields(merged);
    if (!parsed.value) throw new Invalid('复核批次信息格式不正确', parsed.errors);
    try {
      res.json(
        roundJson(
          await services.rounds.update(auditContextOf(req), id, parsed.value, version),
          await services.population.current(id),
        ),
      );
    } catch (err) {
      if (err instanceof Conflict) {
        throw new Conflict(err.message, { current: roundJson(await services.rounds.get(id)) }, 'stale_version');
      }
      throw err;
    }
  });

  return router;
}
