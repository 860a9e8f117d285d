import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import type { DayMetrics } from '../store/metrics.js';

// Chart.js runs headless here: its BasicPlatform draws on any 2D context, and @napi-rs/canvas provides one
// (prebuilt, no system cairo). DejaVu Sans ships with most Linux images; the canvas falls back otherwise.
Chart.register(...registerables);
Chart.defaults.font.family = "'DejaVu Sans', sans-serif";
Chart.defaults.color = '#1d1c1d';

const WIDTH = 1000;
const PANEL_HEIGHT = 380;
const GAP = 20;

/**
 * The /metrics chart as a PNG: per day, runs (bars) and success rate (line, right axis) on top, cost in USD
 * below. Null when there is nothing to draw (no runs in the period).
 */
export function renderMetricsChart(daily: DayMetrics[], title: string): Buffer | null {
  if (daily.every((d) => d.runs === 0)) return null;
  const labels = daily.map((d) => d.day.slice(5)); // MM-DD
  const activity = panel({
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: 'Runs', data: daily.map((d) => d.runs), backgroundColor: '#4a90d9', yAxisID: 'runs', order: 2 },
        {
          type: 'line', label: 'Success rate (%)', yAxisID: 'rate', order: 1, borderColor: '#2eb67d', backgroundColor: '#2eb67d',
          // Days without finished runs have no rate: a gap, not a misleading 0 %.
          data: daily.map((d) => (d.finished > 0 ? Math.round((d.succeeded / d.finished) * 1000) / 10 : null)),
          spanGaps: false, pointRadius: 3,
        },
      ],
    },
    options: {
      plugins: { title: { display: true, text: `${title} — runs and success rate per day (UTC)` } },
      scales: {
        runs: { type: 'linear', position: 'left', beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'runs' } },
        rate: { type: 'linear', position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'success %' } },
      },
    },
  });
  const cost = panel({
    type: 'bar',
    data: { labels, datasets: [{ label: 'Cost (USD)', data: daily.map((d) => d.costUsd), backgroundColor: '#e8a33d', yAxisID: 'usd' }] },
    options: {
      plugins: { title: { display: true, text: 'Cost per day (USD)' } },
      scales: { usd: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'USD' } } },
    },
  });
  const out = createCanvas(WIDTH, PANEL_HEIGHT * 2 + GAP * 3);
  const ctx = out.getContext('2d');
  // An opaque background: a transparent PNG is unreadable in Slack's dark theme.
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(activity.canvas, 0, GAP);
  ctx.drawImage(cost.canvas, 0, PANEL_HEIGHT + GAP * 2);
  // destroy() clears its canvas, so only after the panels were copied.
  activity.chart.destroy();
  cost.chart.destroy();
  return out.toBuffer('image/png');
}

function panel(config: ChartConfiguration): { canvas: Canvas; chart: Chart } {
  const canvas = createCanvas(WIDTH, PANEL_HEIGHT);
  const chart = new Chart(canvas as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1, maintainAspectRatio: false },
  } as ChartConfiguration);
  chart.draw();
  return { canvas, chart };
}
