/** Synthetic data at scale, for the benchmark and the crash tests. */

/**
 * A county-sized population, scaled up: 240 departments, one 部门整体支出 per department and the
 * rest projects, budgets from 0.5 to 50,000 万元 with up to four decimals, dates as bureaus write them.
 */
export function syntheticPopulationCsv(rows: number): Buffer {
  const lines = ['类型,编码,主管部门,预算单位,项目名称,资金性质,预算数（万元）,执行数（万元）,自评得分,自评等级,报送日期,联系人,备注'];
  const funds = ['一般公共预算', '政府性基金预算', '上级转移支付'];
  let seed = 20231;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < rows; i += 1) {
    const dept = `县第${(i % 240) + 1}局`;
    const isDepartment = i < 240;
    const budget = Math.round((0.5 + random() * random() * 50000) * 10000);
    const executed = Math.round(budget * (0.5 + random() * 0.5));
    const score = 6000 + Math.floor(random() * 4000);
    const grade = score >= 9000 ? '优' : score >= 8000 ? '良' : '中';
    const day = 1 + Math.floor(random() * 40);
    const date = day <= 31 ? `2024-03-${String(day).padStart(2, '0')}` : `2024/4/${day - 31}`;
    lines.push([
      isDepartment ? '部门整体支出' : '项目支出',
      isDepartment ? `D${String(i + 1).padStart(6, '0')}` : `P${String(i + 1).padStart(6, '0')}`,
      dept,
      isDepartment ? dept : `${dept}第${(i % 7) + 1}中心`,
      isDepartment ? '' : `项目${i + 1}号民生工程`,
      funds[i % 3],
      (budget / 10000).toFixed(4),
      (executed / 10000).toFixed(4),
      (score / 100).toFixed(2),
      grade,
      date,
      '',
      '',
    ].join(','));
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}
