import { trimmed } from '../http/input';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { formatScore, GRADES, isGrade } from '../domain/grades';
import { fenToWan, formatWan } from '../domain/money';
import { isKind, KIND_LABELS, KINDS } from '../domain/population';
import { PROCEDURE } from '../domain/sampling';
import { can } from '../domain/roles';
import { formatRateBp, isWarningKey, WARNING_KEYS, WARNINGS, warningKeysOf } from '../domain/warnings';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { badRequest } from '../http/errors';
import { Invalid } from '../errors';
import { characterCount, FieldError, TEXT_LIMITS } from '../domain/text';
import { readMultipart } from '../http/upload';
import { Round } from '../rounds/repository';
import { Services } from '../services';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { Indicator, PopulationQuery, SORTS, SortKey, Submission } from './repository';
import { PopulationImport } from './importRepository';
import { describeProblem, ImportRefused, ImportResult } from './service';
import { populationTemplate, writePopulationXlsx } from './spreadsheets';

const str = trimmed;

/** Page sizes the list offers; the API takes any from 1 to MAX_PAGE_SIZE. */
const PAGE_SIZES = [20, 50, 100, 200];
const MAX_PAGE_SIZE = 500;

/**
 * The filters, sort and page of a population list, from the query string. A filter left empty
 * is no filter; a value the list does not know (a kind, grade, warning or sort that does not
 * exist, a page size outside 1–500, text too long) is refused with 422 naming the parameter.
 */
export function parseListQuery(query: Record<string, unknown>): {
  filter: PopulationQuery;
  page: number;
  pageSize: number;
} {
  const errors: FieldError[] = [];
  const oneOf = <T extends string>(name: string, accepts: (v: string) => v is T, label: string): T | undefined => {
    const value = str(query[name]);
    if (value === '') return undefined;
    if (accepts(value)) return value;
    errors.push({ field: name, message: `${label}"${value.slice(0, 50)}"不存在` });
    return undefined;
  };
  const textOf = (name: string, label: string, max: number): string | undefined => {
    const value = str(query[name]);
    if (characterCount(value) > max) errors.push({ field: name, message: `${label}不能超过${max}字` });
    return value || undefined;
  };
  const wholeOf = (name: string, label: string, fallback: number, max: number): number => {
    const value = str(query[name]);
    if (value === '') return fallback;
    const n = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= max)) errors.push({ field: name, message: `${label}须为1到${max}的整数` });
    return n;
  };
  const isSort = (v: string): v is SortKey => Object.hasOwn(SORTS, v);
  const isDirection = (v: string): v is 'asc' | 'desc' => v === 'asc' || v === 'desc';
  const filter: PopulationQuery = {
    kind: oneOf('kind', isKind, '类型'),
    department: textOf('department', '主管部门', TEXT_LIMITS.name),
    grade: oneOf('grade', isGrade, '等级'),
    warning: oneOf('warning', isWarningKey, '警示'),
    q: textOf('q', '搜索词', 100),
    sort: oneOf('sort', isSort, '排序') ?? 'code',
    descending: oneOf('dir', isDirection, '排序方向') === 'desc',
  };
  const page = wholeOf('page', '页码', 1, 1_000_000);
  const pageSize = wholeOf('pageSize', '每页条数', 50, MAX_PAGE_SIZE);
  if (errors.length) throw new Invalid('查询条件不正确', errors);
  return { filter, page, pageSize };
}

