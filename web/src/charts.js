// Bar charts through Chart.js (tree-shaken registration keeps the bundle small).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, LineController, LineElement, PointElement, Legend);

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

/** Points (x, y) with labels, joined by a line in x order: PPL against bits per weight. */
export function drawPoints(canvas, { points, xLabel, yLabel, label, color }) {
  charts.get(canvas)?.destroy();
  const data = [...points].sort((a, b) => a.x - b.x);
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets: [{ label, data, borderColor: color, backgroundColor: color, pointRadius: 4 }] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      plugins: {
        tooltip: { callbacks: { label: (c) => `${c.raw.name}: ${c.raw.y.toFixed(4)} at ${c.raw.x.toFixed(2)} bpw` } },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: xLabel } },
        y: { title: { display: true, text: yLabel } },
      },
    },
  });
  charts.set(canvas, chart);
  return chart;
}
