import { SEVERITIES, SUGGESTED_BY_WARNING } from '../domain/findings';
import { formatScore } from '../domain/grades';
import { formatWan } from '../domain/money';
import { KIND_LABELS } from '../domain/population';
import { DEDUCTION_RULES, DIMENSIONS, JUDGEMENTS, REVIEW_STATUSES } from '../domain/review';
import { ROLE_LABELS } from '../domain/roles';
import { formatRateBp, WarningKey, WARNINGS, warningKeysOf } from '../domain/warnings';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { asText } from '../http/input';
import { VersionListEntry } from './repository';
import { ReviewService } from './reviewService';
import { feedbackDue, requestState, UnitService } from '../units/service';

/** The review page as its template reads it, and its form read back: pure functions, no HTTP. */

export type ItemView = Awaited<ReturnType<ReviewService['item']>>;
/** The unit's side of the page: requests, feedback, whether the unit has an account. */
export type UnitSide = Awaited<ReturnType<UnitService['sideOfItem']>>;

const str = asText;
const ACTION_LABELS: Record<string, string> = {
  save: '保存',
  submit: '提交',
  withdraw: '撤回提交',
  confirm: '确认',
  return: '退回',
  import: '离线导入',
};
const RULE_OPTIONS = Object.entries(DEDUCTION_RULES).map(([code, rule]) => ({
  code,
  percent: rule.percent,
  label: `${rule.label}（扣${rule.percent}%）`,
}));

export const scoreText = (h: number | null | undefined) => (h === null || h === undefined ? '' : formatScore(h));

/** One line of a review's history, as the review page and the history page list it. */
export const versionRow = (v: VersionListEntry) => ({
  ...v,
  action: Object.hasOwn(ACTION_LABELS, v.action) ? ACTION_LABELS[v.action] : v.action,
  statusLabel: REVIEW_STATUSES[v.status],
  scoreText: scoreText(v.reviewScore),
  roleText: ROLE_LABELS[v.changedByRole],
});

/**
 * The review form's flat fields (`ind_<id>_score` …) as the API's body. The form holds every
 * field, so each is sent: an emptied field is cleared, not kept. The indicators are those the
 * form has fields for; the service refuses any that are not the item's.
 */
export function formToReview(form: Record<string, unknown>) {
  const ids = [
    ...new Set(
      Object.keys(form)
        .map((key) => /^ind_(\d{1,9})_(?:actual|score|rule|note|evidence)$/.exec(key)?.[1])
        .filter((id): id is string => id !== undefined),
    ),
  ].map(Number);
  const dimensions: Record<string, { judgement: string; note: string } | null> = {};
  DIMENSIONS.forEach((name, i) => {
    const judgement = str(form[`dim_${i}_judgement`]);
    dimensions[name] = judgement ? { judgement, note: str(form[`dim_${i}_note`]) } : null;
  });
  const quality = ['q_timeliness', 'q_normative', 'q_report'].some((k) => str(form[k]) !== '')
    ? {
        timeliness: str(form.q_timeliness),
        timelinessReason: str(form.q_timeliness_reason),
        normative: str(form.q_normative),
        report: str(form.q_report),
      }
    : null;
  return {
    reviewScore: str(form.reviewScore),
    qualityScore: null,
    quality,
    comment: str(form.comment),
    indicators: ids.map((id) => ({
      id,
      reviewActual: str(form[`ind_${id}_actual`]),
      reviewScore: str(form[`ind_${id}_score`]),
      rule: str(form[`ind_${id}_rule`]),
      note: str(form[`ind_${id}_note`]),
      evidence: form[`ind_${id}_evidence`] ?? [],
    })),
    dimensions,
  };
}

const sizeText = (size: number) =>
  size >= 1048576 ? `${(size / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(size / 1024))} KB`;

const INDICATOR_FIELDS: Record<string, string> = {
  reviewScore: 'score',
  note: 'note',
  rule: 'rule',
  percent: 'rule',
  reviewActual: 'actual',
  evidence: 'evidence',
};
const PLAIN_FIELDS: Record<string, string> = {
  reviewScore: 'reviewScore',
  comment: 'comment',
  'quality.timeliness': 'q_timeliness',
  'quality.timelinessReason': 'q_timeliness_reason',
  'quality.normative': 'q_normative',
  'quality.report': 'q_report',
};

