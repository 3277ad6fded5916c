import { asText, objectBody } from '../http/input';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { formatScore } from '../domain/grades';
import { formatWan } from '../domain/money';
import { KIND_LABELS } from '../domain/population';
import { DEDUCTION_RULES, DIMENSIONS, JUDGEMENTS, REVIEW_STATUSES } from '../domain/review';
import { ROLE_LABELS } from '../domain/roles';
import { formatRateBp, WARNINGS, warningKeysOf } from '../domain/warnings';
import { SEVERITIES, SUGGESTED_BY_WARNING } from '../domain/findings';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { statusOf } from '../http/errors';
import { Services } from '../services';
import { Actor, isBlind, reviewJson } from './service';
import { Flash } from '../sessions/repository';
import { Invalid, isFormError, Refused } from '../errors';
import { VersionListEntry } from './repository';
import { readMultipart } from '../http/upload';
import { MAX_UPLOAD_BYTES } from '../files/formats';

const ACTION_LABELS: Record<string, string> = { save: '保存', submit: '提交', confirm: '确认', return: '退回', import: '离线导入' };

const body = objectBody;
const str = asText;
const actorOf = (req: Request): Actor => ({ id: req.user!.id, role: req.user!.role, displayName: req.user!.displayName, organisation: req.user!.organisation });
const scoreText = (h: number | null | undefined) => (h === null || h === undefined ? '' : formatScore(h));
/**
 * The deduction rules as the review page offers them. The page's repeated attributes (selected,
 * disabled) are given to the template as text: a block helper for each of them cost more to
 * render than the rest of the page's rows.
 */
const RULE_OPTIONS = Object.entries(DEDUCTION_RULES).map(([code, rule]) => ({ code, percent: rule.percent, label: `${rule.label}（扣${rule.percent}%）` }));
const attribute = (text: string, on: boolean) => (on ? text : '');

/** One line of a review's history, as the review page and the history page list it. */
const versionRow = (v: VersionListEntry) => ({
  ...v, action: ACTION_LABELS[v.action] ?? v.action, statusLabel: REVIEW_STATUSES[v.status], scoreText: scoreText(v.reviewScore), roleText: ROLE_LABELS[v.changedByRole],
});

/** The review form's flat fields (`ind_<id>_score` ...) as the API's body. */
function formToReview(form: Record<string, unknown>, indicatorIds: number[]) {
  const dimensions: Record<string, { judgement: string; note: string } | null> = {};
  DIMENSIONS.forEach((name, i) => {
    const judgement = str(form[`dim_${i}_judgement`]);
    dimensions[name] = judgement ? { judgement, note: str(form[`dim_${i}_note`]) } : null;
  });
  // The form holds every field, so each is sent: an emptied field is cleared, not kept.
  const quality = ['q_timeliness', 'q_normative', 'q_report'].some((k) => str(form[k]) !== '')
    ? { timeliness: str(form.q_timeliness), timelinessReason: str(form.q_timeliness_reason), normative: str(form.q_normative), report: str(form.q_report) }
    : null;
  return {
    reviewScore: str(form.reviewScore),
    qualityScore: null,
    quality,
    comment: str(form.comment),
    indicators: indicatorIds.map((id) => ({ id, reviewActual: str(form[`ind_${id}_actual`]), reviewScore: str(form[`ind_${id}_score`]), rule: str(form[`ind_${id}_rule`]), note: str(form[`ind_${id}_note`]), evidence: form[`ind_${id}_evidence`] })),
    dimensions,
  };
}

