/**
 * Findings: their severities, and which category each warning sign suggests. The categories
 * themselves (P01–P18 with their default recommendations) live in the database, seeded by the
 * migration 20261125000005_findings.
 */

import { WarningKey } from './warnings';

export const SEVERITIES = { minor: '一般', major: '较重', serious: '严重' } as const;
export type Severity = keyof typeof SEVERITIES;

/** The finding a warning sign suggests, with a description a reviewer can accept in one click. */
export const SUGGESTED_BY_WARNING: Record<WarningKey, { category: string; description: string }> = {
  gradeMismatch: { category: 'P07', description: '自评等级与自评得分对应的等级不一致。' },
  pointsMismatch: { category: 'P07', description: '各项指标得分合计与自评得分不一致。' },
  lowExecution: { category: 'P01', description: '预算执行率低于80%，资金未及时使用。' },
  zeroBudget: { category: 'P07', description: '预算数为0，自评数据与实际不符。' },
  allFullMarks: { category: 'P08', description: '全部指标均计满分，打分偏高。' },
  late: { category: 'P14', description: '自评材料晚于规定时限报送。' },
  scoreAboveExecution: { category: 'P08', description: '指标得分率明显高于预算执行率，自评打分偏高。' },
  overWeight: { category: 'P08', description: '部分指标得分超过其分值，打分随意。' },
  unrectified: { category: 'P18', description: '以前年度复核发现的问题尚未整改到位，自评未说明原因和改进措施。' },
  recurring: { category: 'P18', description: '以前年度复核指出的同类问题再次出现，改进措施未落实。' },
};
