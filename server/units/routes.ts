import { Request, Response, Router } from 'express';
import { todayCst } from '../domain/dates';
import { KIND_LABELS } from '../domain/population';
import { sampledNotice } from '../domain/units';
import { Invalid, isFormError } from '../errors';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { formAgain } from '../http/forms';
import { asText, objectBody } from '../http/input';
import { idParam } from '../http/params';
import { readMultipart } from '../http/upload';
import { actorOf } from '../reviews/itemRoutes';
import { Services } from '../services';
import { requestJson, unitItemJson, unitItemPage, unitItemsJson, unitStatusLabel } from './present';

const codeOf = (req: Request) => String(req.params.code);
const itemPath = (roundId: number, code: string) => `/rounds/${roundId}/items/${encodeURIComponent(code)}`;
const isUnit = (req: Request) => req.user?.role === 'unit';

/**
 * The pages of a unit's contact: 我的单位 (also their landing page) and their item's page, where
 * they upload materials, answer requests and give feedback. Mounted before the review pages:
 * for everyone else the item's path is the review page.
 */
export function unitPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const ownUnit = access.requirePermission('units.own');

  async function renderHome(req: Request, res: Response) {
    const items = await services.units.myItems(actorOf(req));
    const today = todayCst(services.now());
    const rounds = [...new Map(items.map((i) => [i.roundId, i])).values()].map((first) => {
      const ofRound = items.filter((i) => i.roundId === first.roundId);
      return {
        id: first.roundId,
        title: first.roundTitle,
        notice: sampledNotice(ofRound.map((i) => `${i.name}（${i.code}）`)),
        // Once every item is confirmed, nothing more is expected of the unit in that round.
        underReview: ofRound.some((i) => i.reviewStatus !== 'confirmed'),
        feedbackDays: first.unitFeedbackDays,
        items: ofRound.map((i) => ({
          ...i,
          kindLabel: KIND_LABELS[i.kind],
          statusLabel: unitStatusLabel(i.reviewStatus, i.feedbackOpen),
          href: itemPath(i.roundId, i.code),
        })),
      };
    });
    const todo = items.flatMap((i) => [
      ...i.requests
        .filter((r) => r.answers.length === 0)
        .map((r) => ({
          kind: 'request',
          href: `${itemPath(i.roundId, i.code)}#request-${r.id}`,
          what: `补充材料：${r.text}`,
          item: `${i.name}（${i.code}）`,
          due: r.dueDate,
          overdue: r.dueDate < today,
        })),
      ...i.rectifications
        .filter((r) => r.status === 'open' || r.status === 'returned')
        .map((r) => ({
          kind: 'rectification',
          href: `/rectifications/${r.id}`,
          what: `${r.status === 'returned' ? '整改被退回，请重新整改' : '整改'}：${r.categoryTitle}`,
          item: `${i.name}（${i.code}）`,
          due: r.dueDate,
          overdue: r.overdue,
        })),
      ...(i.feedbackOpen
        ? [
            {
              kind: 'feedback',
              href: `${itemPath(i.roundId, i.code)}#feedback`,
              what: '复核结果已提交，请反馈意见',
              item: `${i.name}（${i.code}）`,
              due: i.feedbackDue,
              overdue: i.feedbackOverdue,
            },
          ]
        : []),
    ]);
    res.render('units/home', {
      title: '我的单位',
      rounds,
      todo: todo.sort((a, b) => String(a.due).localeCompare(String(b.due))),
      empty: items.length === 0,
    });
  }

  // A unit's contact lands on 我的单位; everyone else goes on to their own landing page.
  router.get('/', (req, res, next) => (isUnit(req) ? renderHome(req, res) : next()));
  router.get('/unit', ownUnit, renderHome);

  async function renderItem(req: Request, res: Response, smallForm?: Record<string, unknown>, extra = {}) {
    const view = await services.units.item(actorOf(req), idParam(req), codeOf(req));
    res.render('units/item', { ...unitItemPage(view, smallForm), ...extra });
  }

  router.get('/rounds/:id/items/:code', (req, res, next) => (isUnit(req) ? renderItem(req, res) : next()));

  const ACTIONS: Record<string, (req: Request, form: Record<string, unknown>) => Promise<string>> = {
    answer: async (req, form) => {
      await services.units.answer(auditContextOf(req), actorOf(req), Number(asText(form.requestId)), {
        text: form.text,
        evidence: form.evidence,
      });
      return '答复已发送给复核人员。';
    },
    feedback: async (req, form) => {
      const given = await services.units.addFeedback(auditContextOf(req), actorOf(req), idParam(req), codeOf(req), {
        agree: form.agree,
        text: form.text,
      });
      return given.agree ? '已反馈：同意复核结果。' : '已反馈：不同意复核结果。复核组将答复您的意见。';
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
      return '材料已撤回。';
    },
  };
  const ANCHORS: Record<string, string> = {
    answer: '#requests',
    feedback: '#feedback',
    'withdraw-evidence': '#materials',
  };

  router.post('/rounds/:id/items/:code/unit', ownUnit, async (req, res) => {
    const form = objectBody(req.body);
    const action = asText(form.action);
    if (!Object.hasOwn(ACTIONS, action)) throw new Invalid(`未知的操作"${action.slice(0, 20)}"`);
    let what: string;
    try {
      what = await ACTIONS[action](req, form);
    } catch (err) {
      if (!isFormError(err)) throw err;
      return renderItem(req, res, form, formAgain(res, err));
    }
    await req.flash({ notice: what });
    res.redirect(303, `${itemPath(idParam(req), codeOf(req))}${ANCHORS[action]}`);
  });

  router.post('/rounds/:id/items/:code/unit/evidence', ownUnit, async (req, res) => {
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      if (!form.files.file) throw new Invalid('请选择要上传的文件');
      await services.findings.addEvidence(
        auditContextOf(req),
        actorOf(req),
        idParam(req),
        codeOf(req),
        form.files.file,
        form.fields.description ?? '',
      );
    } catch (err) {
      if (!isFormError(err)) throw err;
      return renderItem(req, res, undefined, { uploadError: formAgain(res, err).error });
    }
    await req.flash({ notice: `材料"${form.files.file.name}"已上传。答复补充材料要求时可以引用它。` });
    res.redirect(303, `${itemPath(idParam(req), codeOf(req))}#materials`);
  });

  return router;
}

