import { Queryable } from '../data/database';
import { toInt } from '../data/values';
import { Kind } from '../domain/population';
import { canonicalOrder, PopulationRecord } from '../domain/sampling';

/**
 * The population as FUHE-DRAW-1 reads it (code, kind, budget, self-score in canonical order), kept
 * in memory per round and import. An import's records never change, so a copy is exact for as
 * long as that import is the round's; the import fills it, and any instance that misses it reads
 * it from the database.
 */
export class PopulationRecordsCache {
  private readonly entries = new Map<number, { importId: number; records: Promise<readonly PopulationRecord[]> }>();

  constructor(private readonly capacity = 3) {}

  get(db: Queryable, roundId: number, importId: number): Promise<readonly PopulationRecord[]> {
    const found = this.entries.get(roundId);
    if (found && found.importId === importId) return found.records;
    const records = load(db, roundId);
    this.set(roundId, importId, records);
    records.catch(() => this.entries.delete(roundId));
    return records;
  }

  put(roundId: number, importId: number, records: readonly PopulationRecord[]): void {
    this.set(roundId, importId, Promise.resolve(canonicalOrder(records)));
  }

  private set(roundId: number, importId: number, records: Promise<readonly PopulationRecord[]>): void {
    this.entries.delete(roundId);
    this.entries.set(roundId, { importId, records });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

async function load(db: Queryable, roundId: number): Promise<readonly PopulationRecord[]> {
  const rows = (await db('submissions').where('round_id', roundId).orderBy('code').select('code', 'kind', 'budget_fen', 'self_score')) as Array<Record<string, unknown>>;
  // The database's collation may not be UTF-16 order: canonicalOrder checks and sorts if needed.
  return canonicalOrder(rows.map((r) => ({ code: r.code as string, kind: r.kind as Kind, budgetFen: BigInt(r.budget_fen as string | number), selfScore: toInt(r.self_score) })));
}