export function reviewPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;
  const canAssign = access.requirePermission('reviews.assign');

  router.get('/rounds/:id/assignments', canAssign, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const items = await services.reviews.items(round.id);
    const people = (await services.users.list()).filter((u) => (u.role === 'reviewer' || u.role === 'evaluator') && !u.disabledAt);
    const load = people.map((p) => {
      const mine = items.filter((i) => i.assigneeId === p.id);
      return { ...p, roleText: ROLE_LABELS[p.role], total: mine.length, draft: mine.filter((i) => i.status === 'draft' || i.status === 'returned').length, submitted: mine.filter((i) => i.status === 'submitted').length, confirmed: mine.filter((i) => i.status === 'confirmed').length };
    });
    const progress = (['none', 'draft', 'submitted', 'returned', 'confirmed'] as const).map((s) => ({ label: REVIEW_STATUSES[s], count: items.filter((i) => (i.status ?? 'none') === s).length }));
    res.render('reviews/assignments', {
      title: `分配：${round.title}`,
      round,
      items: items.map((i) => ({ ...i, kindLabel: KIND_LABELS[i.kind], statusLabel: REVIEW_STATUSES[i.status ?? 'none'], score: formatScore(i.selfScore), warningList: warningKeysOf(i.warnings).map((k) => WARNINGS[k]), options: people.map((p) => ({ username: p.username, label: `${p.displayName}（${ROLE_LABELS[p.role]}${p.organisation ? `，${p.organisation}` : ''}）`, selected: p.id === i.assigneeId })) })),
      people: load,
      endedByConflict: await services.reviews.endedByConflict(round.id),
      departments: [...new Set(items.map((i) => i.department))].sort(),
      progress,
      saved: req.query.saved,
      settingsSaved: req.query.settings === '1',
    });
  });

  router.post('/rounds/:id/assignments', canAssign, async (req, res) => {
    const roundId = idParam(req);
    const form = body(req.body);
    const items = await services.reviews.items(roundId);
    let entries: Array<{ code: string; username: string }>;
    if (form.mode === 'round-robin') {
      // The chosen people in turn over the unassigned items of the chosen kind and department.
      const usernames = (Array.isArray(form.people) ? form.people : [form.people]).map(str).filter(Boolean);
      const chosen = items.filter((i) => !i.assigneeId && (!form.kind || i.kind === form.kind) && (!form.department || i.department === form.department));
      entries = usernames.length ? chosen.map((i, n) => ({ code: i.code, username: usernames[n % usernames.length] })) : [];
    } else {
      entries = items.map((i) => ({ code: i.code, username: str(form[`assign_${i.submissionId}`]) })).filter((e) => e.username && items.find((i) => i.code === e.code)?.assigneeUsername !== e.username);
    }
    try {
      const count = await services.reviews.assign(auditContextOf(req), roundId, entries);
      res.redirect(303, `/rounds/${roundId}/assignments?saved=${count}`);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
      res.redirect(303, `/rounds/${roundId}/assignments`);
    }
  });

  router.get('/rounds/:id/conflicts', signedIn, async (req, res) => {
    const round = await services.rounds.get(idParam(req));
    const user = req.user!;
    if (user.role !== 'evaluator' && user.role !== 'lead' && user.role !== 'admin') throw new Refused('只有第三方评价机构、组长和管理员查看利益冲突申报');
    const declarations = await services.reviews.conflicts(round.id, user.role === 'evaluator' ? (user.organisation ?? '') : undefined);
    const population = user.role === 'evaluator' ? await services.population.current(round.id) : undefined;
    res.render('reviews/conflicts', {
      title: `利益冲突申报：${round.title}`,
      round,
      declarations: declarations.map((d) => ({ ...d, scopeLabel: d.scope === 'department' ? '主管部门' : '预算单位' })),
      canDeclare: user.role === 'evaluator',
      departments: population?.summary.byDepartment.map((d) => d.department) ?? [],
      saved: req.query.saved === '1',
    });
  });

  router.post('/rounds/:id/conflicts', signedIn, async (req, res) => {
    const roundId = idParam(req);
    try {
      await services.reviews.declareConflict(auditContextOf(req), actorOf(req), roundId, body(req.body));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
      return res.redirect(303, `/rounds/${roundId}/conflicts`);
    }
    res.redirect(303, `/rounds/${roundId}/conflicts?saved=1`);
  });

  router.post('/rounds/:id/review-settings', canAssign, async (req, res) => {
    const roundId = idParam(req);
    const form = body(req.body);
    try {
      await services.reviews.updateSettings(auditContextOf(req), roundId, { weights: { timeliness: Number(form.wTimeliness), normative: Number(form.wNormative), report: Number(form.wReport) }, blindReview: form.blindReview === 'on' }, Number(form.version));
    } catch (err) {
      if (!isFormError(err)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
      return res.redirect(303, `/rounds/${roundId}/assignments`);
    }
    res.redirect(303, `/rounds/${roundId}/assignments?settings=1`);
  });

  router.get('/rounds/:id/results.xlsx', signedIn, async (req, res) => {
    const user = req.user!;
    if (!['lead', 'reviewer', 'evaluator'].includes(user.role)) throw new Refused('只有复核人员下载离线复核表');
    const data = await services.reviews.resultsSheet(actorOf(req), idParam(req));
    sendAs(res, `复核结果-${idParam(req)}-${user.username}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.send(data);
  });

  router.post('/rounds/:id/results', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      if (!form.files.file) throw new Invalid('请选择要上传的复核结果文件');
      const count = await services.reviews.importResults(auditContextOf(req), actorOf(req), roundId, form.files.file!);
      await req.flash({ notice: `已导入 ${count} 个项目的复核结果` });
    } catch (err) {
      if (!(err instanceof Invalid || err instanceof Refused)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
    }
    res.redirect(303, `/work?round=${roundId}`);
  });

  router.get('/work', signedIn, async (req, res) => {
    const work = await services.reviews.myWork(req.user!.id);
    const rounds = [...new Map(work.map((w) => [w.roundId, { id: w.roundId, title: w.roundTitle }])).values()];
    res.render('reviews/work', {
      title: '我的复核任务',
      rounds,
      items: work.map((w) => {
        const blind = isBlind({ blindReview: w.blindReview }, req.user!.role, w.reviewScore);
        return {
          ...w, kindLabel: KIND_LABELS[w.kind], statusLabel: REVIEW_STATUSES[w.status ?? 'none'], score: blind ? '盲评' : formatScore(w.selfScore), reviewScoreText: scoreText(w.reviewScore),
          warningList: blind ? [] : warningKeysOf(w.warnings).map((k) => WARNINGS[k]), href: `/rounds/${w.roundId}/items/${encodeURIComponent(w.code)}`,
        };
      }),
    });
  });

  async function renderItem(req: Request, res: Response, extra: Record<string, unknown> = {}) {
    const roundId = idParam(req);
    const code = String(req.params.code);
    const view = await services.reviews.item(actorOf(req), roundId, code);
    const form = (extra.form as Record<string, unknown> | undefined) ?? undefined;
    const content = view.review?.content;
    const reviewOf = (id: number) => content?.indicators.find((i) => i.id === id);
    const value = (key: string, stored: string) => (form ? str(form[key]) : stored);
    const s = view.submission;
    res.render('reviews/item', {
      title: `复核：${s.code} ${s.name}`,
      round: view.round,
      record: { ...s, kindLabel: KIND_LABELS[s.kind], budget: formatWan(s.budgetFen), executed: s.executedFen === null ? '—' : formatWan(s.executedFen), rate: formatRateBp(s.executionRateBp), score: formatScore(s.selfScore), warningList: warningKeysOf(s.warnings).map((k) => WARNINGS[k]), extraList: s.extra ? Object.entries(s.extra).map(([header, v]) => ({ header, value: v })) : [] },
      indicators: view.indicators.map((i) => {
        const r = reviewOf(i.id);
        return {
          ...i,
          weightText: formatScore(i.weight),
          scoreText: formatScore(i.score),
          reviewActual: value(`ind_${i.id}_actual`, r?.reviewActual ?? ''),
          reviewScore: value(`ind_${i.id}_score`, scoreText(r?.reviewScore)),
          note: value(`ind_${i.id}_note`, r?.note ?? ''),
          rules: RULE_OPTIONS.map((rule) => ({ ...rule, selectedAttr: attribute(' selected', value(`ind_${i.id}_rule`, r?.rule ?? '') === rule.code) })),
          executionPoints: i.isExecution ? scoreText(view.figures.executionPoints) : '',
          evidenceOptions: view.evidence.filter((e) => !e.withdrawnAt).map((e) => ({ id: e.id, fileName: e.fileName, selectedAttr: attribute(' selected', (r?.evidence ?? []).includes(e.id)) })),
        };
      }),
      hasIndicators: view.indicators.length > 0,
      wholeScore: value('reviewScore', view.indicators.length === 0 ? scoreText(view.review?.reviewScore) : ''),
      quality: {
        timeliness: value('q_timeliness', scoreText(view.review?.content.quality?.timeliness ?? view.timelinessDefault)),
        timelinessReason: value('q_timeliness_reason', view.review?.content.quality?.timelinessReason ?? ''),
        normative: value('q_normative', scoreText(view.review?.content.quality?.normative)),
        report: value('q_report', scoreText(view.review?.content.quality?.report)),
        timelinessDefault: view.timelinessDefault === null ? '（无报送日期或截止日期，请打分）' : `按报送日期为 ${formatScore(view.timelinessDefault)} 分`,
        weights: view.round.qualityWeights,
        score: scoreText(view.review?.qualityScore),
      },
      blind: view.blind,
      comment: value('comment', view.review?.comment ?? ''),
      dimensions: DIMENSIONS.map((name, index) => {
        const stored = content?.dimensions[name];
        const judgement = value(`dim_${index}_judgement`, stored?.judgement ?? '');
        return { name, index, note: value(`dim_${index}_note`, stored?.note ?? ''), options: JUDGEMENTS.map((j) => ({ value: j, selectedAttr: attribute(' selected', judgement === j) })) };
      }),
      review: view.review && { ...view.review, statusLabel: REVIEW_STATUSES[view.review.status] },
      figures: {
        ...view.figures,
        reviewScoreText: scoreText(view.figures.reviewScore),
        deviationText: view.figures.deviation === null ? '' : formatScore(view.figures.deviation),
        deviationRate: view.figures.deviationBp === null ? '' : formatRateBp(view.figures.deviationBp),
        selfGrade: view.assessment.scoreGrade,
      },
      versions: view.versions.map(versionRow),
      versionCount: view.versionCount,
      olderVersions: view.versionCount > view.versions.length,
      historyHref: `/rounds/${view.round.id}/items/${encodeURIComponent(s.code)}/history`,
      findings: view.findings.map((f) => ({ ...f, citedFiles: f.evidenceIds.map((id) => view.evidence.find((e) => e.id === id)?.fileName).filter(Boolean).join('、'), severityLabel: SEVERITIES[f.severity], roleText: ROLE_LABELS[f.authorRole], external: f.authorRole === 'evaluator' })),
      categories: view.categories,
      evidence: view.evidence.map((e) => ({ ...e, sizeText: e.size >= 1048576 ? `${(e.size / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(e.size / 1024))} KB`, href: `/rounds/${view.round.id}/items/${encodeURIComponent(s.code)}/evidence/${e.id}` })),
      activeEvidence: view.evidence.filter((e) => !e.withdrawnAt),
      maxUploadMb: Math.round(MAX_UPLOAD_BYTES / 1048576),
      severities: Object.entries(SEVERITIES).map(([value, label]) => ({ value, label })),
      suggestions: warningKeysOf(s.warnings)
        .filter((key) => !view.findings.some((f) => f.source === `warning:${key}` && !f.withdrawnAt))
        .map((key) => ({ key, warning: WARNINGS[key].label, ...SUGGESTED_BY_WARNING[key], categoryTitle: view.categories.find((c) => c.code === SUGGESTED_BY_WARNING[key].category)?.title })),
      version: (extra.version as number | undefined) ?? view.review?.version ?? 0,
      assignee: view.item.assigneeName ? `${view.item.assigneeName}${view.item.assigneeOrganisation ? `（${view.item.assigneeOrganisation}）` : ''}` : '未分配',
      canWrite: view.canWrite,
      disabledAttr: attribute(' disabled', !view.canWrite),
      canWriteFindings: view.canWriteFindings,
      canSubmit: view.canSubmit,
      canConfirm: view.canConfirm,
      canReturn: view.canReturn,
      saved: req.query.saved === '1',
      ...extra,
    });
  }

  router.get('/rounds/:id/items/:code', signedIn, (req, res) => renderItem(req, res));

  router.get('/rounds/:id/items/:code/history', signedIn, async (req, res) => {
    const view = await services.reviews.history(actorOf(req), idParam(req), String(req.params.code));
    const s = view.submission;
    res.render('reviews/history', {
      title: `修改记录：${s.code} ${s.name}`,
      round: view.round,
      record: { ...s, kindLabel: KIND_LABELS[s.kind] },
      itemHref: `/rounds/${view.round.id}/items/${encodeURIComponent(s.code)}`,
      review: view.review && { ...view.review, statusLabel: REVIEW_STATUSES[view.review.status] },
      versions: view.versions.map((v) => ({ ...versionRow(v), changes: v.changes })),
    });
  });

  router.post('/rounds/:id/items/:code/evidence', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const code = String(req.params.code);
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      if (!form.files.file) throw new Invalid('请选择要上传的文件');
      await services.reviews.addEvidence(auditContextOf(req), actorOf(req), roundId, code, form.files.file!, form.fields.description ?? '');
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      res.status(422);
      return renderItem(req, res, { evidenceError: err.message });
    }
    res.redirect(303, `/rounds/${roundId}/items/${encodeURIComponent(code)}?saved=1#evidence`);
  });

  // Evidence is always a download, never shown inline: a PDF or an image from a unit is not trusted content.
  router.get('/rounds/:id/items/:code/evidence/:evidenceId', signedIn, async (req, res) => {
    const file = await services.reviews.evidenceFile(actorOf(req), idParam(req), String(req.params.code), idParam(req, 'evidenceId'));
    sendAs(res, file.name);
    res.type(file.mediaType);
    res.set('Content-Security-Policy', "default-src 'none'; sandbox");
    res.send(file.content);
  });

  router.post('/rounds/:id/items/:code', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const code = String(req.params.code);
    const form = body(req.body);
    const action = str(form.action) || 'save';
    const base = `/rounds/${roundId}/items/${encodeURIComponent(code)}`;
    try {
      await (async () => {
        if (action === 'save' || action === 'submit') {
          const view = await services.reviews.item(actorOf(req), roundId, code);
          const ids = view.indicators.filter((i) => !i.isExecution).map((i) => i.id);
          await services.reviews.save(auditContextOf(req), actorOf(req), roundId, code, formToReview(form, ids), Number(form.version));
          if (action === 'submit') await services.reviews.submit(auditContextOf(req), actorOf(req), roundId, code);
        } else if (action === 'finding') {
          await services.reviews.addFinding(auditContextOf(req), actorOf(req), roundId, code, { category: form.category, description: form.description, severity: form.severity, source: form.source, evidence: form.evidence });
        } else if (action === 'withdraw-evidence') {
          await services.reviews.withdrawEvidence(auditContextOf(req), actorOf(req), roundId, code, Number(form.evidenceId), str(form.reason));
        } else if (action === 'withdraw-finding') {
          await services.reviews.withdrawFinding(auditContextOf(req), actorOf(req), roundId, code, Number(form.findingId), str(form.reason));
        } else if (action === 'confirm') await services.reviews.confirm(auditContextOf(req), actorOf(req), roundId, code);
        else if (action === 'return') await services.reviews.return(auditContextOf(req), actorOf(req), roundId, code, str(form.reason));
      })();
    } catch (err) {
      if (!isFormError(err)) throw err;
      res.status(statusOf(err));
      // Keep what the writer typed; on a stale version show what is stored now, and let the next save build on it.
      const current = err.code === 'stale_version' ? (err.details as { current?: ReturnType<typeof reviewJson> } | undefined)?.current : undefined;
      return renderItem(req, res, { form, error: err.message, errors: Array.isArray(err.details) ? err.details : [], current, version: current ? current.version : Number(form.version) });
    }
    res.redirect(303, `${base}?saved=1`);
  });

  return router;
}

