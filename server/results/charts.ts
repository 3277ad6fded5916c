import { ChartConfiguration } from 'chart.js';
import { GRADES } from '../domain/grades';
import { resultsByUnit } from '../domain/results';

/** The results page's two charts (chart.js configurations, drawn in the browser). */

const GRADE_COLOURS: Record<string, string> = { 优: '#1f6f4a', 良: '#5b9bd5', 中: '#e0a43a', 差: '#c0392b' };
const LINE_COLOURS = ['#1f5fa8', '#c2571a', '#1f6f4a', '#7b3fa0', '#8a5a00', '#c0392b', '#4a6572', '#0b7a75'];

type Units = ReturnType<typeof resultsByUnit>;

export function resultCharts(units: Units): Record<'grades' | 'deviation', ChartConfiguration> {
  const years = [...new Set(units.flatMap((u) => u.rounds.map((r) => r.fiscalYear)))].sort();
  const sum = (year: number, grade: (typeof GRADES)[number]) =>
    units.reduce(
      (t, u) => t + u.rounds.filter((r) => r.fiscalYear === year).reduce((s, r) => s + r.grades[grade], 0),
      0,
    );
  return {
    grades: {
      type: 'bar',
      data: {
        labels: years.map((y) => `${y}年度`),
        datasets: GRADES.map((g) => ({
          label: g,
          data: years.map((y) => sum(y, g)),
          backgroundColor: GRADE_COLOURS[g],
        })),
      },
      options: {
        plugins: { title: { display: true, text: '复核等级（各年度，项目数）' } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    },
    deviation: {
      type: 'line',
      data: {
        labels: years.map((y) => `${y}年度`),
        // One line per unit (the first eight, by department and name): the mean deviation of its confirmed reviews.
        datasets: units
          .filter((u) => u.rounds.some((r) => r.meanDeviation !== null))
          .slice(0, LINE_COLOURS.length)
          .map((u, i) => ({
            label: u.unit,
            data: years.map((y) => u.rounds.find((r) => r.fiscalYear === y)?.meanDeviation ?? null),
            borderColor: LINE_COLOURS[i],
            backgroundColor: LINE_COLOURS[i],
            spanGaps: true,
          })),
      },
      options: {
        plugins: { title: { display: true, text: '自评与复核平均偏差（分，自评−复核）' } },
        scales: { y: { beginAtZero: true } },
      },
    },
  };
}
