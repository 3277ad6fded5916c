import fs from 'node:fs';
import path from 'node:path';
import { AuditContext } from '../../server/audit/repository';
import { Role } from '../../server/domain/roles';
import { Services } from '../../server/services';

/**
 * The demo: one account per role and the 2023 round of a county bureau, modelled on the seed
 * article's 太康县 section. Later features extend this so the demo always shows what works.
 */

export const DEMO_PASSWORD = 'fuhe-demo-2023';

export const DEMO_ACCOUNTS: Array<{ username: string; displayName: string; role: Role; organisation: string | null }> = [
  { username: 'admin', displayName: '王管理', role: 'admin', organisation: '县财政局信息中心' },
  { username: 'lead', displayName: '张组长', role: 'lead', organisation: '县财政局预算绩效管理股' },
  { username: 'reviewer', displayName: '李复核', role: 'reviewer', organisation: '县财政局预算绩效管理股' },
  { username: 'evaluator', displayName: '赵评价', role: 'evaluator', organisation: '河南中原联合会计师事务所' },
  { username: 'official', displayName: '陈局长', role: 'official', organisation: '县财政局' },
];

const DEMO_CONTEXT: AuditContext = { actor: null, ip: 'demo-seed', userAgent: 'fuhe-demo', requestId: null };

export async function seedDemo(services: Services): Promise<void> {
  for (const account of DEMO_ACCOUNTS) {
    await services.users.create(DEMO_CONTEXT, { ...account, password: DEMO_PASSWORD });
  }
  const lead = await services.users.findByUsername('lead');
  const asLead: AuditContext = { ...DEMO_CONTEXT, actor: { id: lead!.id, username: lead!.username, role: lead!.role } };
  const round = await services.rounds.create(asLead, {
    title: '2023年度绩效自评结果抽查复核',
    fiscalYear: 2023,
    bureau: '太康县财政局',
    workPlanRef: '太财字〔2023〕30号',
    deadline: '2024-03-31',
  });
  // The population as the bureau collected it: 33 project and 8 department self-evaluations with
  // the indicators of six projects, written by LibreOffice (the same file as the test fixture).
  const file = path.join(__dirname, 'round-2023.xlsx');
  await services.population.import(asLead, round.id, { name: 'round-2023.xlsx', data: fs.readFileSync(file) });
  // The sample, as 太康县 drew it: 20 projects and 2 departments; projects of 5,000 万元 or more for certain.
  await services.draws.create(asLead, round.id, {
    seed: '福彩3D 2024年第60期 开奖号码 5 1 8',
    method: 'srs',
    quota: { project: 20, department: 2 },
    mandatoryMinBudgetFen: 5_000_000_000n,
    mandatoryCodes: [],
    excludeCodes: [],
    excludeRoundId: null,
  });
}
