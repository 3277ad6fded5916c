import { formatScore } from '../domain/grades';
import { fenToWan, formatWan } from '../domain/money';
import { KIND_LABELS } from '../domain/population';
import { reviewFigures } from '../domain/review';
import { SEVERITIES } from '../domain/findings';
import { RECTIFICATION_STATUSES } from '../domain/rectification';
import { formatRateBp } from '../domain/warnings';
import { evidenceJson } from '../reviews/present';
import { asText } from '../http/input';
import { MaterialRequest, UnitFeedback } from './repository';
import { scoreText } from '../reviews/itemView';
import { requestState, UnitService } from './service';

/** What a unit's contact reads, as JSON (spec/units.md) and as the pages' template data. */

type UnitItemView = Awaited<ReturnType<UnitService['item']>>;
type MyItems = Awaited<ReturnType<UnitService['myItems']>>;

/** A unit's own words for where the review stands (the team's drafts and returns are "复核中"). */
export function unitStatusLabel(status: string | null, feedbackOpen = false): string {
  if (status === 'submitted') return feedbackOpen ? '待您反馈意见' : '已提交，待组长确认';
  if (status === 'confirmed') return '复核已确认';
  return '复核中';
}

export const requestJson = (r: MaterialRequest, today: string) => {
  const { answered, overdue, latest } = requestState(r, today);
  return {
    id: r.id,
    status: answered ? 'answered' : 'open',
    text: r.text,
    dueDate: r.dueDate,
    overdue,
    requestedBy: r.requestedByName,
    requestedAt: r.requestedAt.toISOString(),
    answer: latest?.text ?? null,
    answeredAt: latest?.answeredAt.toISOString() ?? null,
    evidence: latest?.evidenceIds ?? [],
    answers: r.answers.map((a) => ({
      text: a.text,
      evidence: a.evidenceIds,
      by: a.answeredByName,
      at: a.answeredAt.toISOString(),
    })),
  };
};

export const feedbackJson = (f: UnitFeedback) => ({
  id: f.id,
  agree: f.agree,
  text: f.text,
  reviewVersion: f.reviewVersion,
  by: f.givenByName,
  at: f.givenAt.toISOString(),
  responses: f.responses.map((r) => ({ text: r.text, by: r.respondedByName, at: r.respondedAt.toISOString() })),
});

/** The figures of a review the unit may read: its score as a whole score, with grade and deviation. */
const figuresOf = (view: UnitItemView) =>
  view.review && reviewFigures(view.submission, [], { ...view.review.content, wholeScore: view.review.reviewScore });

/** The review a unit reads once it is submitted: score, grade, deviation, quality, comment. */
function reviewJsonForUnit(view: UnitItemView) {
  const review = view.review;
  const figures = figuresOf(view);
  if (!review || !figures) return null;
  return {
    status: review.status,
    reviewScore: review.reviewScore === null ? null : review.reviewScore / 100,
    reviewGrade: figures.reviewGrade,
    qualityScore: review.qualityScore === null ? null : review.qualityScore / 100,
    qualityGrade: figures.qualityGrade,
    selfScore: view.submission.selfScore / 100,
    deviation: figures.deviation === null ? null : figures.deviation / 100,
    deviationRate: figures.deviationBp === null ? null : figures.deviationBp / 10000,
    comment: review.comment,
    version: review.version,
    submittedAt: review.updatedAt.toISOString(),
  };
}

/** GET /api/rounds/:id/items/:code for the item's unit. */
export function unitItemJson(view: UnitItemView) {
  const s = view.submission;
  return {
    roundId: view.round.id,
    code: s.code,
    kind: s.kind,
    name: s.name,
    unit: s.unit,
    department: s.department,
    budgetWan: fenToWan(s.budgetFen),
    selfScore: s.selfScore / 100,
    selfGrade: s.selfGrade,
    indicators: view.indicators.map((i) => ({
      id: i.id,
      level1: i.level1,
      level2: i.level2,
      level3: i.level3,
      target: i.target,
      actual: i.actual,
      weight: i.weight / 100,
      score: i.score / 100,
    })),
    reviewStatus: view.reviewStatus ?? 'none',
    review: reviewJsonForUnit(view),
    findings: view.findings.map((f) => ({
      id: f.id,
      category: f.category,
      title: f.categoryTitle,
      description: f.description,
      severity: f.severity,
    })),
    evidence: view.evidence.map(evidenceJson),
    requests: view.requests.map((r) => requestJson(r, view.today)),
    feedback: view.feedback.map(feedbackJson),
    feedbackDue: view.feedbackDue,
    feedbackDays: view.round.unitFeedbackDays,
  };
}

