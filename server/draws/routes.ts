import { objectBody, trimmed } from '../http/input';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { formatScore } from '../domain/grades';
import { fenToWan, formatWan } from '../domain/money';
import { parsePlanInput, planSampleSize } from '../domain/planner';
import { Kind, KIND_LABELS, KINDS } from '../domain/population';
import { can } from '../domain/roles';
import { formatU, METHODS, REASONS, seedKey, verificationText } from '../domain/sampling';
import { formatRateBp, WARNINGS, warningKeysOf } from '../domain/warnings';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { DomainError, Invalid, isFormError, NotFound } from '../errors';
import { Services } from '../services';
import { Draw, StoredPick } from './repository';
import { parseDrawRequest } from './validation';
import { writeSampleXlsx } from './spreadsheet';
import { Flash } from '../sessions/repository';

const body = objectBody;

export function drawJson(draw: Draw, picks: StoredPick[]) {
  return {
    id: draw.id,
    publicId: draw.publicId,
    publicUrl: `/p/draws/${draw.publicId}`,
    procedure: draw.procedure,
    status: draw.status,
    seed: draw.seed,
    seedGenerated: draw.seedGenerated,
    method: draw.method,
    fingerprint: draw.fingerprint,
    quota: draw.quota,
    initialQuota: draw.initialQuota,
    population: draw.population,
    rules: {
      mandatory: {
        minBudgetFen: draw.mandatoryMinBudgetFen === null ? null : String(draw.mandatoryMinBudgetFen),
        minBudgetWan: draw.mandatoryMinBudgetFen === null ? null : fenToWan(draw.mandatoryMinBudgetFen),
        codes: draw.mandatoryCodes,
      },
      exclude: draw.excludeCodes,
      excludeNote: draw.excludeNote,
    },
    strata: draw.strata,
    createdBy: draw.createdByName,
    createdAt: draw.createdAt.toISOString(),
    cancelledAt: draw.cancelledAt?.toISOString() ?? null,
    cancelReason: draw.cancelReason,
    expansions: draw.expansions.map((e) => ({ quota: e.quota, by: e.createdByName, at: e.createdAt.toISOString() })),
    items: picks.map((p) => ({ code: p.code, kind: p.kind, reason: p.reason, rank: p.rank, u: p.u })),
  };
}

/** The command a citizen runs, with this draw's parameters. */
function verifyCommand(draw: Draw): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const parts = [
    'node verify-draw.js --population population.tsv',
    `--seed ${quote(draw.seed)}`,
    `--method ${draw.method}`,
    `--quota ${draw.quota.project},${draw.quota.department}`,
  ];
  if (draw.expansions.length)
    parts.push(`--initial-quota ${draw.initialQuota.project},${draw.initialQuota.department}`);
  if (draw.mandatoryMinBudgetFen !== null) parts.push(`--mandatory-min-budget-fen ${draw.mandatoryMinBudgetFen}`);
  if (draw.mandatoryCodes.length) parts.push(`--mandatory ${quote(draw.mandatoryCodes.join(','))}`);
  if (draw.excludeCodes.length) parts.push('--exclude-file exclude.txt');
  return parts.join(' \\\n    ');
}

function expectedOutput(draw: Draw, picks: StoredPick[]): string {
  return verificationText(
    {
      seed: draw.seed,
      method: draw.method,
      quota: draw.quota,
      initialQuota: draw.expansions.length ? draw.initialQuota : draw.quota,
      mandatoryMinBudgetFen: draw.mandatoryMinBudgetFen,
      mandatoryCodes: draw.mandatoryCodes,
      excludeCodes: draw.excludeCodes,
    },
    draw.fingerprint,
    draw.population,
    picks,
  );
}

function drawView(draw: Draw) {
  return {
    ...draw,
    methodLabel: METHODS[draw.method],
    seedKey: seedKey(draw.seed),
    minBudget: draw.mandatoryMinBudgetFen === null ? null : formatWan(draw.mandatoryMinBudgetFen),
    publicUrl: `/p/draws/${draw.publicId}`,
    strataList: KINDS.map((kind) => ({
      kind,
      label: KIND_LABELS[kind],
      ...draw.strata[kind],
      quota: draw.quota[kind],
      population: draw.population[kind],
    })),
    verifyCommand: verifyCommand(draw),
  };
}

