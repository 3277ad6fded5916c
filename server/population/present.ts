import { trimmed } from '../http/input';
import { formatScore, GRADES, isGrade } from '../domain/grades';
import { fenToWan, formatWan } from '../domain/money';
import { isKind, KIND_LABELS, KINDS } from '../domain/population';
import { PROCEDURE } from '../domain/sampling';
import { formatRateBp, isWarningKey, WARNING_KEYS, WARNINGS, warningKeysOf } from '../domain/warnings';
import { Invalid } from '../errors';
import { characterCount, FieldError, TEXT_LIMITS } from '../domain/text';
import { Indicator, PopulationQuery, SORTS, SortKey, Submission } from './repository';
import { PopulationImport } from './importRepository';
import { ImportResult } from './service';

/** The population as the list reads its query, and as the API answers and the pages show it. */

/** Page sizes the list offers; the API takes any from 1 to MAX_PAGE_SIZE. */
export const PAGE_SIZES = [20, 50, 100, 200];
export const MAX_PAGE_SIZE = 500;

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
    const value = trimmed(query[name]);
    if (value === '') return undefined;
    if (accepts(value)) return value;
    errors.push({ field: name, message: `${label}"${value.slice(0, 50)}"不存在` });
    return undefined;
  };
  const textOf = (name: string, label: string, max: number): string | undefined => {
    const value = trimmed(query[name]);
    if (characterCount(value) > max) errors.push({ field: name, message: `${label}不能超过${max}字` });
    return value || undefined;
  };
  const wholeOf = (name: string, label: string, fallback: number, max: number): number => {
    const value = trimmed(query[name]);
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

/** The filters and order of a list in words, for the notes of what was exported from it. */
export function describeFilter(filter: PopulationQuery): string[] {
  const parts: string[] = [];
  if (filter.kind) parts.push(`类型：${KIND_LABELS[filter.kind]}`);
  if (filter.department) parts.push(`主管部门：${filter.department}`);
  if (filter.grade) parts.push(`得分等级：${filter.grade}`);
  if (filter.warning) parts.push(`警示信号：${WARNINGS[filter.warning].label}`);
  if (filter.q) parts.push(`搜索：${filter.q}`);
  if (filter.sort !== 'code' || filter.descending)
    parts.push(`排序：按${SORTS[filter.sort].label}${filter.descending ? '从大到小' : '从小到大'}`);
  return parts;
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

export function indicatorJson(i: Indicator) {
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

export function resultJson(result: ImportResult) {
  return { ...importJson(result.import), replaced: result.replaced ? importJson(result.replaced) : null };
}

/** A record as the list and detail pages show it. */
export function submissionView(s: Submission) {
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

export function summaryView(active: PopulationImport) {
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
    warnings: WARNING_KEYS.map((key) => ({ key, label: WARNINGS[key].label, count: s.byWarning[key] ?? 0 })),
    withIndicators: s.withIndicators,
  };
}
