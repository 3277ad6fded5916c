import { Request, Response, Router } from 'express';
import { fenToWan } from '../domain/money';
import { REVIEW_STATUSES } from '../domain/review';
import { KIND_LABELS } from '../domain/population';
import { warningKeysOf } from '../domain/warnings';
import { Conflict, Invalid, isFormError } from '../errors';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { sendAs } from '../http/download';
import { formAgain } from '../http/forms';
import { asText, objectBody } from '../http/input';
import { idParam } from '../http/params';
import { readMultipart } from '../http/upload';
import { Services } from '../services';
import { Actor } from './items';
import { formToReview, reviewPageView, versionRow } from './itemView';
import { evidenceJson, findingJson, reviewJson, versionJson } from './present';
import { StaleReview } from './reviewService';

const str = asText;
export const actorOf = (req: Request): Actor => ({
  id: req.user!.id,
  role: req.user!.role,
  displayName: req.user!.displayName,
  organisation: req.user!.organisation,
});
const codeOf = (req: Request) => String(req.params.code);
/** Where the page opens after a step on the small forms: at what was changed. */
const ANCHORS: Record<string, string> = {
  finding: '#findings-title',
  'withdraw-finding': '#findings-title',
  'edit-finding': '#findings-title',
  'withdraw-evidence': '#evidence',
  request: '#requests',
};
const itemPath = (roundId: number, code: string) => `/rounds/${roundId}/items/${encodeURIComponent(code)}`;