/** GET /api/unit/items. */
export const unitItemsJson = (items: MyItems, today: string) => ({
  items: items.map((i) => ({
    roundId: i.roundId,
    roundTitle: i.roundTitle,
    code: i.code,
    kind: i.kind,
    name: i.name,
    unit: i.unit,
    department: i.department,
    reviewStatus: i.reviewStatus ?? 'none',
    openRequests: i.openRequests,
    overdueRequests: i.overdueRequests,
    feedback: {
      open: i.feedbackOpen,
      due: i.feedbackDue,
      overdue: i.feedbackOverdue,
      given: i.feedback.map(feedbackJson),
    },
    requests: i.requests.map((r) => requestJson(r, today)),
    rectifications: i.rectifications.map((t) => ({
      id: t.id,
      category: t.category,
      finding: t.finding,
      dueDate: t.dueDate,
      status: t.status,
      overdue: t.overdue,
    })),
  })),
});

const str = asText;

/** The unit's item page. `smallForm` is a refused form, shown again with what was typed. */
export function unitItemPage(view: UnitItemView, smallForm?: Record<string, unknown>) {
  const s = view.submission;
  const itemHref = `/rounds/${view.round.id}/items/${encodeURIComponent(s.code)}`;
  const figures = figuresOf(view);
  const active = view.evidence.filter((e) => e.withdrawnAt === null);
  const typedFor = (action: string, id?: number) =>
    smallForm?.action === action && (id === undefined || str(smallForm.requestId) === String(id))
      ? smallForm
      : undefined;
  return {
    title: `${s.code} ${s.name}`,
    round: view.round,
    record: {
      ...s,
      kindLabel: KIND_LABELS[s.kind],
      budget: formatWan(s.budgetFen),
      score: formatScore(s.selfScore),
      rate: formatRateBp(s.executionRateBp),
    },
    indicators: view.indicators.map((i) => ({
      ...i,
      weightText: formatScore(i.weight),
      scoreText: formatScore(i.score),
    })),
    statusLabel: unitStatusLabel(view.reviewStatus, view.canFeedback),
    review: view.review &&
      figures && {
        ...view.review,
        reviewGrade: figures.reviewGrade,
        qualityGrade: figures.qualityGrade,
        reviewScoreText: scoreText(view.review.reviewScore),
        qualityScoreText: scoreText(view.review.qualityScore),
        deviationText: scoreText(figures.deviation),
        deviationRateText: figures.deviationBp === null ? '' : formatRateBp(figures.deviationBp),
        confirmed: view.review.status === 'confirmed',
      },
    findings: view.findings.map((f) => ({ ...f, severityLabel: SEVERITIES[f.severity] })),
    evidence: view.evidence.map((e) => ({ ...e, href: `${itemHref}/evidence/${e.id}` })),
    requests: view.requests.map((r) => {
      const typed = typedFor('answer', r.id);
      return {
        ...r,
        ...requestState(r, view.today),
        answers: r.answers.map((a) => ({
          ...a,
          files: a.evidenceIds.map((id) => view.evidence.find((e) => e.id === id)?.fileName ?? `#${id}`).join('、'),
        })),
        typedText: typed ? str(typed.text) : '',
        open: typed !== undefined,
        files: active.map((e) => ({
          id: e.id,
          fileName: e.fileName,
          checked: typed
            ? ([] as unknown[])
                .concat(typed.evidence ?? [])
                .map(String)
                .includes(String(e.id))
            : false,
        })),
      };
    }),
    feedback: view.feedback.map((f) => ({ ...f, agreeLabel: f.agree ? '同意' : '不同意' })),
    feedbackDue: view.feedbackDue,
    feedbackDays: view.round.unitFeedbackDays,
    canFeedback: view.canFeedback,
    canUpload: view.canUpload,
    canAnswer: view.canAnswer,
    typedFeedback: typedFor('feedback')
      ? { agree: str(smallForm!.agree), text: str(smallForm!.text) }
      : { agree: '', text: '' },
    feedbackError: typedFor('feedback') !== undefined,
    rectifications: view.rectifications.map((t) => ({
      ...t,
      statusLabel: RECTIFICATION_STATUSES[t.status],
      href: `/rectifications/${t.id}`,
    })),
    answerError: typedFor('answer') !== undefined,
    today: view.today,
    itemHref,
  };
}