/** The units' side over the API (spec/units.md). */
export function unitApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  router.get('/unit/items', access.requirePermission('units.own'), async (req, res) => {
    res.json(unitItemsJson(await services.units.myItems(actorOf(req)), todayCst(services.now())));
  });

  // The item's unit reads it without what a unit may not see; everyone else reads the review's view.
  router.get('/rounds/:id/items/:code', signedIn, async (req, res, next) => {
    if (!isUnit(req)) return next();
    res.json(unitItemJson(await services.units.item(actorOf(req), idParam(req), codeOf(req))));
  });

  router.post('/rounds/:id/items/:code/requests', signedIn, async (req, res) => {
    const created = await services.units.addRequest(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      codeOf(req),
      objectBody(req.body),
    );
    res.status(201).json(created);
  });

  router.get('/rounds/:id/items/:code/requests', signedIn, async (req, res) => {
    const { requests, today } = await services.units.requests(actorOf(req), idParam(req), codeOf(req));
    res.json({ requests: requests.map((r) => requestJson(r, today)) });
  });

  router.post('/requests/:id/answer', signedIn, async (req, res) => {
    const after = await services.units.answer(auditContextOf(req), actorOf(req), idParam(req), objectBody(req.body));
    res.json(requestJson(after, todayCst(services.now())));
  });

  router.post('/rounds/:id/items/:code/feedback', signedIn, async (req, res) => {
    const given = await services.units.addFeedback(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      codeOf(req),
      objectBody(req.body),
    );
    res.status(201).json(given);
  });

  return router;
}
