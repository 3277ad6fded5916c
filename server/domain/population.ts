/**
 * The population of a round: one self-evaluation (自评记录) per row of `自评汇总`, and its
 * performance indicators from `绩效指标` (spec/import-format.md §1–2). This module turns sheets of
 * cells into typed records and lists every problem at once, by spreadsheet row and column.
 */

import { Cell, cellError, cellText, isEmptyCell, parseAmountCell, parseDateCell, parsePointsCell } from './cells';
import { GRADES, Grade, isGrade } from './grades';
import { WARNING_KEYS, WarningKey, warningKeysOf } from './warnings';

export const KINDS = ['project', 'department'] as const;
export type Kind = (typeof KINDS)[number];
export const KIND_LABELS: Record<Kind, string> = { project: '项目支出', department: '部门整体支出' };

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

// A Map, so that a cell reading "constructor" or "__proto__" is no kind at all.
const KIND_WORDS = new Map<string, Kind>([
  ['项目支出', 'project'],
  ['项目', 'project'],
  ['project', 'project'],
  ['部门整体支出', 'department'],
  ['整体支出', 'department'],
  ['部门整体', 'department'],
  ['department', 'department'],
]);

export function parseKind(text: string): Kind | undefined {
  return KIND_WORDS.get(text) ?? KIND_WORDS.get(text.normalize('NFKC').replace(/\s+/g, '').toLowerCase());
}

/** One sheet as read from a file: rows keep the spreadsheet's own numbers (header = row 1). */
export interface Sheet {
  name: string;
  rows: Array<{ number: number; cells: Cell[] }>;
}

export interface ImportProblem {
  sheet: string;
  /** Spreadsheet row; null for a problem with the file or sheet as a whole. */
  row: number | null;
  column: string | null;
  message: string;
}

export const MAX_ROWS = 1_000_000;
/** More than this many problems are counted but not listed: nobody reads the ten-thousandth. */
export const MAX_LISTED_PROBLEMS = 2000;

interface ColumnSpec<K extends string> {
  key: K;
  label: string;
  aliases: string[];
  required: boolean;
  maxLength?: number;
}

const headerKey = (text: string) => text.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

export const SUBMISSION_COLUMNS: Array<ColumnSpec<SubmissionField>> = [
  { key: 'kind', label: '类型', aliases: ['kind'], required: true },
  { key: 'code', label: '编码', aliases: ['项目编码', '单位编码', 'code'], required: true, maxLength: 64 },
  { key: 'department', label: '主管部门', aliases: ['department'], required: true, maxLength: 200 },
  { key: 'unit', label: '预算单位', aliases: ['unit'], required: true, maxLength: 200 },
  { key: 'name', label: '项目名称', aliases: ['name'], required: false, maxLength: 300 },
  { key: 'fundingSource', label: '资金性质', aliases: ['fundingSource'], required: false, maxLength: 100 },
  { key: 'budgetWan', label: '预算数（万元）', aliases: ['budgetWan'], required: true },
  { key: 'executedWan', label: '执行数（万元）', aliases: ['executedWan'], required: false },
  { key: 'selfScore', label: '自评得分', aliases: ['selfScore'], required: true },
  { key: 'selfGrade', label: '自评等级', aliases: ['selfGrade'], required: false },
  { key: 'submittedOn', label: '报送日期', aliases: ['submittedOn'], required: false },
  { key: 'contact', label: '联系人', aliases: ['contact'], required: false, maxLength: 100 },
  { key: 'note', label: '备注', aliases: ['note'], required: false, maxLength: 2000 },
];

export const INDICATOR_COLUMNS: Array<ColumnSpec<IndicatorField>> = [
  { key: 'code', label: '编码', aliases: ['项目编码', '单位编码', 'code'], required: true, maxLength: 64 },
  { key: 'level1', label: '一级指标', aliases: ['level1'], required: true, maxLength: 100 },
  { key: 'level2', label: '二级指标', aliases: ['level2'], required: false, maxLength: 100 },
  { key: 'level3', label: '三级指标', aliases: ['level3'], required: true, maxLength: 300 },
  { key: 'nature', label: '指标性质', aliases: ['nature'], required: false, maxLength: 20 },
  { key: 'target', label: '指标值', aliases: ['target'], required: false, maxLength: 200 },
  { key: 'unit', label: '度量单位', aliases: ['unit'], required: false, maxLength: 50 },
  { key: 'weight', label: '分值', aliases: ['权重', 'weight'], required: true },
  { key: 'actual', label: '完成值', aliases: ['actual'], required: false, maxLength: 200 },
  { key: 'score', label: '自评得分', aliases: ['得分', 'score'], required: true },
];