export function reviewApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  router.post('/rounds/:id/assignments', access.requirePermission('reviews.assign'), async (req, res) => {
    const entries = Array.isArray(req.body) ? (req.body as Array<{ code: string; username: string }>) : [];
    const changed = await services.reviews.assign(auditContextOf(req), idParam(req), entries);
    res.json({ changed, items: (await services.reviews.items(idParam(req))).map((i) => ({ code: i.code, kind: i.kind, assignee: i.assigneeUsername, status: i.status ?? 'none' })) });
  });

  router.put('/rounds/:id/review-settings', access.requirePermission('reviews.assign'), async (req, res) => {
    const input = body(req.body);
    const weights = body(input.qualityWeights);
    await services.reviews.updateSettings(auditContextOf(req), idParam(req), { weights: { timeliness: Number(weights.timeliness), normative: Number(weights.normative), report: Number(weights.report) }, blindReview: input.blindReview === true }, Number(input.version));
    const round = await services.rounds.get(idParam(req));
    res.json({ qualityWeights: round.qualityWeights, blindReview: round.blindReview, version: round.version });
  });

  router.post('/rounds/:id/conflicts', signedIn, async (req, res) => {
    const id = await services.reviews.declareConflict(auditContextOf(req), actorOf(req), idParam(req), body(req.body));
    res.status(201).json({ id });
  });

  router.get('/work', signedIn, async (req, res) => {
    res.json({ items: (await services.reviews.myWork(req.user!.id)).map((w) => ({ roundId: w.roundId, code: w.code, kind: w.kind, name: w.name, status: w.status ?? 'none', reviewScore: w.reviewScore === null ? null : w.reviewScore / 100 })) });
  });

  router.get('/rounds/:id/items/:code', signedIn, async (req, res) => {
    const view = await services.reviews.item(actorOf(req), idParam(req), String(req.params.code), { allVersions: true });
    const s = view.submission;
    res.json({
      code: s.code,
      kind: s.kind,
      name: s.name,
      unit: s.unit,
      department: s.department,
      budgetWan: formatWan(s.budgetFen).replace(/,/g, ''),
      blind: view.blind,
      selfScore: view.blind ? null : s.selfScore / 100,
      selfGrade: view.blind ? null : s.selfGrade,
      warnings: warningKeysOf(s.warnings),
      assignee: view.item.assigneeUsername,
      indicators: view.indicators.map((i) => ({ id: i.id, level1: i.level1, level2: i.level2, level3: i.level3, target: i.target, actual: i.actual, weight: i.weight / 100, score: view.blind ? null : i.score / 100, isExecution: i.isExecution })),
      review: view.review ? reviewJson(view.review, s, view.blind) : null,
      evidence: view.evidence.map((e) => ({ id: e.id, fileName: e.fileName, mediaType: e.mediaType, size: e.size, sha256: e.fileSha256, uploadedBy: e.uploadedByName, uploadedAt: e.uploadedAt.toISOString(), withdrawn: e.withdrawnAt !== null })),
      findings: view.findings.map((f) => ({ id: f.id, evidence: f.evidenceIds, category: f.category, title: f.categoryTitle, description: f.description, severity: f.severity, source: f.source, author: f.authorName, authorRole: f.authorRole, organisation: f.authorOrganisation, withdrawn: f.withdrawnAt !== null })),
      history: view.versions.map((v) => ({ version: v.version, action: v.action, status: v.status, by: v.changedByName, at: v.changedAt.toISOString(), reason: v.reason })),
    });
  });

  router.get('/rounds/:id/items/:code/history', signedIn, async (req, res) => {
    const view = await services.reviews.history(actorOf(req), idParam(req), String(req.params.code));
    res.json({
      code: view.submission.code,
      versions: view.versions.map((v) => ({
        version: v.version, action: v.action, status: v.status, by: v.changedByName, role: v.changedByRole, at: v.changedAt.toISOString(), reason: v.reason,
        reviewScore: v.snapshot.reviewScore === null ? null : v.snapshot.reviewScore / 100, qualityScore: v.snapshot.qualityScore === null ? null : v.snapshot.qualityScore / 100,
        changes: v.changes,
      })),
    });
  });

  router.put('/rounds/:id/items/:code/review', signedIn, async (req, res) => {
    const input = body(req.body);
    const version = Number(input.version);
    if (!Number.isInteger(version) || version < 0) throw new Invalid('缺少版本号 version（新复核为0）', [{ field: 'version', message: '请提供读取时的版本号' }]);
    const saved = await services.reviews.save(auditContextOf(req), actorOf(req), idParam(req), String(req.params.code), input, version);
    res.json(reviewJson(saved.review, saved.submission, saved.blind));
  });

  router.post('/rounds/:id/items/:code/evidence', signedIn, async (req, res) => {
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) throw new Invalid('缺少文件：请用 multipart/form-data 的 file 字段上传');
    const id = await services.reviews.addEvidence(auditContextOf(req), actorOf(req), idParam(req), String(req.params.code), form.files.file!, form.fields.description ?? '');
    res.status(201).json({ id, fileName: form.files.file.name, href: `/rounds/${idParam(req)}/items/${encodeURIComponent(String(req.params.code))}/evidence/${id}` });
  });

  router.post('/rounds/:id/reviews/import', signedIn, async (req, res) => {
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) throw new Invalid('缺少文件：请用 multipart/form-data 的 file 字段上传');
    const imported = await services.reviews.importResults(auditContextOf(req), actorOf(req), idParam(req), form.files.file!);
    res.json({ imported });
  });

  router.post('/rounds/:id/items/:code/findings', signedIn, async (req, res) => {
    const id = await services.reviews.addFinding(auditContextOf(req), actorOf(req), idParam(req), String(req.params.code), body(req.body));
    const view = await services.reviews.item(actorOf(req), idParam(req), String(req.params.code));
    const finding = view.findings.find((f) => f.id === id)!;
    res.status(201).json({ id, category: finding.category, title: finding.categoryTitle, description: finding.description, severity: finding.severity, source: finding.source, author: finding.authorName, authorRole: finding.authorRole, organisation: finding.authorOrganisation });
  });

  for (const action of ['submit', 'confirm', 'return'] as const) {
    router.post(`/rounds/:id/items/:code/review/${action}`, signedIn, async (req, res) => {
      const args = [auditContextOf(req), actorOf(req), idParam(req), String(req.params.code)] as const;
      const { review, submission, blind } = await (action === 'return' ? services.reviews.return(...args, str(body(req.body).reason)) : services.reviews[action](...args));
      res.json(reviewJson(review, submission, blind));
    });
  }

  return router;
}
