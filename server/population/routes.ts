import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { Request, Response, Router } from 'express';
import { formatScore, GRADES } from '../domain/grades';
import { KIND_LABELS, KINDS } from '../domain/population';
import { can } from '../domain/roles';
import { WARNING_KEYS, WARNINGS } from '../domain/warnings';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { badRequest } from '../http/errors';
import { NotFound } from '../errors';
import { readMultipart } from '../http/upload';
import { Round } from '../rounds/repository';
import { Services } from '../services';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { SORTS, SortKey } from './repository';
import { describeProblem, ImportRefused } from './service';
import { populationTemplate, writePopulationXlsx } from './spreadsheets';

import {
  describeFilter,
  PAGE_SIZES,
  indicatorJson,
  parseListQuery,
  resultJson,
  submissionJson,
  submissionView,
  summaryView,
} from './present';

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
    await writePopulationXlsx(res, round.title, services.population.each(round, filter), describeFilter(filter));
  });

  // The files earlier imports were made from, as they were uploaded (导入历史).
  router.get('/rounds/:id/population/imports/:importId/:part', canRead, async (req, res) => {
    const part = req.params.part === 'indicators' ? 'indicators' : req.params.part === 'file' ? 'file' : undefined;
    if (!part) throw new NotFound('没有这个文件');
    const file = await services.population.importFile(
      auditContextOf(req),
      roundId(req),
      idParam(req, 'importId'),
      part,
    );
    sendAs(res, file.name);
    res.type(file.mediaType);
    res.set('Content-Security-Policy', "default-src 'none'; sandbox");
    res.send(file.content);
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
