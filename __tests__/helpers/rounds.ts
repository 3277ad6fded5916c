import fs from 'node:fs';
import path from 'node:path';
import { asBearer, SETUP_CONTEXT, TestApp } from './testApp';

/** The demo's LibreOffice workbook: 41 self-evaluations and their indicators. */
export const ROUND_2023_XLSX = fs.readFileSync(path.resolve(__dirname, '../fixtures/round-2023.xlsx'));

export type Api = ReturnType<typeof asBearer>;

/** Users with API tokens, by name: `api('lead1')` calls the API as lead1. */
export async function usersWithTokens(
  t: TestApp,
  users: Array<[string, Parameters<TestApp['createUser']>[1], Parameters<TestApp['createUser']>[2]?]>,
) {
  const tokens: Record<string, string> = {};
  for (const [name, role, options] of users) {
    await t.createUser(name, role, options);
    tokens[name] = (await t.services.tokens.createForUsername(SETUP_CONTEXT, name, 't')).token;
  }
  return (name: string): Api => asBearer(t, tokens[name]);
}

/**
 * A new round of its own with the 2023 population, drawn with P001, P004 and D001 certain, and
 * the given assignments; `settings` (blind review) are set before the draw.
 */
export async function sampledRound(
  lead: Api,
  options: { assign?: Record<string, string>; blindReview?: boolean; title?: string } = {},
): Promise<number> {
  const created = await lead
    .post('/api/rounds')
    .send({ title: options.title ?? '2023年度绩效自评结果抽查复核', fiscalYear: 2023, deadline: '2024-03-31' });
  const roundId = created.body.id as number;
  if (options.blindReview) {
    const set = await lead.put(`/api/rounds/${roundId}/review-settings`).send({
      qualityWeights: { timeliness: 20, normative: 40, report: 40 },
      blindReview: true,
      version: created.body.version,
    });
    if (set.status !== 200) throw new Error(`review settings: ${set.status} ${JSON.stringify(set.body)}`);
  }
  const imported = await lead
    .post(`/api/rounds/${roundId}/population`)
    .attach('file', ROUND_2023_XLSX, 'round-2023.xlsx');
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);
  const draw = await lead.post(`/api/rounds/${roundId}/draws`).send({
    seed: 'test-round',
    method: 'srs',
    quota: { project: 6, department: 2 },
    mandatory: { codes: ['2023-P001', '2023-P004', '2023-D001'] },
  });
  if (draw.status !== 201) throw new Error(`draw: ${draw.status} ${JSON.stringify(draw.body)}`);
  const entries = Object.entries(options.assign ?? {}).map(([code, username]) => ({ code, username }));
  if (entries.length) {
    const assigned = await lead.post(`/api/rounds/${roundId}/assignments`).send(entries);
    if (assigned.status !== 200) throw new Error(`assignments: ${assigned.status} ${JSON.stringify(assigned.body)}`);
  }
  return roundId;
}

/** The seven review dimensions, each judged 基本符合. */
export const DIMENSIONS = Object.fromEntries(
  ['绩效目标编制', '预算执行', '绩效指标设置', '运行成本控制', '目标完成', '可持续发展能力', '满意度'].map((d) => [
    d,
    { judgement: '基本符合', note: '' },
  ]),
);