/**
 * The review form's field for an error's `field` as the API names it (indicators.12.note,
 * dimensions.满意度.note, quality.report …), so that a refused save shows each error beside its
 * field without JavaScript too. The page's script maps the same names the same way.
 */
export function formFieldOf(field: string): string | undefined {
  const indicator = /^indicators\.(\d+)\.(\w+)$/.exec(field);
  if (indicator)
    return Object.hasOwn(INDICATOR_FIELDS, indicator[2])
      ? `ind_${indicator[1]}_${INDICATOR_FIELDS[indicator[2]]}`
      : undefined;
  const dimension = /^dimensions\.(.+?)(\.note)?$/.exec(field);
  if (dimension) {
    const index = DIMENSIONS.indexOf(dimension[1] as (typeof DIMENSIONS)[number]);
    return index < 0 ? undefined : `dim_${index}_${dimension[2] ? 'note' : 'judgement'}`;
  }
  return Object.hasOwn(PLAIN_FIELDS, field) ? PLAIN_FIELDS[field] : undefined;
}

/** The errors of a refused save by form field, the first of them marked to take the focus. */
function errorsByFormField(errors: unknown): { byName: Record<string, string>; first: string | undefined } {
  const byName: Record<string, string> = {};
  for (const e of Array.isArray(errors) ? errors : []) {
    const name = typeof e?.field === 'string' ? formFieldOf(e.field) : undefined;
    if (name && !Object.hasOwn(byName, name)) byName[name] = String(e.message);
  }
  // The first in the page's order: the indicators, the whole score, the dimensions, quality, the comment.
  const place = (name: string) => {
    const [, part, n] = /^(ind|reviewScore|dim|q|comment)_?(\d*)/.exec(name) ?? [];
    return ['ind', 'reviewScore', 'dim', 'q', 'comment'].indexOf(part ?? '') * 1e9 + Number(n || 0);
  };
  const [first] = Object.keys(byName).sort((a, b) => place(a) - place(b));
  return { byName, first };
}

/**
 * The review page's template data. With `form` (a save that was refused), every field shows what
 * the writer typed rather than what is stored.
 */
