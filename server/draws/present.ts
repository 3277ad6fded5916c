import { fenToWan, formatWan } from '../domain/money';
import { KIND_LABELS, KINDS } from '../domain/population';
import { METHODS, seedKey, verificationText } from '../domain/sampling';
import { Draw, StoredPick } from './repository';

/** A draw as the API answers it, as its pages show it, and as the re-draw command reads it. */

export function drawJson(draw: Draw, picks: StoredPick[]) {
  return {
    id: draw.id,
    publicId: draw.publicId,
    publicUrl: `/p/draws/${draw.publicId}`,
    procedure: draw.procedure,
    status: draw.status,
    seed: draw.seed,
    seedGenerated: draw.seedGenerated,
    method: draw.method,
    fingerprint: draw.fingerprint,
    quota: draw.quota,
    initialQuota: draw.initialQuota,
    population: draw.population,
    rules: {
      mandatory: {
        minBudgetFen: draw.mandatoryMinBudgetFen === null ? null : String(draw.mandatoryMinBudgetFen),
        minBudgetWan: draw.mandatoryMinBudgetFen === null ? null : fenToWan(draw.mandatoryMinBudgetFen),
        codes: draw.mandatoryCodes,
        note: draw.mandatoryNote,
      },
      exclude: draw.excludeCodes,
      excludeNote: draw.excludeNote,
    },
    strata: draw.strata,
    createdBy: draw.createdByName,
    createdAt: draw.createdAt.toISOString(),
    cancelledAt: draw.cancelledAt?.toISOString() ?? null,
    cancelReason: draw.cancelReason,
    expansions: draw.expansions.map((e) => ({ quota: e.quota, by: e.createdByName, at: e.createdAt.toISOString() })),
    items: picks.map((p) => ({ code: p.code, kind: p.kind, reason: p.reason, rank: p.rank, u: p.u })),
  };
}

/** The command a citizen runs, with this draw's parameters. */
export function verifyCommand(draw: Draw): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const parts = [
    'node verify-draw.js --population population.tsv',
    `--seed ${quote(draw.seed)}`,
    `--method ${draw.method}`,
    `--quota ${draw.quota.project},${draw.quota.department}`,
  ];
  if (draw.expansions.length)
    parts.push(`--initial-quota ${draw.initialQuota.project},${draw.initialQuota.department}`);
  if (draw.mandatoryMinBudgetFen !== null) parts.push(`--mandatory-min-budget-fen ${draw.mandatoryMinBudgetFen}`);
  if (draw.mandatoryCodes.length) parts.push(`--mandatory ${quote(draw.mandatoryCodes.join(','))}`);
  if (draw.excludeCodes.length) parts.push('--exclude-file exclude.txt');
  return parts.join(' \\\n    ');
}

export function expectedOutput(draw: Draw, picks: StoredPick[]): string {
  return verificationText(
    {
      seed: draw.seed,
      method: draw.method,
      quota: draw.quota,
      initialQuota: draw.expansions.length ? draw.initialQuota : draw.quota,
      mandatoryMinBudgetFen: draw.mandatoryMinBudgetFen,
      mandatoryCodes: draw.mandatoryCodes,
      excludeCodes: draw.excludeCodes,
    },
    draw.fingerprint,
    draw.population,
    picks,
  );
}

export function drawView(draw: Draw) {
  return {
    ...draw,
    methodLabel: METHODS[draw.method],
    seedKey: seedKey(draw.seed),
    minBudget: draw.mandatoryMinBudgetFen === null ? null : formatWan(draw.mandatoryMinBudgetFen),
    publicUrl: `/p/draws/${draw.publicId}`,
    strataList: KINDS.map((kind) => ({
      kind,
      label: KIND_LABELS[kind],
      ...draw.strata[kind],
      quota: draw.quota[kind],
      population: draw.population[kind],
    })),
    verifyCommand: verifyCommand(draw),
  };
}