export function drawPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canDraw = access.requirePermission('draws.create');
  const canRead = access.requirePermission('population.read');

  async function renderDrawForm(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const round = await services.rounds.get(idParam(req));
    const active = await services.draws.active(round.id);
    const population = await services.population.current(round.id);
    const query = req.query as Record<string, unknown>;
    const form = (extra.form as Record<string, unknown>) ?? {
      method: 'srs',
      quotaProject: '',
      quotaDepartment: '',
      generateSeed: 'on',
      ...query,
    };
    // The planner: defaults of 5 % tolerable, 95 % confidence, none expected.
    const planForm = {
      tolerableRate: str(query.tolerableRate) || '5',
      confidence: str(query.confidence) || '95',
      accepted: str(query.accepted) || '0',
    };
    const planInput = parsePlanInput(planForm, population?.recordCount);
    const plan = planInput.value ? planSampleSize(planInput.value) : undefined;
    let preview: unknown;
    let previewErrors: unknown;
    if (query.preview === '1' && population) {
      const parsed = parseDrawRequest({ ...query, generateSeed: 'on' }, 'form');
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
      form,
      plan,
      planForm,
      planErrors: planInput.errors,
      preview,
      previewErrors,
      otherRounds: rounds.map((r) => ({
        id: r.id,
        title: r.title,
        selected: String(form.excludeRoundId ?? '') === String(r.id),
      })),
      ...extra,
    });
  }

  router.get('/rounds/:id/draw', canDraw, (req, res) => renderDrawForm(req, res));

  router.post('/rounds/:id/draws', canDraw, async (req, res) => {
    const roundId = idParam(req);
    const input = body(req.body);
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
            uText: formatU(p.u),
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
    const input = body(req.body);
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
      await services.draws.cancel(auditContextOf(req), draw.id, str(body(req.body).reason));
    } catch (err) {
      return sampleError(req, res, draw.roundId, err);
    }
    res.redirect(303, `/rounds/${draw.roundId}/sample`);
  });

  return router;
}

const str = trimmed;

/** Public pages: no login. Everything needed to re-draw, and nothing else about the round. */
export function publicDrawRoutes({ services }: { services: Services }): Router {
  const router = Router();

  router.get('/p/draws/:publicId.json', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.get('/p/draws/:publicId', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    const round = await services.rounds.get(draw.roundId);
    const picks = await services.draws.picks(draw.id);
    res.render('draws/public', {
      title: `抽样公示：${round.title}`,
      layout: 'public',
      round: { title: round.title, bureau: round.bureau, workPlanRef: round.workPlanRef, fiscalYear: round.fiscalYear },
      draw: drawView(draw),
      strata: KINDS.map((kind: Kind) => ({
        label: KIND_LABELS[kind],
        items: picks
          .filter((p) => p.kind === kind)
          .map((p) => ({ ...p, reasonLabel: REASONS[p.reason], uText: formatU(p.u) })),
      })),
    });
  });

  // The file never changes (its SHA-256 is the draw's fingerprint): served as stored, with that as its ETag.
  router.get('/p/draws/:publicId/population.tsv', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.set({ ETag: `"${draw.fingerprint}"`, 'Cache-Control': 'public, max-age=86400' });
    if (req.fresh) return void res.status(304).end();
    sendAs(res, 'population.tsv');
    res.type('text/tab-separated-values; charset=utf-8');
    res.send(await services.draws.canonicalFile(draw));
  });

  router.get('/p/draws/:publicId/exclude.txt', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    sendAs(res, 'exclude.txt');
    res.type('text/plain; charset=utf-8');
    res.send(draw.excludeCodes.map((c) => `${c}\n`).join(''));
  });

  router.get('/p/draws/:publicId/expected.txt', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.type('text/plain; charset=utf-8');
    res.send(expectedOutput(draw, await services.draws.picks(draw.id)));
  });

  router.get('/p/verify-draw.js', (_req, res) => {
    sendAs(res, 'verify-draw.js');
    res.type('application/javascript; charset=utf-8');
    res.sendFile(require.resolve('../../scripts/verify-draw.js'));
  });

  return router;
}

export function drawApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canDraw = access.requirePermission('draws.create');
  const canRead = access.requirePermission('population.read');

  router.post('/rounds/:id/draws', canDraw, async (req, res) => {
    const parsed = parseDrawRequest(body(req.body), 'api');
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
    const quota = body(body(req.body).quota);
    const draw = await services.draws.expand(auditContextOf(req), idParam(req), {
      project: Number(quota.project),
      department: Number(quota.department),
    });
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.post('/draws/:id/cancel', canDraw, async (req, res) => {
    const draw = await services.draws.cancel(auditContextOf(req), idParam(req), str(body(req.body).reason));
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  return router;
}