export function reviewPageView(
  view: ItemView,
  unitSide: UnitSide,
  {
    form,
    version,
    smallForm,
    errors,
  }: {
    form?: Record<string, unknown>;
    version?: number;
    smallForm?: Record<string, unknown>;
    errors?: unknown;
  } = {},
) {
  const content = view.review?.content;
  const reviewOf = (id: number) => content?.indicators.find((i) => i.id === id);
  const value = (key: string, stored: string) => (form ? str(form[key]) : stored);
  const s = view.submission;
  const itemHref = `/rounds/${view.round.id}/items/${encodeURIComponent(s.code)}`;
  return {
    title: `复核：${s.code} ${s.name}`,
    // A refused save of the review form: its errors beside their fields.
    formErrors: form ? errorsByFormField(errors) : { byName: {}, first: undefined },
    round: view.round,
    record: {
      ...s,
      kindLabel: KIND_LABELS[s.kind],
      budget: formatWan(s.budgetFen),
      executed: s.executedFen === null ? '—' : `${formatWan(s.executedFen)} 万元`,
      rate: formatRateBp(s.executionRateBp),
      score: formatScore(s.selfScore),
      warningList: warningKeysOf(s.warnings).map((k) => WARNINGS[k]),
      extraList: s.extra ? Object.entries(s.extra).map(([header, v]) => ({ header, value: v })) : [],
    },
    indicators: view.indicators.map((i) => {
      const r = reviewOf(i.id);
      const rule = value(`ind_${i.id}_rule`, r?.rule ?? '');
      return {
        ...i,
        weightText: formatScore(i.weight),
        scoreText: formatScore(i.score),
        reviewActual: value(`ind_${i.id}_actual`, r?.reviewActual ?? ''),
        reviewScore: value(`ind_${i.id}_score`, scoreText(r?.reviewScore)),
        note: value(`ind_${i.id}_note`, r?.note ?? ''),
        rules: RULE_OPTIONS.map((option) => ({ ...option, selected: rule === option.code })),
        executionPoints: i.isExecution ? scoreText(view.figures.executionPoints) : '',
        evidenceOptions: view.evidence
          .filter((e) => !e.withdrawnAt)
          .map((e) => ({ id: e.id, fileName: e.fileName, selected: (r?.evidence ?? []).includes(e.id) })),
      };
    }),
    hasIndicators: view.indicators.length > 0,
    wholeScore: value('reviewScore', view.indicators.length === 0 ? scoreText(view.review?.reviewScore) : ''),
    quality: {
      timeliness: value('q_timeliness', scoreText(content?.quality?.timeliness ?? view.timelinessDefault)),
      timelinessReason: value('q_timeliness_reason', content?.quality?.timelinessReason ?? ''),
      normative: value('q_normative', scoreText(content?.quality?.normative)),
      report: value('q_report', scoreText(content?.quality?.report)),
      timelinessDefault:
        view.timelinessDefault === null
          ? '（无报送日期或截止日期，请打分）'
          : `按报送日期为 ${formatScore(view.timelinessDefault)} 分`,
      weights: view.round.qualityWeights,
      score: scoreText(view.review?.qualityScore),
    },
    blind: view.blind,
    comment: value('comment', view.review?.comment ?? ''),
    dimensions: DIMENSIONS.map((name, index) => {
      const stored = content?.dimensions[name];
      const judgement = value(`dim_${index}_judgement`, stored?.judgement ?? '');
      return {
        name,
        index,
        note: value(`dim_${index}_note`, stored?.note ?? ''),
        options: JUDGEMENTS.map((j) => ({ value: j, selected: judgement === j })),
      };
    }),
    review: view.review && { ...view.review, statusLabel: REVIEW_STATUSES[view.review.status] },
    figures: {
      ...view.figures,
      reviewScoreText: scoreText(view.figures.reviewScore),
      pendingText: view.figures.reviewScore !== null ? '' : view.figures.unscored ? '未评分' : '（尚未评完）',
      deviationText: view.figures.deviation === null ? '' : formatScore(view.figures.deviation),
      deviationRate: view.figures.deviationBp === null ? '' : formatRateBp(view.figures.deviationBp),
      selfGrade: view.assessment.scoreGrade,
    },
    versions: view.versions.map(versionRow),
    versionCount: view.versionCount,
    olderVersions: view.versionCount > view.versions.length,
    historyHref: `${itemHref}/history`,
    findings: view.findings.map((f) => {
      // A refused edit of this finding comes back open, with what was typed.
      const typed =
        smallForm?.action === 'edit-finding' && str(smallForm.findingId) === String(f.id) ? smallForm : undefined;
      const text = typed
        ? {
            category: str(typed.category),
            description: str(typed.description),
            severity: str(typed.severity),
            evidenceIds: ([] as unknown[]).concat(typed.evidence ?? []).map(Number),
          }
        : f;
      return {
        ...f,
        citedFiles: f.evidenceIds
          .map((id) => view.evidence.find((e) => e.id === id)?.fileName)
          .filter(Boolean)
          .join('、'),
        severityLabel: SEVERITIES[f.severity],
        roleText: ROLE_LABELS[f.authorRole],
        external: f.authorRole === 'evaluator',
        earlier: f.earlier.map((v) => ({ ...v, severityLabel: SEVERITIES[v.severity] })),
        edit: view.editableFindings.has(f.id) && {
          open: typed !== undefined,
          description: text.description,
          // The version the edit builds on: the one typed against, so a stale edit is still refused.
          version: typed ? str(typed.findingVersion) : String(f.version),
          categories: view.categories.map((c) => ({ ...c, selected: c.code === text.category })),
          severities: Object.entries(SEVERITIES).map(([key, label]) => ({
            value: key,
            label,
            selected: key === text.severity,
          })),
          evidence: view.evidence
            .filter((e) => !e.withdrawnAt)
            .map((e) => ({ id: e.id, fileName: e.fileName, checked: text.evidenceIds.includes(e.id) })),
        },
      };
    }),
    // The new-finding form, with what was typed when it was refused.
    newFinding:
      smallForm?.action === 'finding' && !str(smallForm.source)
        ? {
            category: str(smallForm.category),
            severity: str(smallForm.severity),
            description: str(smallForm.description),
          }
        : { category: '', severity: 'minor', description: '' },
    categories: view.categories,
    evidence: view.evidence.map((e) => ({ ...e, sizeText: sizeText(e.size), href: `${itemHref}/evidence/${e.id}` })),
    activeEvidence: view.evidence.filter((e) => !e.withdrawnAt),
    maxUploadMb: Math.round(MAX_UPLOAD_BYTES / 1048576),
    severities: Object.entries(SEVERITIES).map(([key, label]) => ({ value: key, label })),
    findingError: smallForm && /finding/.test(str(smallForm.action)) ? true : undefined,
    suggestions: suggestionsFor(
      warningKeysOf(s.warnings),
      new Set(view.findings.filter((f) => !f.withdrawnAt).map((f) => f.source)),
      view.categories,
    ),
    version: version ?? view.review?.version ?? 0,
    assignee: view.item.assigneeName
      ? `${view.item.assigneeName}${view.item.assigneeOrganisation ? `（${view.item.assigneeOrganisation}）` : ''}`
      : '未分配',
    ...unitSideView(view, unitSide, itemHref, smallForm),
    canWrite: view.canWrite,
    canWriteFindings: view.canWriteFindings,
    canSubmit: view.canSubmit,
    canWithdraw: view.canWithdraw,
    canConfirm: view.canConfirm,
    canReturn: view.canReturn,
  };
}

