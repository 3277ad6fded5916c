import { Request, Response, Router } from 'express';
import { formatScore } from '../domain/grades';
import { KIND_LABELS } from '../domain/population';
import { REVIEW_STATUSES } from '../domain/review';
import { ROLE_LABELS } from '../domain/roles';
import { WARNINGS, warningKeysOf } from '../domain/warnings';
import { Conflict, Invalid, isFormError, NotFound, Refused } from '../errors';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { asText, objectBody } from '../http/input';
import { idParam } from '../http/params';
import { formAgain } from '../http/forms';
import { Services } from '../services';
import { Flash } from '../sessions/repository';
import { isBlind } from './items';
import { actorOf } from './itemRoutes';
import { scoreText } from './itemView';

const str = asText;

/** The lead's assignments page, the conflict declarations, and each reviewer's 我的复核任务. */
export function assignmentPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;
  const canAssign = access.requirePermission('reviews.assign');

  router.get('/rounds/:id/assignments', canAssign, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const items = await services.assignments.items(round.id);
    const people = (await services.users.list()).filter(
      (u) => (u.role === 'reviewer' || u.role === 'evaluator') && !u.disabledAt,
    );
    const load = people.map((p) => {
      const mine = items.filter((i) => i.assigneeId === p.id);
      const count = (...statuses: Array<string | null>) => mine.filter((i) => statuses.includes(i.status)).length;
      return {
        ...p,
        roleText: ROLE_LABELS[p.role],
        total: mine.length,
        draft: count('draft', 'returned'),
        submitted: count('submitted'),
        confirmed: count('confirmed'),
      };
    });
    const progress = (['none', 'draft', 'submitted', 'returned', 'confirmed'] as const).map((s) => ({
      label: REVIEW_STATUSES[s],
      count: items.filter((i) => (i.status ?? 'none') === s).length,
    }));
    res.render('reviews/assignments', {
      title: `分配：${round.title}`,
      round,
      items: items.map((i) => ({
        ...i,
        kindLabel: KIND_LABELS[i.kind],
        statusLabel: REVIEW_STATUSES[i.status ?? 'none'],
        score: formatScore(i.selfScore),
        warningList: warningKeysOf(i.warnings).map((k) => WARNINGS[k]),
        options: people.map((p) => ({
          username: p.username,
          label: `${p.displayName}（${ROLE_LABELS[p.role]}${p.organisation ? `，${p.organisation}` : ''}）`,
          selected: p.id === i.assigneeId,
        })),
      })),
      people: load,
      endedByConflict: await services.assignments.endedByConflict(round.id),
      departments: [...new Set(items.map((i) => i.department))].sort(),
      progress,
    });
  });

  router.post('/rounds/:id/assignments', canAssign, async (req, res) => {
    const roundId = idParam(req);
    const form = objectBody(req.body);
    const items = await services.assignments.items(roundId);
    let entries: Array<{ code: string; username: string }>;
    let missing = '';
    if (form.mode === 'round-robin') {
      // The chosen people in turn over the unassigned items of the chosen kind and department.
      const usernames = (Array.isArray(form.people) ? form.people : [form.people]).map(str).filter(Boolean);
      const chosen = items.filter(
        (i) =>
          !i.assigneeId &&
          (!form.kind || i.kind === form.kind) &&
          (!form.department || i.department === form.department),
      );
      entries = usernames.length
        ? chosen.map((i, n) => ({ code: i.code, username: usernames[n % usernames.length] }))
        : [];
    } else {
      // Each row's choice; with 分配选中项目, the rows ticked go to the one person chosen for them.
      // Asked for without rows or a person, the rows' own choices are still saved, and the banner says why no more was.
      const ticked = new Set(([] as unknown[]).concat(form.selected ?? []).map(str));
      const bulk = form.mode === 'selected' ? str(form.bulkAssignee) : '';
      if (form.mode === 'selected' && !(ticked.size && bulk)) missing = ticked.size ? '未选择复核人' : '没有勾选项目';
      entries = items
        .map((i) => ({
          code: i.code,
          username: bulk && ticked.has(String(i.submissionId)) ? bulk : str(form[`assign_${i.submissionId}`]),
        }))
        .filter((e) => e.username && items.find((i) => i.code === e.code)?.assigneeUsername !== e.username);
    }
    try {
      const count = await services.assignments.assign(auditContextOf(req), roundId, entries);
      if (missing) await req.flash({ error: `${missing}，勾选分配未执行；逐项选择的 ${count} 个变化已保存。` });
      else await req.flash({ notice: `已保存，${count} 个项目的复核人有变化。` });
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
    }
    res.redirect(303, `/rounds/${roundId}/assignments`);
  });

  router.post('/rounds/:id/review-settings', canAssign, async (req, res) => {
    const roundId = idParam(req);
    const form = objectBody(req.body);
    try {
      const weights = {
        timeliness: Number(form.wTimeliness),
        normative: Number(form.wNormative),
        report: Number(form.wReport),
      };
      await services.assignments.updateSettings(
        auditContextOf(req),
        roundId,
        { weights, blindReview: form.blindReview === 'on' },
        Number(form.version),
      );
      await req.flash({ notice: '复核设置已保存。' });
    } catch (err) {
      if (!isFormError(err)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
    }
    res.redirect(303, `/rounds/${roundId}/assignments`);
  });

  /** The declarations page; after a refused declaration, with what was typed and why (422). */
  async function renderConflicts(req: Request, res: Response, again?: { form: Record<string, unknown>; err: Invalid }) {
    const round = await services.rounds.get(idParam(req));
    const user = req.user!;
    if (user.role !== 'evaluator' && user.role !== 'lead' && user.role !== 'admin')
      throw new Refused('只有第三方评价机构、组长和管理员查看利益冲突申报');
    const organisation = user.role === 'evaluator' ? (user.organisation ?? '') : undefined;
    const declarations = await services.assignments.conflicts(round.id, organisation);
    const clearances = await services.assignments.clearances(round.id, organisation);
    const population = user.role === 'evaluator' ? await services.population.current(round.id) : undefined;
    const typed = (key: string) => (again && typeof again.form[key] === 'string' ? again.form[key] : '');
    res.render('reviews/conflicts', {
      title: `利益冲突申报：${round.title}`,
      round,
      declarations: declarations.map((d) => ({ ...d, scopeLabel: d.scope === 'department' ? '主管部门' : '预算单位' })),
      canDeclare: user.role === 'evaluator',
      clearances,
      clearedByMe: clearances.some((c) => c.userId === user.id),
      departments: population?.summary.byDepartment.map((d) => d.department) ?? [],
      form: { unit: typed('scope') === 'unit', name: typed('name'), reason: typed('reason') },
      ...(again ? formAgain(res, again.err) : {}),
    });
  }

  router.get('/rounds/:id/conflicts', signedIn, (req, res) => renderConflicts(req, res));

  router.post('/rounds/:id/conflicts', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const form = objectBody(req.body);
    try {
      await services.assignments.declareConflict(auditContextOf(req), actorOf(req), roundId, form);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      return renderConflicts(req, res, { form, err });
    }
    await req.flash({ notice: '已申报。' });
    res.redirect(303, `/rounds/${roundId}/conflicts`);
  });

  router.post('/rounds/:id/conflicts/none', signedIn, async (req, res) => {
    const roundId = idParam(req);
    try {
      await services.assignments.declareNoConflict(auditContextOf(req), actorOf(req), roundId);
      await req.flash({ notice: '已声明：本人及本机构与本批次被评价单位无利益冲突。' });
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      await req.flash({ error: err.message });
    }
    res.redirect(303, `/rounds/${roundId}/conflicts`);
  });

  // The lead confirms several submitted reviews at once from the round page: each on its own,
  // version-checked (`code:version`, as the page showed it) and audited; what fails is listed.
  router.post('/rounds/:id/reviews/confirm', canAssign, async (req, res) => {
    const roundId = idParam(req);
    const chosen = objectBody(req.body).items;
    const entries = (Array.isArray(chosen) ? chosen : chosen === undefined ? [] : [chosen]).map((v) => {
      const [code, version] = asText(v).split(':');
      return { code, version: Number(version) };
    });
    let confirmed = 0;
    const failed: Array<{ message: string }> = [];
    for (const { code, version } of entries) {
      try {
        await services.reviews.confirm(auditContextOf(req), actorOf(req), roundId, code, undefined, version);
        confirmed += 1;
      } catch (err) {
        if (!isFormError(err) && !(err instanceof NotFound)) throw err;
        failed.push({ message: `${code}：${(err as Error).message}` });
      }
    }
    await req.flash(
      failed.length
        ? {
            notice: confirmed ? `已确认${confirmed}份复核。` : undefined,
            error: `${failed.length}份未确认`,
            details: failed,
          }
        : { notice: entries.length ? `已确认${confirmed}份复核。` : '没有选择要确认的复核。' },
    );
    res.redirect(303, `/rounds/${roundId}#progress`);
  });

  // 我的复核任务, also the landing page ('/') of reviewers and evaluators: the items of one round
  // (the one with work still open by default) filtered by status, then that round's offline results.
  router.get(['/', '/work'], signedIn, async (req, res) => {
    const work = await services.assignments.myWork(req.user!.id);
    const rounds = [...new Map(work.map((w) => [w.roundId, { id: w.roundId, title: w.roundTitle }])).values()];
    const asked = Number(asText(req.query.round));
    // By default the round with work still open (an item not yet confirmed), else the newest.
    const open = work.find((w) => w.status !== 'confirmed');
    const round = rounds.find((r) => r.id === asked) ?? rounds.find((r) => r.id === open?.roundId) ?? rounds[0];
    const status = asText(req.query.status);
    const ofRound = work.filter((w) => w.roundId === round?.id);
    const statusOf = (w: (typeof work)[number]) => w.status ?? 'none';
    const shown = Object.hasOwn(REVIEW_STATUSES, status) ? ofRound.filter((w) => statusOf(w) === status) : ofRound;
    const requests = round ? await services.units.openRequests([round.id]) : [];
    res.render('reviews/work', {
      title: '我的复核任务',
      rounds: rounds.map((r) => ({ ...r, selected: r.id === round?.id })),
      round,
      statuses: Object.entries(REVIEW_STATUSES).map(([value, label]) => ({
        value,
        label,
        count: ofRound.filter((w) => statusOf(w) === value).length,
        selected: value === status,
      })),
      filtered: shown.length !== ofRound.length,
      items: shown.map((w) => {
        const blind = isBlind({ blindReview: w.blindReview }, req.user!.role, w.reviewScore);
        return {
          ...w,
          kindLabel: KIND_LABELS[w.kind],
          statusLabel: REVIEW_STATUSES[statusOf(w)],
          score: blind ? '盲评' : formatScore(w.selfScore),
          reviewScoreText: scoreText(w.reviewScore),
          warningList: blind ? [] : warningKeysOf(w.warnings).map((k) => WARNINGS[k]),
          href: `/rounds/${w.roundId}/items/${encodeURIComponent(w.code)}`,
          openRequests: requests.filter((r) => r.code === w.code).length,
          overdueRequests: requests.filter((r) => r.code === w.code && r.overdue).length,
        };
      }),
    });
  });

  return router;
}