export function submissionJson(s: Submission) {
  return {
    code: s.code,
    kind: s.kind,
    kindLabel: KIND_LABELS[s.kind],
    department: s.department,
    unit: s.unit,
    name: s.name,
    fundingSource: s.fundingSource,
    budgetFen: String(s.budgetFen),
    budgetWan: fenToWan(s.budgetFen),
    executedFen: s.executedFen === null ? null : String(s.executedFen),
    executedWan: s.executedFen === null ? null : fenToWan(s.executedFen),
    executionRate: s.executionRateBp === null ? null : s.executionRateBp / 10000,
    selfScore: s.selfScore / 100,
    selfGrade: s.selfGrade,
    scoreGrade: s.scoreGrade,
    submittedOn: s.submittedOn,
    contact: s.contact,
    note: s.note,
    extra: s.extra ?? {},
    indicatorCount: s.indicatorCount,
    warnings: warningKeysOf(s.warnings),
    rowNumber: s.rowNumber,
  };
}

function indicatorJson(i: Indicator) {
  return {
    id: i.id,
    position: i.position,
    level1: i.level1,
    level2: i.level2,
    level3: i.level3,
    nature: i.nature,
    target: i.target,
    unit: i.unit,
    weight: i.weight / 100,
    actual: i.actual,
    score: i.score / 100,
    isExecution: i.isExecution,
    rowNumber: i.rowNumber,
  };
}

export function importJson(value: PopulationImport) {
  return {
    id: value.id,
    imported: value.recordCount,
    byKind: { project: value.projectCount, department: value.departmentCount },
    indicators: value.indicatorCount,
    budgetFen: String(value.budgetFen),
    budgetWan: fenToWan(value.budgetFen),
    executedFen: String(value.executedFen),
    executedWan: fenToWan(value.executedFen),
    fingerprint: value.fingerprint,
    fingerprintProcedure: PROCEDURE,
    fileName: value.fileName,
    fileSha256: value.fileSha256,
    indicatorsFileName: value.indicatorsFileName,
    importedBy: { id: value.importedBy, name: value.importedByName },
    importedAt: value.importedAt.toISOString(),
  };
}

function resultJson(result: ImportResult) {
  return { ...importJson(result.import), replaced: result.replaced ? importJson(result.replaced) : null };
}

/** A record as the list and detail pages show it. */
function submissionView(s: Submission) {
  return {
    ...s,
    kindLabel: KIND_LABELS[s.kind],
    budget: formatWan(s.budgetFen),
    executed: s.executedFen === null ? '—' : formatWan(s.executedFen),
    rate: formatRateBp(s.executionRateBp),
    score: formatScore(s.selfScore),
    warningList: warningKeysOf(s.warnings).map((key) => ({ key, ...WARNINGS[key] })),
    extraList: s.extra ? Object.entries(s.extra).map(([header, value]) => ({ header, value })) : [],
    href: `/rounds/${s.roundId}/population/records/${encodeURIComponent(s.code)}`,
  };
}

function summaryView(active: PopulationImport) {
  const s = active.summary;
  return {
    kinds: KINDS.map((kind) => ({
      kind,
      label: KIND_LABELS[kind],
      count: s.byKind[kind].count,
      budget: formatWan(s.byKind[kind].budgetFen),
      executed: formatWan(s.byKind[kind].executedFen),
    })),
    total: { count: active.recordCount, budget: formatWan(active.budgetFen), executed: formatWan(active.executedFen) },
    departments: s.byDepartment.map((d) => ({
      ...d,
      count: d.projectCount + d.departmentCount,
      budget: formatWan(d.budgetFen),
    })),
    grades: GRADES.map((g) => ({ grade: g, count: s.byGrade[g] })),
    warnings: WARNING_KEYS.map((key) => ({ key, label: WARNINGS[key].label, count: s.byWarning[key] })),
    withIndicators: s.withIndicators,
  };
}

const roundId = (req: Request) => idParam(req);