/**
 * The findings the record's warning signs suggest: one per category, however many signs point to
 * it (指标得分超过分值 and 得分率高于执行率 both suggest P08), naming every sign and saying each
 * thing once. Accepting it records the finding with the first sign as its source; while that
 * finding stands, nothing more is suggested for its category's signs.
 */
function suggestionsFor(keys: WarningKey[], sources: Set<string>, categories: Array<{ code: string; title: string }>) {
  const byCategory = new Map<string, WarningKey[]>();
  for (const key of keys) {
    const { category } = SUGGESTED_BY_WARNING[key];
    byCategory.set(category, [...(byCategory.get(category) ?? []), key]);
  }
  // A suggestion accepted (under any of its signs) and not withdrawn is not suggested again.
  const open = [...byCategory].filter(([, signs]) => !signs.some((key) => sources.has(`warning:${key}`)));
  return open.map(([category, signs]) => ({
    key: signs[0],
    warnings: signs.map((key) => WARNINGS[key].label),
    category,
    categoryTitle: categories.find((c) => c.code === category)?.title,
    description: signs.map((key) => SUGGESTED_BY_WARNING[key].description).join(''),
  }));
}

/**
 * The unit's side of the review page: the material requests with their answers (overdue marked),
 * the unit's feedback with the responses, and whether confirming needs a response now.
 */
function unitSideView(
  view: ItemView,
  side: UnitSide,
  itemHref: string,
  smallForm: Record<string, unknown> | undefined,
) {
  const evidenceOf = (id: number) => view.evidence.find((e) => e.id === id);
  const latest = side.feedback.at(-1);
  return {
    requests: side.requests.map((r) => {
      const state = requestState(r, side.today);
      return {
        ...r,
        ...state,
        answers: r.answers.map((a) => ({
          ...a,
          files: a.evidenceIds
            .map(evidenceOf)
            .filter((e) => e !== undefined)
            .map((e) => ({
              fileName: e.fileName,
              href: `${itemHref}/evidence/${e.id}`,
              withdrawn: e.withdrawnAt !== null,
            })),
        })),
      };
    }),
    canRequest: view.canWriteFindings,
    unitReachable: side.unitReachable,
    today: side.today,
    newRequest: smallForm?.action === 'request' ? { text: str(smallForm.text), dueDate: str(smallForm.dueDate) } : {},
    requestError: smallForm?.action === 'request' ? true : undefined,
    feedback: side.feedback.map((f) => ({ ...f, agreeLabel: f.agree ? '同意' : '不同意' })),
    feedbackNeedsResponse: view.canConfirm && latest !== undefined && !latest.agree,
    typedResponse: smallForm?.action === 'confirm' ? str(smallForm.response) : '',
    feedbackDue: view.review ? feedbackDue(view.review, view.round.unitFeedbackDays) : null,
  };
}
