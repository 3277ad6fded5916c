import { drawSample, DrawInput, PopulationRecord, seedKey, uniforms } from '../../server/domain/sampling';

const VECTOR: PopulationRecord[] = [
  { code: 'P-003', kind: 'project', budgetFen: 1200000000n, selfScore: 9500 },
  { code: 'P-001', kind: 'project', budgetFen: 54000000n, selfScore: 9800 },
  { code: 'D-001', kind: 'department', budgetFen: 4525800000n, selfScore: 9900 },
  { code: 'P-002', kind: 'project', budgetFen: 0n, selfScore: 8800 },
  { code: 'D-002', kind: 'department', budgetFen: 91000000n, selfScore: 9100 },
];
const SEED = '福彩3D-2024347-5-1-8';
const codes = (input: Partial<DrawInput>, population = VECTOR, previous?: DrawInput['quota']) =>
  drawSample(
    population,
    { seed: SEED, method: 'srs', quota: { project: 2, department: 1 }, ...input },
    previous,
  ).picks.map((p) => `${p.code}:${p.reason}:${p.rank}`);

describe('FUHE-DRAW-1 reference vector (spec/sampling.md)', () => {
  it('K and the uniforms in canonical order', () => {
    expect(seedKey(SEED)).toBe('fe27c9b5d8804b6cbf79929ad8dce0a5ae3e0766d7f4745e375aaa1f620e09a7');
    expect(Array.from(uniforms(5, SEED))).toEqual([
      0.4725065874665091, 0.028217414172646005, 0.9768747676608791, 0.7004669893177615, 0.28550911708075355,
    ]);
  });
  it('srs: P-003, P-002 and D-002', () => {
    expect(codes({ method: 'srs' })).toEqual(['P-003:random:1', 'P-002:random:2', 'D-002:random:1']);
  });
  it('pps: P-001, P-003 and D-001', () => {
    expect(codes({ method: 'pps' })).toEqual(['P-001:random:1', 'P-003:random:2', 'D-001:random:1']);
  });
  it('records the fingerprint, stratum sizes and every pick’s u', () => {
    const result = drawSample(VECTOR, { seed: SEED, method: 'srs', quota: { project: 2, department: 1 } });
    expect(result.fingerprint).toBe('90ad0199d403e8a084fd10616570cd69b208ae2dbd22e28d25f09974cc3cbd72');
    expect(result.strata.project).toMatchObject({ size: 3, eligible: 3, quota: 2, taken: 2, short: false });
    expect(result.picks[0].u).toBe(0.28550911708075355);
  });
});

