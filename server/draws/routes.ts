import { objectBody, trimmed } from '../http/input';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { formatScore } from '../domain/grades';
import { formatWan } from '../domain/money';
import { parsePlanInput, planSampleSize, planStratum } from '../domain/planner';
import { KIND_LABELS, KINDS } from '../domain/population';
import { can } from '../domain/roles';
import { formatU, REASONS } from '../domain/sampling';
import { formatRateBp, WARNINGS, warningKeysOf } from '../domain/warnings';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { DomainError, Invalid, isFormError, NotFound } from '../errors';
import { Services } from '../services';
import { parseDrawRequest } from './validation';
import { writeSampleXlsx } from './spreadsheet';
import { Flash } from '../sessions/repository';

import { drawJson, drawView } from './present';

const str = trimmed;

export function drawPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canDraw = access.requirePermission('draws.create');
  const canRead = access.requirePermission('population.read');

  /**
   * The draw form with everything it was sent kept: the draw's fields, the planner's, and what
   * the lead asked for by the button pressed (a preview of each stratum, or the planner's answer
   * as the quotas). Nothing here draws.
   */
  async function renderDrawForm(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const round = await services.rounds.get(idParam(req));
    const active = await services.draws.active(round.id);
    const population = await services.population.current(round.id);
    const sent = (extra.form as Record<string, unknown>) ?? {};
    const form: Record<string, unknown> = { method: 'srs', quotaProject: '', quotaDepartment: '', ...sent };
    if (!extra.form) form.generateSeed = 'on';
    // The planner: defaults of 5 % tolerable, 95 % confidence, none expected.
    const planForm = {
      tolerableRate: str(sent.tolerableRate) || '5',
      confidence: str(sent.confidence) || '95',
      accepted: str(sent.accepted) || '0',
    };
    const planInput = parsePlanInput(planForm, population?.recordCount);
    const plan = planInput.value ? planSampleSize(planInput.value) : undefined;
    const sizes = { project: population?.projectCount ?? 0, department: population?.departmentCount ?? 0 };
    const strataPlan = planInput.value
      ? KINDS.map((kind) => ({ kind, label: KIND_LABELS[kind], ...planStratum(planInput.value!, sizes[kind]) }))
      : undefined;
    const step = str(sent.step);
    if (step === 'useplan' && strataPlan) {
      form.quotaProject = String(strataPlan[0].suggested);
      form.quotaDepartment = String(strataPlan[1].suggested);
    }
    let preview: unknown;
    let previewErrors: unknown;
    if (step === 'preview' && population) {
      const parsed = parseDrawRequest({ ...sent, generateSeed: 'on' }, 'form');
      if (parsed.value) {
        try {
          const strata = await services.draws.preview(round.id, parsed.value);
          preview = KINDS.map((kind) => ({ label: KIND_LABELS[kind], ...strata[kind] }));
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          previewErrors = err.details ?? [{ message: err.message }];
        }
      } else previewErrors = parsed.errors;
    }
    const rounds = (await services.rounds.list()).filter((r) => r.id !== round.id);
    res.render('draws/form', {
      title: `抽样：${round.title}`,
      round,
      active,
      population,
      plan,
      strataPlan,
      planForm,
      planErrors: planInput.errors,
      preview,
      previewErrors,
      usedPlan: step === 'useplan' && strataPlan !== undefined,
      unrectifiedCount: population?.summary.byWarning.unrectified ?? 0,
      otherRounds: rounds.map((r) => ({
        id: r.id,
        title: r.title,
        selected: String(form.excludeRoundId ?? '') === String(r.id),
      })),
      ...extra,
      form,
    });
  }

  router.get('/rounds/:id/draw', canDraw, (req, res) => renderDrawForm(req, res));
  // The preview and the planner: the whole form is posted back and comes back as it was sent.
  router.post('/rounds/:id/draw', canDraw, (req, res) => renderDrawForm(req, res, { form: objectBody(req.body) }));

  router.post('/rounds/:id/draws', canDraw, async (req, res) => {
    const roundId = idParam(req);
    const input = objectBody(req.body);
    const parsed = parseDrawRequest(input, 'form');
    try {
      if (!parsed.value) throw new Invalid('抽样参数不正确，未抽样', parsed.errors);
      await services.draws.create(auditContextOf(req), roundId, parsed.value);
    } catch (err) {
      if (!isFormError(err)) throw err;
      res.status(statusOf(err));
      return renderDrawForm(req, res, {
        form: input,
        error: err.message,
        errors: Array.isArray(err.details) ? err.details : [],
      });
    }
    res.redirect(303, `/rounds/${roundId}/sample?drawn=1`);
  });

  router.get('/rounds/:id/sample', canRead, async (req, res) => {
    const round = await services.rounds.withSelfScores(idParam(req), req.user!.role);
    const draws = await services.draws.list(round.id);
    const active = draws.find((d) => d.status === 'active');
    const picks = active ? await services.draws.picks(active.id) : [];
    const records = new Map((await services.population.byIds(picks.map((p) => p.submissionId))).map((s) => [s.id, s]));
    const population = await services.population.current(round.id);
    const strata = KINDS.map((kind) => {
      const items = picks
        .filter((p) => p.kind === kind)
        .map((p) => {
          const s = records.get(p.submissionId)!;
          return {
            ...p,
            reasonLabel: REASONS[p.reason],
            // Six decimals on the page; every digit in its title and the downloadable files.
            uText: p.u.toFixed(6),
            uFull: formatU(p.u),
            name: s.name,
            unit: s.unit,
            department: s.department,
            budget: formatWan(s.budgetFen),
            score: formatScore(s.selfScore),
            grade: s.scoreGrade,
            rate: formatRateBp(s.executionRateBp),
            warningList: warningKeysOf(s.warnings).map((key) => WARNINGS[key]),
            href: `/rounds/${round.id}/population/records/${encodeURIComponent(s.code)}`,
            budgetFen: s.budgetFen,
          };
        });
      const budget = items.reduce((t, i) => t + i.budgetFen, 0n);
      const populationBudget = population?.summary.byKind[kind].budgetFen ?? 0n;
      return {
        kind,
        label: KIND_LABELS[kind],
        items,
        count: items.length,
        budget: formatWan(budget),
        budgetFen: budget,
        share:
          populationBudget > 0n
            ? formatRateBp(Number((budget * 10000n + populationBudget / 2n) / populationBudget))
            : '—',
      };
    });
    const totalBudget = strata.reduce((t, s) => t + s.budgetFen, 0n);
    const canManage = can(req.user!.role, 'draws.create');
    res.render('draws/sample', {
      title: `样本：${round.title}`,
      round,
      draw: active && drawView(active),
      strata,
      total: {
        count: picks.length,
        budget: formatWan(totalBudget),
        share:
          population && population.budgetFen > 0n
            ? formatRateBp(Number((totalBudget * 10000n + population.budgetFen / 2n) / population.budgetFen))
            : '—',
      },
      cancelled: draws.filter((d) => d.status === 'cancelled').map(drawView),
      canManage,
      canDraw: canManage && !active,
      drawn: req.query.drawn === '1',
      expanded: req.query.expanded === '1',
    });
  });

  router.get('/rounds/:id/sample.xlsx', canRead, async (req, res) => {
    const round = await services.rounds.withSelfScores(idParam(req), req.user!.role);
    const active = await services.draws.active(round.id);
    if (!active) throw new NotFound('本批次还没有有效的抽样');
    const picks = await services.draws.picks(active.id);
    const records = new Map((await services.population.byIds(picks.map((p) => p.submissionId))).map((s) => [s.id, s]));
    sendAs(res, `样本-${round.fiscalYear}-${round.id}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await writeSampleXlsx(
      res,
      round.title,
      active,
      picks.map((p) => ({ pick: p, submission: records.get(p.submissionId)! })),
    );
  });

  const sampleError = async (req: Request, res: Response, roundId: number, err: unknown) => {
    if (!isFormError(err)) throw err;
    await req.flash({ error: err.message, details: err.details as Flash['details'] });
    res.redirect(303, `/rounds/${roundId}/sample`);
  };

  router.post('/draws/:id/expand', canDraw, async (req, res) => {
    const draw = await services.draws.get(idParam(req));
    const input = objectBody(req.body);
    try {
      await services.draws.expand(auditContextOf(req), draw.id, {
        project: Number(input.quotaProject),
        department: Number(input.quotaDepartment),
      });
    } catch (err) {
      return sampleError(req, res, draw.roundId, err);
    }
    res.redirect(303, `/rounds/${draw.roundId}/sample?expanded=1`);
  });

  router.post('/draws/:id/cancel', canDraw, async (req, res) => {
    const draw = await services.draws.get(idParam(req));
    try {
      await services.draws.cancel(auditContextOf(req), draw.id, str(objectBody(req.body).reason));
    } catch (err) {
      return sampleError(req, res, draw.roundId, err);
    }
    await req.flash({ notice: '本次抽样已作废，理由已记录并公开；按它分配的复核任务随之结束。可以重新抽样。' });
    res.redirect(303, `/rounds/${draw.roundId}/sample`);
  });

  return router;
}

/** The draw over the API: make it, expand it, cancel it, read it. */
export function drawApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canDraw = access.requirePermission('draws.create');
  const canRead = access.requirePermission('population.read');

  router.post('/rounds/:id/draws', canDraw, async (req, res) => {
    const parsed = parseDrawRequest(objectBody(req.body), 'api');
    if (!parsed.value) throw new Invalid('抽样参数不正确，未抽样', parsed.errors);
    const draw = await services.draws.create(auditContextOf(req), idParam(req), parsed.value);
    res
      .status(201)
      .location(`/api/rounds/${draw.roundId}/draw`)
      .json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.get('/rounds/:id/draw', canRead, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const draw = await services.draws.active(round.id);
    if (!draw) throw new NotFound('本批次还没有有效的抽样');
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.get('/rounds/:id/draws', canRead, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const draws = await services.draws.list(round.id);
    res.json({ items: await Promise.all(draws.map(async (d) => drawJson(d, await services.draws.picks(d.id)))) });
  });

  router.post('/draws/:id/expand', canDraw, async (req, res) => {
    const quota = objectBody(objectBody(req.body).quota);
    const draw = await services.draws.expand(auditContextOf(req), idParam(req), {
      project: Number(quota.project),
      department: Number(quota.department),
    });
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.post('/draws/:id/cancel', canDraw, async (req, res) => {
    const draw = await services.draws.cancel(auditContextOf(req), idParam(req), str(objectBody(req.body).reason));
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  return router;
}
