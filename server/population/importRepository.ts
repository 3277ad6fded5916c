import { Queryable } from '../data/database';
import { insertedId, toDate, toInt } from '../data/values';
import { DepartmentTotals, Kind, PopulationSummary } from '../domain/population';
import { bigintOf } from './repository';

/** The imports of a round's population: the active one, and the replaced ones kept with their files. */

export interface PopulationImport {
  id: number;
  roundId: number;
  status: 'active' | 'replaced';
  fileName: string;
  fileSha256: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  indicatorsFileName: string | null;
  indicatorsFileSha256: string | null;
  recordCount: number;
  projectCount: number;
  departmentCount: number;
  indicatorCount: number;
  budgetFen: bigint;
  executedFen: bigint;
  fingerprint: string;
  summary: PopulationSummary;
  importedBy: number;
  importedByName: string;
  importedAt: Date;
  replacedAt: Date | null;
}

type JsonSummary = Omit<PopulationSummary, 'byKind' | 'byDepartment'> & {
  byKind: Record<Kind, { count: number; budgetFen: string; executedFen: string }>;
  byDepartment: Array<Omit<DepartmentTotals, 'budgetFen'> & { budgetFen: string }>;
};

export function summaryToJson(summary: PopulationSummary): string {
  const json: JsonSummary = {
    ...summary,
    byKind: {
      project: {
        ...summary.byKind.project,
        budgetFen: String(summary.byKind.project.budgetFen),
        executedFen: String(summary.byKind.project.executedFen),
      },
      department: {
        ...summary.byKind.department,
        budgetFen: String(summary.byKind.department.budgetFen),
        executedFen: String(summary.byKind.department.executedFen),
      },
    },
    byDepartment: summary.byDepartment.map((d) => ({ ...d, budgetFen: String(d.budgetFen) })),
  };
  return JSON.stringify(json);
}

function summaryFromJson(text: string): PopulationSummary {
  const json = JSON.parse(text) as JsonSummary;
  const kind = (k: Kind) => ({
    count: json.byKind[k].count,
    budgetFen: BigInt(json.byKind[k].budgetFen),
    executedFen: BigInt(json.byKind[k].executedFen),
  });
  return {
    ...json,
    byKind: { project: kind('project'), department: kind('department') },
    byDepartment: json.byDepartment.map((d) => ({ ...d, budgetFen: BigInt(d.budgetFen) })),
  };
}

interface ImportRow {
  id: number;
  round_id: number;
  status: 'active' | 'replaced';
  file_name: string;
  file_sha256: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  indicators_file_name: string | null;
  indicators_file_sha256: string | null;
  record_count: unknown;
  project_count: unknown;
  department_count: unknown;
  indicator_count: unknown;
  budget_fen: unknown;
  executed_fen: unknown;
  fingerprint: string;
  summary: string;
  imported_by: number;
  imported_by_name: string;
  imported_at: unknown;
  replaced_at: unknown;
}

function toImport(row: ImportRow): PopulationImport {
  return {
    id: row.id,
    roundId: row.round_id,
    status: row.status,
    fileName: row.file_name,
    fileSha256: row.file_sha256,
    format: row.format,
    encoding: row.encoding,
    indicatorsFileName: row.indicators_file_name,
    indicatorsFileSha256: row.indicators_file_sha256,
    recordCount: toInt(row.record_count),
    projectCount: toInt(row.project_count),
    departmentCount: toInt(row.department_count),
    indicatorCount: toInt(row.indicator_count),
    budgetFen: bigintOf(row.budget_fen),
    executedFen: bigintOf(row.executed_fen),
    fingerprint: row.fingerprint,
    summary: summaryFromJson(row.summary),
    importedBy: row.imported_by,
    importedByName: row.imported_by_name,
    importedAt: toDate(row.imported_at),
    replacedAt: row.replaced_at === null || row.replaced_at === undefined ? null : toDate(row.replaced_at),
  };
}

function selectImports(db: Queryable) {
  return db('population_imports')
    .join('users', 'users.id', 'population_imports.imported_by')
    .select('population_imports.*', 'users.display_name as imported_by_name');
}

export async function findActiveImport(db: Queryable, roundId: number): Promise<PopulationImport | undefined> {
  const row = (await selectImports(db)
    .where({ 'population_imports.round_id': roundId, 'population_imports.status': 'active' })
    .first()) as ImportRow | undefined;
  return row && toImport(row);
}

/** The active import of every round that has one, for the round list. */
export async function activeImportsByRound(db: Queryable): Promise<Map<number, PopulationImport>> {
  const rows = (await selectImports(db).where('population_imports.status', 'active')) as ImportRow[];
  return new Map(rows.map((row) => [row.round_id, toImport(row)]));
}

export async function listImports(db: Queryable, roundId: number): Promise<PopulationImport[]> {
  const rows = (await selectImports(db)
    .where('population_imports.round_id', roundId)
    .orderBy('population_imports.id', 'desc')) as ImportRow[];
  return rows.map(toImport);
}

export type NewImport = Omit<PopulationImport, 'id' | 'status' | 'importedByName' | 'replacedAt'>;

export async function insertImport(db: Queryable, value: NewImport): Promise<number> {
  return insertedId(
    await db('population_imports')
      .insert({
        round_id: value.roundId,
        status: 'active',
        file_name: value.fileName,
        file_sha256: value.fileSha256,
        format: value.format,
        encoding: value.encoding,
        indicators_file_name: value.indicatorsFileName,
        indicators_file_sha256: value.indicatorsFileSha256,
        record_count: value.recordCount,
        project_count: value.projectCount,
        department_count: value.departmentCount,
        indicator_count: value.indicatorCount,
        budget_fen: String(value.budgetFen),
        executed_fen: String(value.executedFen),
        fingerprint: value.fingerprint,
        summary: summaryToJson(value.summary),
        imported_by: value.importedBy,
        imported_at: value.importedAt,
      })
      .returning('id'),
  );
}

/** Marks the round's active import replaced and removes its records; its files stay. */
export async function retirePopulation(db: Queryable, roundId: number, at: Date): Promise<void> {
  await db('indicators').where('round_id', roundId).delete();
  await db('submissions').where('round_id', roundId).delete();
  await db('population_imports')
    .where({ round_id: roundId, status: 'active' })
    .update({ status: 'replaced', replaced_at: at });
}

export async function updateImportSummary(db: Queryable, importId: number, summary: PopulationSummary): Promise<void> {
  await db('population_imports')
    .where('id', importId)
    .update({ summary: summaryToJson(summary) });
}