type SubmissionField =
  | 'kind'
  | 'code'
  | 'department'
  | 'unit'
  | 'name'
  | 'fundingSource'
  | 'budgetWan'
  | 'executedWan'
  | 'selfScore'
  | 'selfGrade'
  | 'submittedOn'
  | 'contact'
  | 'note';
type IndicatorField =
  'code' | 'level1' | 'level2' | 'level3' | 'nature' | 'target' | 'unit' | 'weight' | 'actual' | 'score';

export interface SubmissionInput {
  rowNumber: number;
  kind: Kind;
  code: string;
  department: string;
  unit: string;
  name: string;
  fundingSource: string | null;
  budgetFen: bigint;
  executedFen: bigint | null;
  /** Hundredths of a point. */
  selfScore: number;
  selfGrade: Grade | null;
  submittedOn: string | null;
  contact: string | null;
  note: string | null;
  /** Columns the format does not define, by their header, kept as written. */
  extra: Record<string, string> | null;
}

export interface IndicatorInput {
  rowNumber: number;
  code: string;
  position: number;
  level1: string;
  level2: string | null;
  level3: string;
  nature: string | null;
  target: string | null;
  unit: string | null;
  /** Hundredths of a point. */
  weight: number;
  actual: string | null;
  score: number;
}

interface HeaderMap<K extends string> {
  headerRow: number;
  index: Partial<Record<K, number>>;
  extra: Array<{ index: number; header: string }>;
}

/**
 * Finds the header row (row 1, or the first of the first ten rows that names the required
 * columns, since many exports put a title above the table) and where each column is.
 */
function mapHeaders<K extends string>(
  sheet: Sheet,
  columns: Array<ColumnSpec<K>>,
  problems: ImportProblem[],
): HeaderMap<K> | undefined {
  const byName = new Map<string, ColumnSpec<K>>();
  for (const column of columns)
    for (const name of [column.label, ...column.aliases]) byName.set(headerKey(name), column);
  const required = columns.filter((c) => c.required);
  const candidates = sheet.rows.slice(0, 10);
  if (candidates.length === 0) {
    problems.push({ sheet: sheet.name, row: null, column: null, message: '文件或工作表是空的，没有表头和数据' });
    return undefined;
  }
  const scored = candidates.map((row) => {
    const keys = new Set(row.cells.map((cell) => byName.get(headerKey(cellText(cell)))?.key).filter(Boolean));
    return { row, found: required.filter((c) => keys.has(c.key)).length };
  });
  const best = scored.find((s) => s.found === required.length) ?? scored.reduce((a, b) => (b.found > a.found ? b : a));
  const header = best.row;
  const index: Partial<Record<K, number>> = {};
  const extra: Array<{ index: number; header: string }> = [];
  const seenExtra = new Set<string>();
  header.cells.forEach((cell, i) => {
    const text = cellText(cell);
    if (text === '') return;
    const column = byName.get(headerKey(text));
    if (!column) {
      if (seenExtra.has(text))
        problems.push({ sheet: sheet.name, row: header.number, column: text, message: `表头"${text}"出现了不止一次` });
      seenExtra.add(text);
      extra.push({ index: i, header: text });
    } else if (index[column.key] !== undefined) {
      problems.push({
        sheet: sheet.name,
        row: header.number,
        column: column.label,
        message: `表头"${column.label}"出现了不止一次`,
      });
    } else {
      index[column.key] = i;
    }
  });
  const missing = required.filter((c) => index[c.key] === undefined);
  if (missing.length > 0) {
    problems.push({
      sheet: sheet.name,
      row: header.number,
      column: missing.map((c) => c.label).join('、'),
      message: `缺少必填列：${missing.map((c) => `"${c.label}"`).join('、')}（表头应在第1行）`,
    });
    return undefined;
  }
  return { headerRow: header.number, index, extra };
}

/** Collects problems, counting all of them but keeping only the first MAX_LISTED_PROBLEMS. */
export class ProblemList {
  readonly listed: ImportProblem[] = [];
  count = 0;
  add(problem: ImportProblem): void {
    this.count += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }
  addAll(problems: ImportProblem[]): void {
    for (const p of problems) this.add(p);
  }
}

class RowReader<K extends string> {
  private readonly spec: Map<K, ColumnSpec<K>>;

  constructor(
    private readonly sheet: string,
    columns: Array<ColumnSpec<K>>,
    private readonly map: HeaderMap<K>,
    private readonly problems: ProblemList,
  ) {
    this.spec = new Map(columns.map((c) => [c.key, c]));
  }