/** A sampled item's pages: the review form, its history, and the evidence and findings on it. */
export function itemPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  async function renderItem(
    req: Request,
    res: Response,
    extra: Record<string, unknown> & {
      form?: Record<string, unknown>;
      version?: number;
      smallForm?: Record<string, unknown>;
    } = {},
  ) {
    const view = await services.reviews.item(actorOf(req), idParam(req), codeOf(req));
    const unitSide = await services.units.sideOfItem(view.submission);
    res.render('reviews/item', { ...reviewPageView(view, unitSide, extra), ...extra });
  }

  router.get('/rounds/:id/items/:code', signedIn, (req, res) => renderItem(req, res));

  router.get('/rounds/:id/items/:code/history', signedIn, async (req, res) => {
    const view = await services.reviews.history(actorOf(req), idParam(req), codeOf(req));
    const s = view.submission;
    res.render('reviews/history', {
      title: `修改记录：${s.code} ${s.name}`,
      round: view.round,
      record: { ...s, kindLabel: KIND_LABELS[s.kind] },
      itemHref: itemPath(view.round.id, s.code),
      review: view.review && { ...view.review, statusLabel: REVIEW_STATUSES[view.review.status] },
      versions: view.versions.map((v) => ({ ...versionRow(v), changes: v.changes })),
    });
  });

  router.post('/rounds/:id/items/:code/evidence', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      if (!form.files.file) throw new Invalid('请选择要上传的文件');
      await services.findings.addEvidence(
        auditContextOf(req),
        actorOf(req),
        roundId,
        codeOf(req),
        form.files.file,
        form.fields.description ?? '',
      );
    } catch (err) {
      if (!isFormError(err)) throw err;
      return renderItem(req, res, { evidenceError: formAgain(res, err).error });
    }
    await done(req, form.fields, '佐证材料已上传。');
    res.redirect(303, `${itemPath(roundId, codeOf(req))}#evidence`);
  });

  // Evidence is always a download, never shown inline: a PDF or an image from a unit is not trusted content.
  router.get('/rounds/:id/items/:code/evidence/:evidenceId', signedIn, async (req, res) => {
    const file = await services.findings.evidenceFile(
      actorOf(req),
      idParam(req),
      codeOf(req),
      idParam(req, 'evidenceId'),
    );
    sendAs(res, file.name);
    res.type(file.mediaType);
    res.set('Content-Security-Policy', "default-src 'none'; sandbox");
    res.send(file.content);
  });

  /**
   * The review form's buttons and the small forms beside it, each one service call, answering
   * what the banner then says was done.
   */
  const ACTIONS: Record<string, (req: Request, form: Record<string, unknown>) => Promise<string>> = {
    save: async (req, form) => {
      const { review } = await services.reviews.save(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        formToReview(form),
        Number(form.version),
      );
      return `草稿已保存（第${review.version}版）。`;
    },
    submit: async (req, form) => {
      await services.reviews.save(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        formToReview(form),
        Number(form.version),
        { submit: true },
      );
      return '已提交复核，等待组长确认。';
    },
    finding: async (req, form) => {
      await services.findings.addFinding(auditContextOf(req), actorOf(req), idParam(req), codeOf(req), {
        category: form.category,
        description: form.description,
        severity: form.severity,
        source: form.source,
        evidence: form.evidence,
      });
      return '问题已记录。';
    },
    'edit-finding': async (req, form) => {
      const finding = await services.findings.editFinding(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        Number(form.findingId),
        { category: form.category, description: form.description, severity: form.severity, evidence: form.evidence },
        Number(form.findingVersion),
      );
      return `问题已修改（第${finding.version}版，此前的版本已保留）。`;
    },
    request: async (req, form) => {
      const request = await services.units.addRequest(auditContextOf(req), actorOf(req), idParam(req), codeOf(req), {
        text: form.text,
        dueDate: form.dueDate,
      });
      return `已要求单位在 ${request.dueDate} 前补充材料。`;
    },
    'withdraw-evidence': async (req, form) => {
      await services.findings.withdrawEvidence(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        Number(form.evidenceId),
        form.reason,
      );
      return '佐证材料已撤回。';
    },
    'withdraw-finding': async (req, form) => {
      await services.findings.withdrawFinding(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        Number(form.findingId),
        form.reason,
      );
      return '问题已撤回。';
    },
    withdraw: async (req) => {
      await services.reviews.withdraw(auditContextOf(req), actorOf(req), idParam(req), codeOf(req));
      return '已撤回提交，复核回到草稿，可以继续修改。';
    },
    confirm: async (req, form) => {
      await services.reviews.confirm(auditContextOf(req), actorOf(req), idParam(req), codeOf(req), form.response);
      return '复核已确认。';
    },
    return: async (req, form) => {
      await services.reviews.return(auditContextOf(req), actorOf(req), idParam(req), codeOf(req), form.reason);
      return '复核已退回，复核人修改后可重新提交。';
    },
  };

  /**
   * The banner after a step: what was done, after the draft the page saved first when the writer
   * had typed into the review form before using one of the small forms (`draftVersion`).
   */
  async function done(req: Request, form: Record<string, unknown>, what: string) {
    const draft = str(form.draftVersion);
    await req.flash({ notice: (/^\d{1,9}$/.test(draft) ? `已先保存复核草稿（第${draft}版）。` : '') + what });
  }

  router.post('/rounds/:id/items/:code', signedIn, async (req, res) => {
    const form = objectBody(req.body);
    const action = str(form.action) || 'save';
    if (!Object.hasOwn(ACTIONS, action)) throw new Invalid(`未知的操作"${action.slice(0, 20)}"`);
    let what: string;
    try {
      what = await ACTIONS[action](req, form);
    } catch (err) {
      if (!isFormError(err)) throw err;
      // A small form (a finding, a withdrawal) comes back with what was typed in it; the review form is as stored.
      if (action !== 'save' && action !== 'submit')
        return renderItem(req, res, { smallForm: form, ...formAgain(res, err) });
      // Keep what the writer typed; on a stale version show what is stored now, and let the next save build on it.
      const current =
        err instanceof StaleReview && err.current ? reviewJson(err.current, err.submission, err.blind) : undefined;
      return renderItem(req, res, {
        form,
        ...formAgain(res, err),
        current,
        version: current ? current.version : Number(form.version),
      });
    }
    await done(req, form, what);
    res.redirect(303, `${itemPath(idParam(req), codeOf(req))}${ANCHORS[action] ?? ''}`);
  });

  return router;
}