describe('the rules, one by one', () => {
  it('row order plays no part', () => {
    expect(codes({ method: 'pps' }, [...VECTOR].reverse())).toEqual(codes({ method: 'pps' }));
  });
  it('every record consumes one value, whatever its kind and the rules', () => {
    // Excluding a department record changes nothing for the projects' values.
    const u = (exclude: string[]) =>
      drawSample(VECTOR, { seed: SEED, method: 'srs', quota: { project: 3, department: 1 }, excludeCodes: exclude })
        .picks.filter((p) => p.kind === 'project')
        .map((p) => p.u);
    expect(u(['D-001', 'D-002'])).toEqual(u([]));
  });
  it('mandatory records come first, in priority order, then random ones up to the quota', () => {
    expect(codes({ mandatoryCodes: ['P-001'] })).toEqual(['P-001:mandatory:1', 'P-003:random:2', 'D-002:random:1']);
    // Budget at or above 1,200 万元 (1,200,000,000 fen).
    expect(codes({ mandatoryMinBudgetFen: 1200000000n })).toEqual([
      'P-003:mandatory:1',
      'P-002:random:2',
      'D-001:mandatory:1',
    ]);
  });
  it('mandatory records beyond the quota are all taken and no random ones', () => {
    const result = drawSample(VECTOR, {
      seed: SEED,
      method: 'srs',
      quota: { project: 1, department: 1 },
      mandatoryCodes: ['P-001', 'P-002'],
    });
    expect(result.picks.filter((p) => p.kind === 'project').map((p) => `${p.code}:${p.reason}`)).toEqual([
      'P-002:mandatory',
      'P-001:mandatory',
    ]);
    expect(result.strata.project.mandatoryFilled).toBe(true);
  });
  it('excluded records are never drawn, even when mandatory', () => {
    expect(codes({ excludeCodes: ['P-003'], mandatoryCodes: ['P-003'] })).toEqual([
      'P-002:random:1',
      'P-001:random:2',
      'D-002:random:1',
    ]);
  });
  it('a stratum with fewer eligible records than its quota gives all of them and says so', () => {
    const result = drawSample(VECTOR, { seed: SEED, method: 'srs', quota: { project: 5, department: 1 } });
    expect(result.strata.project).toMatchObject({ taken: 3, short: true });
  });
  it('pps: zero budgets come after all others, in canonical order', () => {
    const zeros: PopulationRecord[] = [
      { code: 'Z-2', kind: 'project', budgetFen: 0n, selfScore: 9000 },
      { code: 'Z-1', kind: 'project', budgetFen: 0n, selfScore: 9000 },
      { code: 'A-1', kind: 'project', budgetFen: 1n, selfScore: 9000 },
    ];
    expect(codes({ method: 'pps', quota: { project: 3, department: 0 } }, zeros)).toEqual([
      'A-1:random:1',
      'Z-1:random:2',
      'Z-2:random:3',
    ]);
  });
  it('ties are broken by canonical order', () => {
    const same: PopulationRecord[] = [
      { code: 'B', kind: 'project', budgetFen: 5n, selfScore: 9000 },
      { code: 'A', kind: 'project', budgetFen: 5n, selfScore: 9000 },
    ];
    // With one value per record there are no ties in u; a zero-budget tie is the case that occurs.
    expect(
      codes(
        { method: 'pps', quota: { project: 2, department: 0 } },
        same.map((r) => ({ ...r, budgetFen: 0n })),
      ),
    ).toEqual(['A:random:1', 'B:random:2']);
  });
  it('expansion continues the order: earlier picks and ranks never change, and equals one larger draw', () => {
    const population: PopulationRecord[] = Array.from({ length: 40 }, (_, i) => ({
      code: `P${String(i).padStart(3, '0')}`,
      kind: 'project' as const,
      budgetFen: BigInt((i % 7) * 1000 + 1),
      selfScore: 9000,
    }));
    for (const method of ['srs', 'pps'] as const) {
      const small = drawSample(population, {
        seed: 's',
        method,
        quota: { project: 5, department: 0 },
        mandatoryCodes: ['P039'],
      }).picks;
      const expanded = drawSample(
        population,
        { seed: 's', method, quota: { project: 12, department: 0 }, mandatoryCodes: ['P039'] },
        { project: 5, department: 0 },
      ).picks;
      const single = drawSample(population, {
        seed: 's',
        method,
        quota: { project: 12, department: 0 },
        mandatoryCodes: ['P039'],
      }).picks;
      expect(expanded.slice(0, 5)).toEqual(small);
      expect(expanded.map((p) => p.code)).toEqual(single.map((p) => p.code));
      expect(expanded.slice(5).every((p) => p.reason === 'expansion')).toBe(true);
    }
  });
  it('Chinese seeds that seedrandom would confuse give different draws', () => {
    const population = Array.from({ length: 30 }, (_, i) => ({
      code: `P${i}`,
      kind: 'project' as const,
      budgetFen: 100n,
      selfScore: 9000,
    }));
    const of = (seed: string) =>
      drawSample(population, { seed, method: 'srs', quota: { project: 5, department: 0 } })
        .picks.map((p) => p.code)
        .join();
    expect(new Set([of('中'), of('札'), of('-')]).size).toBe(3);
  });
});

describe('statistics over 2,000 seeds', () => {
  const population: PopulationRecord[] = Array.from({ length: 10 }, (_, i) => ({
    code: `P${i}`,
    kind: 'project' as const,
    budgetFen: BigInt((i + 1) * 1_000_000),
    selfScore: 9000,
  }));
  const frequencies = (method: 'srs' | 'pps') => {
    const counts = new Array<number>(10).fill(0);
    for (let s = 0; s < 2000; s++) {
      for (const pick of drawSample(population, { seed: `seed-${s}`, method, quota: { project: 3, department: 0 } })
        .picks)
        counts[Number(pick.code.slice(1))] += 1;
    }
    return counts;
  };
  it('srs: every record is selected about quota/size of the time (chi-square, 9 df, p = 0.001)', () => {
    const counts = frequencies('srs');
    const expected = (2000 * 3) / 10;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.88);
  });
  it('pps: selection frequency rises with budget', () => {
    const counts = frequencies('pps');
    for (let i = 1; i < 10; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]);
  });
});
