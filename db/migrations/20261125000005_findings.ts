import { Knex } from 'knex';

/**
 * Findings (问题): the category taxonomy, seeded with P01–P18 and their default recommendations
 * (a bureau may add P19 onwards and retire any), and the findings recorded on sampled items.
 * A finding is never deleted: it is withdrawn with a reason.
 */

/** The recurring problems of domain.md, as bureaus phrase them, with a default recommendation each. */
const DEFAULT_CATEGORIES: Array<{ code: string; title: string; recommendation: string }> = [
  {
    code: 'P01',
    title: '预算执行率低（资金闲置沉淀）',
    recommendation: '加快预算执行进度，对执行缓慢的项目及时调整或收回资金，避免资金闲置沉淀。',
  },
  {
    code: 'P02',
    title: '绩效目标编制不规范、不细化',
    recommendation: '按照"指向明确、细化量化、合理可行、相应匹配"的要求编制绩效目标，做到可衡量、可考核。',
  },
  {
    code: 'P03',
    title: '指标值设置过低（无压力指标）',
    recommendation: '参考历史水平、行业标准和计划目标合理设定指标值，杜绝无压力指标。',
  },
  {
    code: 'P04',
    title: '指标设置与项目无关或不具可考核性',
    recommendation: '围绕项目核心产出和效益设置指标，删除与项目无关或无法考核的指标。',
  },
  {
    code: 'P05',
    title: '三级指标与二级指标不匹配（数量指标填资金支付）',
    recommendation: '按指标体系分类规范填报三级指标，数量、质量、时效、成本指标各归其类。',
  },
  {
    code: 'P06',
    title: '产出指标与效益指标重复设置',
    recommendation: '区分产出与效益，避免同一内容在产出指标和效益指标中重复设置。',
  },
  {
    code: 'P07',
    title: '自评数据与实际不符（数据失真）',
    recommendation: '据实填报自评数据，确保与财务核算、业务台账一致，对失真数据予以更正。',
  },
  {
    code: 'P08',
    title: '自评打分偏高、随意（全部满分）',
    recommendation: '严格按评分标准逐项打分，未完成或无佐证的指标不得计满分。',
  },
  {
    code: 'P09',
    title: '佐证材料缺失、未取证留档',
    recommendation: '建立佐证材料收集和归档制度，每项指标的完成情况均应有据可查。',
  },
  {
    code: 'P10',
    title: '满意度无调查记录（"未投诉即满意"）',
    recommendation: '开展规范的满意度调查并保存问卷和统计记录，不得以"未投诉"代替满意度。',
  },
  {
    code: 'P11',
    title: '项目未完成或未验收即按完成计分',
    recommendation: '项目完成并通过验收后方可按完成计分，未完成的应如实说明进度和原因。',
  },
  {
    code: 'P12',
    title: '成本指标超支或设置逻辑错误',
    recommendation: '合理测算成本指标，控制在预算标准以内，并确保指标方向（≤/≥）设置正确。',
  },
  {
    code: 'P13',
    title: '晚拨付、资金退回、核减未在自评中反映',
    recommendation: '在自评中如实反映资金拨付时间、退回和核减情况，并据此扣减相应分值。',
  },
  {
    code: 'P14',
    title: '未按时报送自评材料',
    recommendation: '严格按照规定时限报送自评材料，逾期报送的纳入绩效管理工作考核。',
  },
  {
    code: 'P15',
    title: '主管部门代填，业务科室未参与（仅财务人员完成）',
    recommendation: '建立财务与业务科室共同参与的自评机制，由业务科室对指标完成情况负责。',
  },
  {
    code: 'P16',
    title: '自评报告模板化、问题分析流于形式',
    recommendation: '结合项目实际撰写自评报告，深入分析存在的问题及原因，避免照搬模板。',
  },
  {
    code: 'P17',
    title: '照搬其他单位模板',
    recommendation: '根据本单位项目特点独立编制绩效目标和自评报告，不得照搬其他单位内容。',
  },
  {
    code: 'P18',
    title: '未完成指标未说明原因和改进措施',
    recommendation: '对未完成的指标逐项说明原因，提出具体改进措施并落实整改。',
  },
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('finding_categories', (t) => {
    t.string('code', 8).primary();
    t.string('title', 200).notNullable();
    t.text('recommendation').notNullable();
    t.boolean('builtin').notNullable();
    t.timestamp('retired_at', { useTz: true }).nullable();
  });
  await knex('finding_categories').insert(DEFAULT_CATEGORIES.map((c) => ({ ...c, builtin: true })));

  await knex.schema.createTable('findings', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.string('category', 8).notNullable().references('code').inTable('finding_categories');
    t.text('description').notNullable();
    t.string('severity', 16).notNullable().checkIn(['minor', 'major', 'serious']);
    // 'manual', or the warning sign it was accepted from.
    t.string('source', 32).notNullable();
    t.integer('author_id').notNullable().references('id').inTable('users');
    t.string('author_role', 16).notNullable();
    t.string('author_organisation', 200).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('withdrawn_by').nullable().references('id').inTable('users');
    t.timestamp('withdrawn_at', { useTz: true }).nullable();
    t.text('withdraw_reason').nullable();
    t.index(['round_id', 'category']);
    t.index(['submission_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('findings');
  await knex.schema.dropTableIfExists('finding_categories');
}