  ok = true;
  row: { number: number; cells: Cell[] } = { number: 0, cells: [] };

  /** The reader moves from row to row rather than one reader per row: 100,000 rows add up. */
  next(row: { number: number; cells: Cell[] }): this {
    this.row = row;
    this.ok = true;
    return this;
  }

  problem(key: K, message: string): void {
    this.ok = false;
    this.problems.add({ sheet: this.sheet, row: this.row.number, column: this.label(key), message });
  }

  label(key: K): string {
    return this.spec.get(key)!.label;
  }

  cell(key: K): Cell {
    const i = this.map.index[key];
    return i === undefined ? null : (this.row.cells[i] ?? null);
  }

  /** Trimmed text, or null when empty; too long or an error cell is a problem. */
  text(key: K, required = false): string | null {
    const cell = this.cell(key);
    const error = cellError(cell);
    if (error) {
      this.problem(key, error);
      return null;
    }
    const text = cellText(cell);
    if (text === '') {
      if (required) this.problem(key, '必填，不能为空');
      return null;
    }
    const max = this.spec.get(key)!.maxLength;
    // Code points, not UTF-16 units; counted only when the length could be over.
    if (max && text.length > max && [...text].length > max) {
      this.problem(key, `超过${max}个字`);
      return null;
    }
    return text;
  }

  /** Columns the import does not know are kept with the record, each up to MAX_EXTRA_LENGTH characters. */
  extra(): Record<string, string> | null {
    const values: Record<string, string> = {};
    let any = false;
    for (const { index, header } of this.map.extra) {
      const text = cellText(this.row.cells[index] ?? null);
      if (text.length > MAX_EXTRA_LENGTH && [...text].length > MAX_EXTRA_LENGTH) {
        this.ok = false;
        this.problems.add({
          sheet: this.sheet,
          row: this.row.number,
          column: header,
          message: `超过${MAX_EXTRA_LENGTH}个字`,
        });
      } else if (text !== '') {
        values[header] = text;
        any = true;
      }
    }
    return any ? values : null;
  }
}

const MAX_EXTRA_LENGTH = 2000;

/** Codes are shown in URLs, written to the draw's verification file one per line, and sorted. */
function checkCode(code: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(code)) return '编码不能包含制表符、换行等控制字符';
  if (/^[=+\-@]/.test(code)) return `编码不能以 = + - @ 开头"${code}"（可能是公式）`;
  return undefined;
}

function dataRows(sheet: Sheet, headerRow: number) {
  return sheet.rows.filter((row) => row.number > headerRow && !row.cells.every(isEmptyCell));
}

export interface ParsedPopulation {
  submissions: SubmissionInput[];
  indicators: IndicatorInput[];
  problems: ImportProblem[];
  problemCount: number;
}

/**
 * Reads the population sheet and, if given, the indicators sheet. Every row is checked and every
 * problem listed (up to MAX_LISTED_PROBLEMS, all counted); the records are usable only when
 * `problemCount` is 0.
 */
export function parsePopulation(population: Sheet, indicatorSheet?: Sheet): ParsedPopulation {
  const problems = new ProblemList();
  const seenCodes = new Set<string>();
  const read = indicatorSheet ? readIndicators(indicatorSheet, problems) : undefined;
  const submissions = [...readSubmissions(population, problems, seenCodes)];
  if (read) checkIndicatorCodes(indicatorSheet!.name, read, seenCodes, problems);
  return {
    submissions,
    indicators: read?.indicators ?? [],
    problems: sortProblems(problems.listed, [population.name, indicatorSheet?.name ?? '']),
    problemCount: problems.count,
  };
}