export function populationPageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canRead = access.requirePermission('population.read');
  const canImport = access.requirePermission('population.import');

  async function renderList(req: Request, res: Response, round: Round, extra: Record<string, unknown> = {}) {
    const { filter, page, pageSize } = parseListQuery(req.query as Record<string, unknown>);
    const result = await services.population.page(round, filter, { offset: (page - 1) * pageSize, limit: pageSize });
    const active = result.active;
    const pages = Math.max(1, Math.ceil(result.total / pageSize));
    const params = (changes: Record<string, string | number | undefined>) => {
      const merged: Record<string, string> = {};
      const base = {
        kind: filter.kind,
        department: filter.department,
        grade: filter.grade,
        warning: filter.warning,
        q: filter.q,
        sort: filter.sort === 'code' ? undefined : filter.sort,
        dir: filter.descending ? 'desc' : undefined,
        pageSize: pageSize === 50 ? undefined : pageSize,
        ...changes,
      };
      for (const [k, v] of Object.entries(base)) if (v !== undefined && v !== '') merged[k] = String(v);
      const text = new URLSearchParams(merged).toString();
      return text ? `?${text}` : '';
    };
    const sortLink = (key: SortKey) =>
      params({
        sort: key === 'code' ? undefined : key,
        dir: filter.sort === key && !filter.descending ? 'desc' : undefined,
        page: undefined,
      });
    res.render('population/list', {
      title: `自评记录：${round.title}`,
      round,
      active: active && { ...active, view: summaryView(active) },
      history: active || extra.problems ? await services.population.history(round.id) : [],
      items: result.items.map(submissionView),
      total: result.total,
      filter,
      filtered: Boolean(filter.kind || filter.department || filter.grade || filter.warning || filter.q),
      kinds: KINDS.map((k) => ({ value: k, label: KIND_LABELS[k], selected: filter.kind === k })),
      departments:
        active?.summary.byDepartment.map((d) => ({
          value: d.department,
          selected: filter.department === d.department,
        })) ?? [],
      grades: GRADES.map((g) => ({ value: g, selected: filter.grade === g })),
      warningOptions: WARNING_KEYS.map((k) => ({ value: k, label: WARNINGS[k].label, selected: filter.warning === k })),
      sortHref: Object.fromEntries((Object.keys(SORTS) as SortKey[]).map((key) => [key, sortLink(key)])),
      sortState: Object.fromEntries(
        (Object.keys(SORTS) as SortKey[]).map((key) => [
          key,
          filter.sort === key ? (filter.descending ? 'descending' : 'ascending') : 'none',
        ]),
      ),
      page,
      pages,
      pageSizes: PAGE_SIZES.map((n) => ({ value: n, selected: n === pageSize })),
      prevHref: page > 1 ? params({ page: page - 1 }) : null,
      nextHref: page < pages ? params({ page: page + 1 }) : null,
      firstHref: page > 1 ? params({ page: undefined }) : null,
      lastHref: page < pages ? params({ page: pages }) : null,
      exportHref: `/rounds/${round.id}/population/export.xlsx${params({ page: undefined, pageSize: undefined })}`,
      canImport: can(req.user!.role, 'population.import') && round.state === 'preparing',
      frozen: round.state !== 'preparing',
      imported: req.query.imported === '1',
      maxUploadMb: Math.round(MAX_UPLOAD_BYTES / 1024 / 1024),
      ...extra,
    });
  }

  router.get('/rounds/:id/population', canRead, async (req, res) => {
    await renderList(req, res, await services.rounds.withSelfScores(roundId(req), req.user!.role));
  });

  router.post('/rounds/:id/population', canImport, async (req, res) => {
    const round = await services.rounds.get(roundId(req));
    const form = await readMultipart(req, { fileFields: ['file', 'indicators'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) {
      res.status(422);
      return renderList(req, res, round, { uploadError: '请选择要导入的文件（.xlsx 或 .csv）' });
    }
    try {
      await services.population.import(auditContextOf(req), round.id, form.files.file, form.files.indicators);
    } catch (err) {
      if (!(err instanceof ImportRefused)) throw err;
      res.status(422);
      return renderList(req, res, round, {
        uploadError: err.message,
        problems: err.problems.map((p) => ({ ...p, text: describeProblem(p) })),
        problemCount: err.problemCount,
        problemsTruncated: err.problemCount > err.problems.length,
        refusedFile: form.files.file.name,
      });
    }
    res.redirect(303, `/rounds/${round.id}/population?imported=1`);
  });

  router.get('/rounds/:id/population/records/:code', canRead, async (req, res) => {
    const round = await services.rounds.withSelfScores(roundId(req), req.user!.role);
    const { submission, indicators, assessment } = await services.population.record(round.id, String(req.params.code));
    const weight = indicators.reduce((t, i) => t + i.weight, 0);
    const points = indicators.reduce((t, i) => t + i.score, 0);
    res.render('population/record', {
      title: `${submission.code} ${submission.name}`,
      round,
      record: submissionView(submission),
      assessment: {
        executionPoints: assessment.executionPoints === null ? '—' : formatScore(assessment.executionPoints),
        executionWeight: formatScore(assessment.executionWeight),
      },
      indicators: indicators.map((i) => ({
        ...i,
        weightText: formatScore(i.weight),
        scoreText: formatScore(i.score),
        full: i.score === i.weight,
        over: i.score > i.weight,
      })),
      indicatorTotals: { weight: formatScore(weight), points: formatScore(points) },
    });
  });

  router.get('/rounds/:id/population/export.xlsx', canRead, async (req, res) => {
    const round = await services.rounds.withSelfScores(roundId(req), req.user!.role);
    const { filter } = parseListQuery(req.query as Record<string, unknown>);
    await services.population.recordExport(
      auditContextOf(req),
      round.id,
      new URLSearchParams(req.query as Record<string, string>).toString(),
    );
    sendAs(res, `自评记录-${round.fiscalYear}-${round.id}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await writePopulationXlsx(res, round.title, services.population.each(round, filter));
  });

  let template: Promise<Buffer> | undefined;
  router.get('/population/template.xlsx', canRead, async (_req, res) => {
    template ??= populationTemplate();
    sendAs(res, '自评记录导入模板.xlsx');
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.send(await template);
  });

  return router;
}

export function populationApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.post('/rounds/:id/population', access.requirePermission('population.import'), async (req, res) => {
    const round = await services.rounds.get(roundId(req));
    const form = await readMultipart(req, { fileFields: ['file', 'indicators'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) throw badRequest('缺少文件：请用 multipart/form-data 的 file 字段上传 .xlsx 或 .csv');
    const result = await services.population.import(
      auditContextOf(req),
      round.id,
      form.files.file,
      form.files.indicators,
    );
    res.status(201).location(`/api/rounds/${round.id}/population`).json(resultJson(result));
  });

  router.get('/rounds/:id/population', access.requirePermission('population.read'), async (req, res) => {
    const round = await services.rounds.withSelfScores(roundId(req), req.user!.role);
    const { filter, page, pageSize } = parseListQuery(req.query as Record<string, unknown>);
    const result = await services.population.page(round, filter, { offset: (page - 1) * pageSize, limit: pageSize });
    res.json({ total: result.total, page, pageSize, items: result.items.map(submissionJson) });
  });

  router.get('/rounds/:id/population/records/:code', access.requirePermission('population.read'), async (req, res) => {
    const round = await services.rounds.withSelfScores(roundId(req), req.user!.role);
    const { submission, indicators, assessment } = await services.population.record(round.id, String(req.params.code));
    res.json({
      ...submissionJson(submission),
      executionWeight: assessment.executionWeight / 100,
      executionPoints: assessment.executionPoints === null ? null : assessment.executionPoints / 100,
      indicatorPoints: assessment.indicatorPoints === null ? null : assessment.indicatorPoints / 100,
      indicatorWeight: assessment.indicatorWeight === null ? null : assessment.indicatorWeight / 100,
      indicators: indicators.map(indicatorJson),
    });
  });

  return router;
}