export function assignmentApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  router.post('/rounds/:id/assignments', access.requirePermission('reviews.assign'), async (req, res) => {
    const entries = Array.isArray(req.body) ? (req.body as Array<{ code: string; username: string }>) : [];
    const changed = await services.assignments.assign(auditContextOf(req), idParam(req), entries);
    res.json({
      changed,
      items: (await services.assignments.items(idParam(req))).map((i) => ({
        code: i.code,
        kind: i.kind,
        assignee: i.assigneeUsername,
        status: i.status ?? 'none',
      })),
    });
  });

  router.put('/rounds/:id/review-settings', access.requirePermission('reviews.assign'), async (req, res) => {
    const input = objectBody(req.body);
    const weights = objectBody(input.qualityWeights);
    await services.assignments.updateSettings(
      auditContextOf(req),
      idParam(req),
      {
        weights: {
          timeliness: Number(weights.timeliness),
          normative: Number(weights.normative),
          report: Number(weights.report),
        },
        blindReview: input.blindReview === true,
      },
      Number(input.version),
    );
    const round = await services.rounds.get(idParam(req));
    res.json({ qualityWeights: round.qualityWeights, blindReview: round.blindReview, version: round.version });
  });

  router.post('/rounds/:id/conflicts', signedIn, async (req, res) => {
    const id = await services.assignments.declareConflict(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      objectBody(req.body),
    );
    res.status(201).json({ id });
  });

  router.post('/rounds/:id/conflicts/none', signedIn, async (req, res) => {
    await services.assignments.declareNoConflict(auditContextOf(req), actorOf(req), idParam(req));
    res.status(201).json({ declared: true });
  });

  router.get('/work', signedIn, async (req, res) => {
    const work = await services.assignments.myWork(req.user!.id);
    res.json({
      items: work.map((w) => ({
        roundId: w.roundId,
        code: w.code,
        kind: w.kind,
        name: w.name,
        status: w.status ?? 'none',
        reviewScore: w.reviewScore === null ? null : w.reviewScore / 100,
      })),
    });
  });

  return router;
}
