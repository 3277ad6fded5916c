import { createCanvas } from '@napi-rs/canvas';
import { Chart, ChartConfiguration, registerables } from 'chart.js';
import { AnnouncementFigures, shortTitle } from '../domain/announcement';
import { GRADES } from '../domain/grades';
import { KIND_LABELS, KINDS } from '../domain/population';

/**
 * The announcement's four charts as chart.js configurations: the page draws them in the browser
 * and the exports draw the same configurations on the server (skia canvas) as PNG images.
 */

Chart.register(...registerables);
Chart.defaults.font.family =
  '"Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Microsoft YaHei", sans-serif';
Chart.defaults.font.size = 18;

const GRADE_COLOURS: Record<string, string> = { 优: '#1f6f4a', 良: '#5b9bd5', 中: '#e0a43a', 差: '#c0392b' };
const KIND_COLOURS = { project: '#1f5fa8', department: '#c2571a' };

export type ChartName = 'grades' | 'scatter' | 'deviation' | 'problems';
export const CHART_TITLES: Record<ChartName, string> = {
  grades: '复核等级分布',
  scatter: '自评得分与复核得分',
  deviation: '自评与复核得分偏差分布',
  problems: '问题出现频次',
};

export function chartConfigs(f: AnnouncementFigures): Record<ChartName, ChartConfiguration> {
  const title = (name: ChartName) => ({ display: true, text: CHART_TITLES[name], font: { size: 16 } });
  // Both axes start at the lowest score shown, rounded down to ten.
  const low = Math.max(0, Math.floor(Math.min(100, ...f.scatter.map((s) => Math.min(s.self, s.review))) / 10) * 10);
  const problemLabels = f.problems.map((p) => `${shortTitle(p.title)}（${p.kind === 'project' ? '项目' : '部门'}）`);
  return {
    grades: {
      type: 'bar',
      data: {
        labels: KINDS.map((k) => KIND_LABELS[k]),
        datasets: GRADES.map((g) => ({
          label: g,
          data: KINDS.map((k) => f.grades[k][g]),
          backgroundColor: GRADE_COLOURS[g],
        })),
      },
      options: {
        plugins: { title: title('grades') },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: '个数' } },
        },
      },
    },
    scatter: {
      type: 'scatter',
      data: {
        datasets: [
          ...KINDS.map((k) => ({
            label: KIND_LABELS[k],
            data: f.scatter.filter((s) => s.kind === k).map((s) => ({ x: s.self, y: s.review })),
            backgroundColor: KIND_COLOURS[k],
            pointRadius: 4,
          })),
          {
            label: '自评 = 复核',
            type: 'line' as const,
            data: [
              { x: 0, y: 0 },
              { x: 100, y: 100 },
            ],
            borderColor: '#888',
            borderDash: [4, 4],
            pointRadius: 0,
            borderWidth: 1,
          },
        ],
      },
      options: {
        plugins: { title: title('scatter') },
        scales: {
          x: { min: low, max: 100, title: { display: true, text: '自评得分' } },
          y: { min: low, max: 100, title: { display: true, text: '复核得分' } },
        },
      },
    },
    deviation: {
      type: 'bar',
      data: {
        labels: f.deviation.distribution.map((d) => d.label),
        datasets: [
          { label: '抽查对象个数', data: f.deviation.distribution.map((d) => d.count), backgroundColor: '#1f5fa8' },
        ],
      },
      options: {
        plugins: { title: title('deviation'), legend: { display: false } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 } },
          x: { title: { display: true, text: '自评得分 − 复核得分' } },
        },
      },
    },
    problems: {
      type: 'bar',
      data: {
        labels: problemLabels,
        datasets: [
          { label: '出现该问题的抽查对象个数', data: f.problems.map((p) => p.count), backgroundColor: '#c2571a' },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { title: title('problems'), legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    },
  };
}

/** One chart as a PNG, drawn on the server the way the browser draws it. */
export function chartPng(config: ChartConfiguration, width = 1200, height = 640): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, {
    ...config,
    options: {
      ...config.options,
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
    } as ChartConfiguration['options'],
  });
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