/** Problems in reading order: sheet by sheet, row by row, file-level problems of a sheet first. */
export function sortProblems(problems: ImportProblem[], sheets: string[]): ImportProblem[] {
  const sheetRank = (name: string) => (sheets.indexOf(name) === -1 ? sheets.length : sheets.indexOf(name));
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => sheetRank(a.p.sheet) - sheetRank(b.p.sheet) || (a.p.row ?? 0) - (b.p.row ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * The population rows, one valid record at a time, so that a caller can store records while
 * the rest are still being read. Every problem goes to `problems`; `seenCodes` collects the codes
 * of all rows, valid or not (for the indicators' check).
 */
export function* readSubmissions(
  sheet: Sheet,
  problems: ProblemList,
  seenCodes: Set<string>,
): Generator<SubmissionInput> {
  const headerProblems: ImportProblem[] = [];
  const map = mapHeaders(sheet, SUBMISSION_COLUMNS, headerProblems);
  problems.addAll(headerProblems);
  if (!map) return;
  const rows = dataRows(sheet, map.headerRow);
  if (rows.length === 0) {
    problems.add({ sheet: sheet.name, row: null, column: null, message: '没有数据行：表头下面至少要有一条自评记录' });
    return;
  }
  if (rows.length > MAX_ROWS) {
    problems.add({
      sheet: sheet.name,
      row: null,
      column: null,
      message: `超过${MAX_ROWS.toLocaleString('en-US')}行，请分批整理后再导入`,
    });
    return;
  }
  const firstRowOfCode = new Map<string, number>();
  const reader = new RowReader(sheet.name, SUBMISSION_COLUMNS, map, problems);
  for (const row of rows) {
    const r = reader.next(row);

    const kindText = r.text('kind', true);
    const kind = kindText === null ? undefined : parseKind(kindText);
    if (kindText !== null && !kind) r.problem('kind', `类型"${kindText}"不正确，应为"项目支出"或"部门整体支出"`);

    const code = r.text('code', true);
    if (code !== null) {
      seenCodes.add(code);
      const codeProblem = checkCode(code);
      const first = firstRowOfCode.get(code);
      if (codeProblem) r.problem('code', codeProblem);
      else if (first !== undefined) r.problem('code', `编码"${code}"重复，与第${first}行相同`);
      else firstRowOfCode.set(code, row.number);
    }

    const department = r.text('department', true);
    const unit = r.text('unit', true);
    let name = r.text('name');
    if (name === null && kind === 'project') r.problem('name', '项目支出必须填写项目名称');
    if (name === null && kind === 'department' && unit !== null) name = `${unit}部门整体支出`;

    const budget = parseAmountCell(r.cell('budgetWan'), '预算数');
    if (!budget.ok) r.problem('budgetWan', budget.message);
    const executedCell = r.cell('executedWan');
    const executed = isEmptyCell(executedCell) ? undefined : parseAmountCell(executedCell, '执行数');
    if (executed && !executed.ok) r.problem('executedWan', executed.message);

    const score = parsePointsCell(r.cell('selfScore'), '自评得分', 10000);
    if (!score.ok) r.problem('selfScore', score.message);

    const gradeText = r.text('selfGrade');
    const selfGrade =
      gradeText === null
        ? null
        : isGrade(gradeText)
          ? gradeText
          : (GRADES.find((g) => g === gradeText.normalize('NFKC')) ?? undefined);
    if (selfGrade === undefined) r.problem('selfGrade', `自评等级"${gradeText}"不正确，应为优、良、中或差`);

    const dateCell = r.cell('submittedOn');
    const submitted = isEmptyCell(dateCell) ? undefined : parseDateCell(dateCell);
    if (submitted && !submitted.ok) r.problem('submittedOn', submitted.message);

    const fundingSource = r.text('fundingSource');
    const contact = r.text('contact');
    const note = r.text('note');

    if (
      !r.ok ||
      !kind ||
      code === null ||
      department === null ||
      unit === null ||
      name === null ||
      !budget.ok ||
      !score.ok
    )
      continue;
    if ((executed && !executed.ok) || selfGrade === undefined || (submitted && !submitted.ok)) continue;
    yield {
      rowNumber: row.number,
      kind,
      code,
      department,
      unit,
      name,
      fundingSource,
      budgetFen: budget.value,
      executedFen: executed ? executed.value : null,
      selfScore: score.value,
      selfGrade,
      submittedOn: submitted ? submitted.value : null,
      contact,
      note,
      extra: r.extra(),
    };
  }
}

export interface ReadIndicators {
  indicators: IndicatorInput[];
  /** The code of every row that has one, valid or not, for the check against the population. */
  codeRows: Array<{ code: string; row: number }>;
}

/** The indicator rows; whether each code exists in the population is checked afterwards. */
export function readIndicators(sheet: Sheet, problems: ProblemList): ReadIndicators {
  const codeRows: ReadIndicators['codeRows'] = [];
  const headerProblems: ImportProblem[] = [];
  const map = mapHeaders(sheet, INDICATOR_COLUMNS, headerProblems);
  problems.addAll(headerProblems);
  if (!map) return { indicators: [], codeRows };
  const rows = dataRows(sheet, map.headerRow);
  if (rows.length > MAX_ROWS) {
    problems.add({ sheet: sheet.name, row: null, column: null, message: `超过${MAX_ROWS.toLocaleString('en-US')}行` });
    return { indicators: [], codeRows };
  }
  const positions = new Map<string, number>();
  const indicators: IndicatorInput[] = [];
  const reader = new RowReader(sheet.name, INDICATOR_COLUMNS, map, problems);
  for (const row of rows) {
    const r = reader.next(row);
    const code = r.text('code', true);
    if (code !== null) codeRows.push({ code, row: row.number });
    const level1 = r.text('level1', true);
    const level2 = r.text('level2');
    const level3 = r.text('level3', true);
    const nature = r.text('nature');
    const target = r.text('target');
    const unit = r.text('unit');
    const actual = r.text('actual');
    const weight = parsePointsCell(r.cell('weight'), '分值', 10000);
    if (!weight.ok) r.problem('weight', weight.message);
    else if (weight.value === 0) r.problem('weight', '分值必须大于0');
    // A score above its weight breaks the format's rule, but it is what the unit submitted and
    // exactly what review must see: it is imported and flagged (WARNINGS.overWeight), not refused.
    const score = parsePointsCell(r.cell('score'), '自评得分', 10000);
    if (!score.ok) r.problem('score', score.message);
    if (!r.ok || code === null || level1 === null || level3 === null || !weight.ok || !score.ok) continue;
    const position = (positions.get(code) ?? 0) + 1;
    positions.set(code, position);
    indicators.push({
      rowNumber: row.number,
      code,
      position,
      level1,
      level2,
      level3,
      nature,
      target,
      unit,
      weight: weight.value,
      actual,
      score: score.value,
    });
  }
  return { indicators, codeRows };
}

/**
 * Every indicator row must name a population row. `known` holds the codes of all population
 * rows, valid or not, so that one bad population row is not reported again for each indicator.
 */
export function checkIndicatorCodes(
  sheetName: string,
  read: ReadIndicators,
  known: Set<string>,
  problems: ProblemList,
): void {
  for (const { code, row } of read.codeRows) {
    if (!known.has(code))
      problems.add({ sheet: sheetName, row, column: '编码', message: `编码"${code}"在自评汇总中不存在` });
  }
}

export interface KindTotals {
  count: number;
  budgetFen: bigint;
  executedFen: bigint;
}

export interface DepartmentTotals {
  department: string;
  projectCount: number;
  departmentCount: number;
  budgetFen: bigint;
}

export interface PopulationSummary {
  byKind: Record<Kind, KindTotals>;
  /** By budget, largest first. */
  byDepartment: DepartmentTotals[];
  /** By the grade the self-score earns. */
  byGrade: Record<Grade, number>;
  byWarning: Record<WarningKey, number>;
  withIndicators: number;
}

/** Totals of a population by kind, department, grade and warning sign. */
export function summarisePopulation(
  records: Iterable<{
    input: { kind: Kind; department: string; budgetFen: bigint; executedFen: bigint | null };
    assessment: { scoreGrade: Grade; warnings: number };
    indicatorCount: number;
  }>,
): PopulationSummary {
  const byKind: Record<Kind, KindTotals> = {
    project: { count: 0, budgetFen: 0n, executedFen: 0n },
    department: { count: 0, budgetFen: 0n, executedFen: 0n },
  };
  const departments = new Map<string, DepartmentTotals>();
  const byGrade = Object.fromEntries(GRADES.map((g) => [g, 0])) as Record<Grade, number>;
  const byWarning = Object.fromEntries(WARNING_KEYS.map((k) => [k, 0])) as Record<WarningKey, number>;
  let withIndicators = 0;
  for (const { input: r, assessment, indicatorCount } of records) {
    const kind = byKind[r.kind];
    kind.count += 1;
    kind.budgetFen += r.budgetFen;
    if (r.executedFen !== null) kind.executedFen += r.executedFen;
    let d = departments.get(r.department);
    if (!d)
      departments.set(
        r.department,
        (d = { department: r.department, projectCount: 0, departmentCount: 0, budgetFen: 0n }),
      );
    if (r.kind === 'project') d.projectCount += 1;
    else d.departmentCount += 1;
    d.budgetFen += r.budgetFen;
    byGrade[assessment.scoreGrade] += 1;
    if (assessment.warnings !== 0) for (const key of warningKeysOf(assessment.warnings)) byWarning[key] += 1;
    if (indicatorCount > 0) withIndicators += 1;
  }
  const byDepartment = [...departments.values()].sort((a, b) =>
    a.budgetFen === b.budgetFen ? (a.department < b.department ? -1 : 1) : a.budgetFen > b.budgetFen ? -1 : 1,
  );
  return { byKind, byDepartment, byGrade, byWarning, withIndicators };
}