/** A sampled item over the API: read it, save and move its review, add findings and evidence. */
export function itemApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  router.get('/rounds/:id/items/:code', signedIn, async (req, res) => {
    const view = await services.reviews.item(actorOf(req), idParam(req), codeOf(req), { allVersions: true });
    const s = view.submission;
    res.json({
      code: s.code,
      kind: s.kind,
      name: s.name,
      unit: s.unit,
      department: s.department,
      budgetWan: fenToWan(s.budgetFen),
      blind: view.blind,
      selfScore: view.blind ? null : s.selfScore / 100,
      selfGrade: view.blind ? null : s.selfGrade,
      warnings: warningKeysOf(s.warnings),
      assignee: view.item.assigneeUsername,
      indicators: view.indicators.map((i) => ({
        id: i.id,
        level1: i.level1,
        level2: i.level2,
        level3: i.level3,
        target: i.target,
        actual: i.actual,
        weight: i.weight / 100,
        score: view.blind ? null : i.score / 100,
        isExecution: i.isExecution,
      })),
      review: view.review ? reviewJson(view.review, s, view.blind) : null,
      evidence: view.evidence.map(evidenceJson),
      findings: view.findings.map(findingJson),
      history: view.versions.map(versionJson),
    });
  });

  router.get('/rounds/:id/items/:code/history', signedIn, async (req, res) => {
    const view = await services.reviews.history(actorOf(req), idParam(req), codeOf(req));
    res.json({
      code: view.submission.code,
      versions: view.versions.map((v) => ({
        ...versionJson(v),
        role: v.changedByRole,
        reviewScore: v.snapshot.reviewScore === null ? null : v.snapshot.reviewScore / 100,
        qualityScore: v.snapshot.qualityScore === null ? null : v.snapshot.qualityScore / 100,
        changes: v.changes,
      })),
    });
  });

  router.put('/rounds/:id/items/:code/review', signedIn, async (req, res) => {
    const input = objectBody(req.body);
    const version = Number(input.version);
    if (!Number.isInteger(version) || version < 0)
      throw new Invalid('缺少版本号 version（新复核为0）', [{ field: 'version', message: '请提供读取时的版本号' }]);
    try {
      const saved = await services.reviews.save(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        input,
        version,
      );
      res.json(reviewJson(saved.review, saved.submission, saved.blind));
    } catch (err) {
      if (!(err instanceof StaleReview)) throw err;
      throw new Conflict(
        err.message,
        { current: err.current && reviewJson(err.current, err.submission, err.blind) },
        'stale_version',
      );
    }
  });

  router.post('/rounds/:id/items/:code/evidence', signedIn, async (req, res) => {
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) throw new Invalid('缺少文件：请用 multipart/form-data 的 file 字段上传');
    const id = await services.findings.addEvidence(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      codeOf(req),
      form.files.file,
      form.fields.description ?? '',
    );
    res
      .status(201)
      .json({ id, fileName: form.files.file.name, href: `${itemPath(idParam(req), codeOf(req))}/evidence/${id}` });
  });

  router.post('/rounds/:id/items/:code/findings', signedIn, async (req, res) => {
    const id = await services.findings.addFinding(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      codeOf(req),
      objectBody(req.body),
    );
    const view = await services.reviews.item(actorOf(req), idParam(req), codeOf(req));
    const {
      withdrawn: _withdrawn,
      evidence: _evidence,
      ...finding
    } = findingJson(view.findings.find((f) => f.id === id)!);
    res.status(201).json(finding);
  });

  router.put('/rounds/:id/items/:code/findings/:findingId', signedIn, async (req, res) => {
    const input = objectBody(req.body);
    await services.findings.editFinding(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      codeOf(req),
      idParam(req, 'findingId'),
      input,
      Number(input.version),
    );
    const view = await services.reviews.item(actorOf(req), idParam(req), codeOf(req));
    res.json(findingJson(view.findings.find((f) => f.id === idParam(req, 'findingId'))!));
  });

  for (const action of ['submit', 'withdraw', 'confirm', 'return'] as const) {
    router.post(`/rounds/:id/items/:code/review/${action}`, signedIn, async (req, res) => {
      const args = [auditContextOf(req), actorOf(req), idParam(req), codeOf(req)] as const;
      const body = objectBody(req.body);
      const { review, submission, blind } = await (action === 'return'
        ? services.reviews.return(...args, body.reason)
        : action === 'confirm'
          ? services.reviews.confirm(...args, body.response)
          : services.reviews[action](...args));
      res.json(reviewJson(review, submission, blind));
    });
  }

  return router;
}
