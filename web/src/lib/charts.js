// Every plot of the app, through Chart.js (tree-shaken registration) and
// chartjs-chart-error-bars for PPL / KLD with their ± bars. Each chart sits
// in a <figure> with a caption and an aria-label, axes always carry titles
// with units, and colours follow the light/dark theme.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip,
} from 'chart.js';
import { BarWithErrorBar, BarWithErrorBarsController } from 'chartjs-chart-error-bars';
import DataLabels from 'chartjs-plugin-datalabels';
import { h } from './dom.js';
import { cssVar, onThemeChange, PALETTE } from './theme.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement,
  PointElement, ScatterController, Tooltip, Legend, BarWithErrorBarsController, BarWithErrorBar);

const live = new Set();
onThemeChange(() => {
  for (const c of live) {
    applyTheme(c.options);
    c.update('none');
  }
});

function applyTheme(options) {
  const text = cssVar('--muted');
  const grid = cssVar('--grid');
  for (const s of Object.values(options.scales ?? {})) {
    s.ticks = { ...(s.ticks ?? {}), color: text };
    s.grid = { ...(s.grid ?? {}), color: grid };
    if (s.title) s.title.color = cssVar('--fg');
  }
  options.plugins ??= {};
  options.plugins.legend = { ...(options.plugins.legend ?? {}), labels: { ...(options.plugins.legend?.labels ?? {}), color: cssVar('--fg') } };
}

/**
 * Build and discard one small chart of each kind as this module loads (that
 * is, while a page mounts): Chart.js's first chart of a kind costs ~100 ms
 * (defaults, scriptable option resolvers, fonts), which would otherwise land
 * in the middle of a run as one long task.
 */
function warmUp() {
  const canvas = document.createElement('canvas');
  canvas.width = 200;
  canvas.height = 100;
  canvas.style.cssText = 'position:absolute;left:-10000px;top:0;width:200px;height:100px';
  document.body.append(canvas);
  const kinds = [
    { type: 'bar', data: { labels: ['a'], datasets: [{ data: [1] }] } },
    { type: 'barWithErrorBars', data: { labels: ['a'], datasets: [{ data: [{ y: 1, yMin: 0.5, yMax: 1.5 }] }] } },
    { type: 'scatter', data: { datasets: [{ data: [{ x: 1, y: 1, name: 'a' }], showLine: true }] }, plugins: [DataLabels], options: { scales: { y: { type: 'logarithmic' } }, plugins: { datalabels: { formatter: (v) => v.name } } } },
    { type: 'line', data: { labels: ['a'], datasets: [{ data: [1] }] } },
  ];
  for (const k of kinds) new Chart(canvas, { ...k, options: { animation: false, responsive: false, ...k.options } }).destroy();
  canvas.remove();
}
warmUp();

/** A figure holding one chart: {el, draw(config), chart}. */
export function chartFigure({ caption, label, height = 260 }) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label ?? caption });
  const box = h('div', { class: 'chart-box', style: { height: `${height}px` } }, canvas);
  // Hidden until something is drawn: no empty axes on a page.
  const el = h('figure', { class: 'chart', hidden: true }, box, h('figcaption', {}, caption ?? ''));
  let chart = null;
  return {
    el,
    get chart() {
      return chart;
    },
    draw(config) {
      // Same kind of chart: swap data and options in place (much cheaper
      // than a new Chart, which keeps redraws off the long-task list).
      if (chart && chart.config.type === config.type) {
        chart.data = config.data;
        config.options = { animation: false, maintainAspectRatio: false, responsive: true, ...config.options };
        applyTheme(config.options);
        chart.options = config.options;
        chart.update('none');
        return chart;
      }
      chart?.destroy();
      live.delete(chart);
      config.options = { animation: false, maintainAspectRatio: false, responsive: true, ...config.options };
      applyTheme(config.options);
      el.hidden = false;
      chart = new Chart(canvas, config);
      live.add(chart);
      return chart;
    },
    clear() {
      el.hidden = true;
      chart?.destroy();
      live.delete(chart);
      chart = null;
    },
  };
}

function axis(title, { log = false, min, max, beginAtZero = false, stacked } = {}) {
  return { type: log ? 'logarithmic' : 'linear', title: { display: true, text: title }, min, max, beginAtZero, stacked };
}

