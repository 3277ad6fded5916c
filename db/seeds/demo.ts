import fs from 'node:fs';
import path from 'node:path';
import { AuditContext } from '../../server/audit/repository';
import { Role } from '../../server/domain/roles';
import { Services } from '../../server/services';
import { DIMENSIONS } from '../../server/domain/review';
import { todayCst } from '../../server/domain/dates';

/**
 * The demo: one account per role and the 2023 round of a county bureau, modelled on the seed
 * article's 太康县 section. Later features extend this so the demo always shows what works.
 */

export const DEMO_PASSWORD = 'fuhe-demo-2023';

export const DEMO_ACCOUNTS: Array<{
  username: string;
  displayName: string;
  role: Role;
  organisation: string | null;
  coverage?: { units: string[]; departments: string[] };
}> = [
  { username: 'admin', displayName: '王管理', role: 'admin', organisation: '县财政局信息中心' },
  { username: 'lead', displayName: '张组长', role: 'lead', organisation: '县财政局预算绩效管理股' },
  { username: 'reviewer', displayName: '李复核', role: 'reviewer', organisation: '县财政局预算绩效管理股' },
  { username: 'reviewer2', displayName: '孙复核', role: 'reviewer', organisation: '县农业农村局（业务部门）' },
  { username: 'evaluator', displayName: '赵评价', role: 'evaluator', organisation: '河南中原联合会计师事务所' },
  { username: 'official', displayName: '陈局长', role: 'official', organisation: '县财政局' },
  {
    username: 'unit',
    displayName: '刘联络',
    role: 'unit',
    organisation: '县卫生健康委员会',
    coverage: { units: [], departments: ['县卫生健康委员会'] },
  },
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
    objectionContact: '太康县财政局预算绩效管理股，电话 0394-1234567，地址：太康县城关镇财政路1号',
    onsiteChecks: true,
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

  // Review work in every state, shared between two reviewers and an agency's evaluator.
  const items = await services.assignments.items(round.id);
  const people = ['reviewer', 'evaluator', 'reviewer2'];
  await services.assignments.assign(
    asLead,
    round.id,
    items.map((item, i) => ({ code: item.code, username: people[i % people.length] })),
  );
  const actorOf = async (username: string) => {
    const user = (await services.users.findByUsername(username))!;
    return {
      context: { ...DEMO_CONTEXT, actor: { id: user.id, username: user.username, role: user.role } },
      actor: { id: user.id, role: user.role, displayName: user.displayName },
    };
  };
  const dimensions = Object.fromEntries(
    DIMENSIONS.map((name, i) => [
      name,
      { judgement: i === 2 ? '基本符合' : '符合', note: i === 2 ? '部分指标值设置偏低' : '' },
    ]),
  );
  const asLeadActor = await actorOf('lead');
  const unit = await actorOf('unit');
  // The unit's side (县卫生健康委员会's items): a request answered with a file, one still open,
  // and a disagreement the lead answers when confirming.
  const inDays = (days: number) => {
    const date = new Date(`${todayCst(services.now())}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  };
  const askUnit = async (who: Awaited<ReturnType<typeof actorOf>>, code: string, text: string, days: number) =>
    (await services.units.addRequest(who.context, who.actor, round.id, code, { text, dueDate: inDays(days) })).id;
  for (const [index, item] of items.entries()) {
    if (index >= 12) break;
    const who = await actorOf(people[index % people.length]);
    const view = await services.reviews.item(who.actor, round.id, item.code);
    const scored = view.indicators.filter((i) => !i.isExecution);
    const body: Record<string, unknown> = scored.length
      ? {
          indicators: scored.map((i, k) =>
            k === scored.length - 1
              ? { id: i.id, rule: 'R6', note: '满意度无问卷调查记录，按规则计0分' }
              : {
                  id: i.id,
                  reviewScore: i.score / 100 - (k === 0 ? 1 : 0),
                  note: k === 0 ? '完成数量与台账不一致，核减1分' : '',
                },
          ),
          dimensions,
          qualityScore: 78,
          comment: '指标设置基本规范，满意度无调查依据。',
        }
      : {
          reviewScore: Math.max(60, view.submission.selfScore / 100 - 6 - (index % 4)),
          qualityScore: 70 + (index % 3) * 8,
          comment: '整体打分：绩效目标不够细化，自评报告问题分析流于形式。',
          dimensions,
        };
    await services.reviews.save(who.context, who.actor, round.id, item.code, body, 0);
    if (item.unit === '县卫生健康委员会' && index % 4 === 2) {
      const asked = await askUnit(who, item.code, '请上传家庭医生签约服务的签约台账（加盖单位公章）。', 3);
      const file = await services.findings.addEvidence(
        unit.context,
        unit.actor,
        round.id,
        item.code,
        { name: '家庭医生签约台账.pdf', data: minimalPdf('Family doctor contract ledger 2023') },
        '2023年度家庭医生签约台账',
      );
      await services.units.answer(unit.context, unit.actor, asked, {
        text: '已上传2023年度签约台账，共签约12,436人，与自评报告一致。',
        evidence: [file],
      });
    }
    if (item.unit === '县卫生健康委员会' && index % 4 === 0)
      await askUnit(who, item.code, '请补充中医药事业发展经费的资金支付凭证和项目验收报告。', 7);
    if (index === 11) {
      // Evidence, and a finding of the bureau's that cites it (the agency's findings are on its own items).
      const evidenceId = await services.findings.addEvidence(
        who.context,
        who.actor,
        round.id,
        item.code,
        { name: '满意度调查说明.pdf', data: minimalPdf('Satisfaction survey: no questionnaire records') },
        '单位提供的满意度说明（无问卷）',
      );
      await services.findings.addFinding(who.context, who.actor, round.id, item.code, {
        category: 'P10',
        description: '满意度指标按"未收到投诉"计满分，未开展问卷调查。',
        severity: 'major',
        evidence: [evidenceId],
      });
    }
    if (index === 9)
      // 县民政局's self-evaluation report was found formulaic last year too: a recurring problem.
      await services.findings.addFinding(who.context, who.actor, round.id, item.code, {
        category: 'P16',
        description: '自评报告仍套用模板，未分析扣分原因，上年度复核已指出同类问题。',
      });
    if (people[index % people.length] === 'evaluator' && index >= 9) {
      await services.findings.addFinding(who.context, who.actor, round.id, item.code, {
        category: 'P09',
        description: '产出指标完成情况无台账和签收记录，佐证不足。',
      });
    }
    if (index % 4 === 0) continue; // left as a draft
    await services.reviews.submit(who.context, who.actor, round.id, item.code);
    let response: string | undefined;
    if (item.unit === '县卫生健康委员会' && index % 4 === 1) {
      await services.units.addFeedback(unit.context, unit.actor, round.id, item.code, {
        agree: false,
        text: '满意度调查已于2024年1月完成，问卷汇总表已报送县卫健委，请核实后调整满意度指标得分。',
      });
      response = '经核实，所附问卷汇总表没有原始问卷和样本信息，不能作为满意度指标的依据，维持复核结果。';
    }
    if (index % 4 === 1)
      await services.reviews.confirm(asLeadActor.context, asLeadActor.actor, round.id, item.code, response);
    if (index % 4 === 2)
      await services.reviews.return(
        asLeadActor.context,
        asLeadActor.actor,
        round.id,
        item.code,
        '请补充满意度调查的佐证材料后重新提交',
      );
  }
  await seedPublishedRound(services, asLead);
}

async function actorOf(services: Services, username: string) {
  const user = (await services.users.findByUsername(username))!;
  return {
    context: { ...DEMO_CONTEXT, actor: { id: user.id, username: user.username, role: user.role } },
    actor: { id: user.id, role: user.role, displayName: user.displayName },
  };
}

/**
 * Last year's round, finished: 12 projects and 3 departments drawn, every review confirmed, and
 * the announcement compiled, approved by the official and published at /p/….
 */
async function seedPublishedRound(services: Services, asLead: AuditContext): Promise<void> {
  const round = await services.rounds.create(asLead, {
    title: '2022年度绩效自评结果抽查复核',
    fiscalYear: 2022,
    bureau: '太康县财政局',
    workPlanRef: '太财字〔2022〕27号',
    objectionContact: '太康县财政局预算绩效管理股，电话 0394-1234567，地址：太康县城关镇财政路1号',
    onsiteChecks: true,
    deadline: '2023-03-31',
  });
  const file = path.join(__dirname, 'population-2022.csv');
  await services.population.import(asLead, round.id, { name: 'population-2022.csv', data: fs.readFileSync(file) });
  await services.draws.create(asLead, round.id, {
    seed: '福彩3D 2023年第58期 开奖号码 3 0 7',
    method: 'srs',
    quota: { project: 12, department: 3 },
    mandatoryMinBudgetFen: null,
    mandatoryCodes: [],
    excludeCodes: [],
    excludeRoundId: null,
  });
  const items = await services.assignments.items(round.id);
  const people = ['reviewer', 'evaluator'];
  await services.assignments.assign(
    asLead,
    round.id,
    items.map((item, i) => ({ code: item.code, username: people[i % people.length] })),
  );
  const lead = await actorOf(services, 'lead');
  const dimensions = Object.fromEntries(DIMENSIONS.map((name) => [name, { judgement: '符合', note: '' }]));
  const findings: Record<number, Array<{ category: string; description: string }>> = {
    1: [{ category: 'P01', description: '年末仍有部分资金未支出，预算执行率低于80%。' }],
    3: [
      { category: 'P09', description: '产出数量指标无台账、签收单等佐证材料。' },
      { category: 'P16', description: '自评报告只描述项目背景，未分析扣分原因。' },
    ],
    5: [{ category: 'P16', description: '自评报告套用模板，问题和改进措施空泛。' }],
    8: [{ category: 'P09', description: '满意度指标无调查记录。' }],
    12: [{ category: 'P01', description: '部门整体支出预算执行率偏低。' }],
  };
  for (const [index, item] of items.entries()) {
    const who = await actorOf(services, people[index % people.length]);
    const view = await services.reviews.item(who.actor, round.id, item.code);
    const self = view.submission.selfScore / 100;
    const review = Math.max(62, self - [0, 3, 6, 2, 11][index % 5]);
    await services.reviews.save(
      who.context,
      who.actor,
      round.id,
      item.code,
      {
        reviewScore: review,
        qualityScore: [94, 91, 86, 93, 72][index % 5],
        comment: '依据上报资料和实地核查综合评价。',
        dimensions,
      },
      0,
    );
    for (const f of findings[index] ?? [])
      await services.findings.addFinding(who.context, who.actor, round.id, item.code, f);
    await services.reviews.submit(who.context, who.actor, round.id, item.code);
    await services.reviews.confirm(lead.context, lead.actor, round.id, item.code);
  }
  const draft = await services.announcements.compile(lead.context, lead.actor, round.id);
  await services.announcements.save(lead.context, lead.actor, round.id, {
    revision: draft.announcement.revision,
    deadline: '2023-08-31',
  });
  await services.approval.submit(lead.context, lead.actor, round.id);
  const official = await actorOf(services, 'official');
  await services.approval.publish(official.context, official.actor, round.id);

  // 整改 in every state: accepted, submitted, returned, and open past its date. A unit with an
  // account writes its own; for the others the lead records what they reported in writing.
  const unit = await actorOf(services, 'unit');
  const { tasks } = await services.rectifications.ofRound(round.id);
  const states = ['accepted', 'submitted', 'returned', 'accepted', 'open'];
  for (const [index, task] of tasks.entries()) {
    const state = states[index % states.length];
    if (state === 'open') continue;
    const writer = task.department === '县卫生健康委员会' ? unit : lead;
    const text = {
      measures: `针对“${task.categoryTitle}”，已修订本单位预算绩效管理办法，明确绩效目标编制和佐证材料归档要求。`,
      result: '2024年度绩效目标已按新要求编制，佐证材料已归档备查。',
    };
    const at = await services.rectifications.submit(writer.context, writer.actor, task.id, { ...text, version: 1 });
    if (state === 'submitted') continue;
    if (state === 'returned') {
      await services.rectifications.return(lead.context, lead.actor, task.id, {
        version: at.version,
        reason: '整改结果未附修订后的制度文件，请补充后重新提交。',
      });
      continue;
    }
    await services.rectifications.accept(lead.context, lead.actor, task.id, { version: at.version });
  }
  // The lead's draft 整改情况通报, compiled from those tasks.
  await services.rectificationReports.compile(lead.context, lead.actor, round.id);
}

/** A small, valid one-page PDF (the demo's evidence file, and the browser tests' upload). */
export function minimalPdf(text: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${`BT /F1 14 Tf 72 760 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 14 Tf 72 760 Td (${text}) Tj ET\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
