// Bar charts through Chart.js (tree-shaken registration keeps the bundle small).
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const charts = new Map();

/** Draw (or redraw) a histogram with bin centres as labels. */
export function drawHistogram(canvas, { counts, lo, hi, label, color }) {
  const w = (hi - lo) / counts.length;
  const labels = counts.map((_, i) => (lo + (i + 0.5) * w).toPrecision(2));
  charts.get(canvas)?.destroy();
  const chart = new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label, data: counts, backgroundColor: color, barPercentage: 1, categoryPercentage: 1 }] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { tooltip: { enabled: true } },
      scales: { x: { ticks: { maxTicksLimit: 9 } }, y: { beginAtZero: true } },
    },
  });
  charts.set(canvas, chart);
  return chart;
}