/** Compact numbers for tick labels. */
export function tick(v) {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

/**
 * A histogram over [lo, hi] with outlier counts as two extra bars (in the
 * accent colour) at the ends: counts[i] covers lo + i·w .. lo + (i+1)·w.
 */
export function drawHistogram(fig, { lo, hi, counts, below = 0, above = 0, xTitle, yTitle = 'count (values)', log = false, color = PALETTE[0] }) {
  const w = (hi - lo) / counts.length;
  const labels = counts.map((_, i) => tick(lo + (i + 0.5) * w));
  const data = [...counts];
  const colors = counts.map(() => color);
  if (below) {
    labels.unshift(`< ${tick(lo)}`);
    data.unshift(below);
    colors.unshift(PALETTE[5]);
  }
  if (above) {
    labels.push(`> ${tick(hi)}`);
    data.push(above);
    colors.push(PALETTE[5]);
  }
  return fig.draw({
    type: 'bar',
    data: { labels, datasets: [{ label: yTitle, data, backgroundColor: colors, barPercentage: 1, categoryPercentage: 1 }] },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => `bin ${items[0].label}` } } },
      scales: {
        x: { type: 'category', title: { display: true, text: xTitle }, ticks: { maxTicksLimit: 9, maxRotation: 0 } },
        y: log ? { ...axis(`${yTitle}, log scale`, { log: true }), min: 0.8, ticks: { callback: logTick } } : axis(yTitle, { beginAtZero: true }),
      },
    },
  });
}

/**
 * Bars per category, one dataset per series; a series may carry errors
 * (± one standard error) drawn as whiskers.
 */
export function drawBars(fig, { labels, series, xTitle, yTitle, log = false, horizontal = false }) {
  const hasErrors = series.some((s) => s.errors);
  const datasets = series.map((s, i) => ({
    label: s.label,
    data: hasErrors
      ? s.data.map((y, j) => (y === null ? null : { y, yMin: y - (s.errors?.[j] ?? 0), yMax: y + (s.errors?.[j] ?? 0) }))
      : s.data,
    backgroundColor: s.colors ?? s.color ?? PALETTE[i % PALETTE.length],
    errorBarColor: cssVar('--fg'),
    errorBarWhiskerColor: cssVar('--fg'),
  }));
  const valueAxis = axis(yTitle, { log, beginAtZero: !log });
  const catAxis = { type: 'category', title: { display: true, text: xTitle } };
  return fig.draw({
    type: hasErrors ? 'barWithErrorBars' : 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      plugins: { legend: { display: series.length > 1 } },
      scales: horizontal ? { x: valueAxis, y: catAxis } : { x: catAxis, y: valueAxis },
    },
  });
}

/**
 * Points with names; series may be joined (showLine). Used for error vs
 * bits per weight (with the Pareto front as a joined series) and size vs KLD.
 */
export function drawScatter(fig, { series, xTitle, yTitle, xLog = false, yLog = false }) {
  return fig.draw({
    type: 'scatter',
    // Each point carries its format's name beside it (series with labels: false stay bare).
    plugins: [DataLabels],
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.points,
        showLine: !!s.showLine,
        borderColor: s.color ?? PALETTE[i % PALETTE.length],
        backgroundColor: s.color ?? PALETTE[i % PALETTE.length],
        pointRadius: s.pointRadius ?? 4,
        pointStyle: s.pointStyle ?? 'circle',
        borderDash: s.dash,
        // A dense line with sharp turns draws spikes with mitred joins.
        borderJoinStyle: 'round',
        stepped: s.stepped ?? false,
      })),
    },
    options: {
      layout: { padding: { right: 44 } },
      plugins: {
        tooltip: { callbacks: { label: (c) => `${c.raw.name ?? c.dataset.label}: ${tick(c.raw.x)}, ${tick(c.raw.y)}` } },
        datalabels: {
          // 'auto' hides labels that would overlap another.
          display: (c) => (series[c.datasetIndex]?.labels !== false && !!c.dataset.data[c.dataIndex]?.name ? 'auto' : false),
          formatter: (v) => v.name,
          align: 'right',
          offset: 4,
          clip: false,
          color: cssVar('--fg'),
          font: { size: 10 },
        },
      },
      scales: {
        x: { ...axis(xTitle, { log: xLog }), ticks: { callback: xLog ? logTick : (v) => tick(v) } },
        y: { ...axis(yTitle, { log: yLog }), ticks: { callback: yLog ? logTick : (v) => tick(v) } },
      },
    },
  });
}

/** Log-axis labels at 1, 2 and 5 × 10^k only (the others stay as grid lines). */
export function logTick(v) {
  const m = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6) ? tick(v) : '';
}

/** Points not dominated by any other (smaller x and smaller y), sorted by x. */
export function paretoFront(points) {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const front = [];
  let best = Infinity;
  for (const p of sorted) {
    if (p.y < best) {
      front.push(p);
      best = p.y;
    }
  }
  return front;
}
