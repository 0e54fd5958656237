// Renders models/train_loss.csv as an SVG line chart (train loss per step,
// held-out loss where measured) for models/TRAINING.md. No dependencies:
// `node scripts/plot-loss.mjs models/train_loss.csv docs/train-loss.svg`.
import { readFileSync, writeFileSync } from 'node:fs';

const [csvPath, outPath] = process.argv.slice(2);
// A resumed run appends from its checkpoint's step: the later row of a step wins.
const byStep = new Map();
for (const l of readFileSync(csvPath, 'utf8').trim().split('\n').slice(1)) byStep.set(Number(l.split(',')[0]), l.split(','));
const rows = [...byStep.values()].sort((a, b) => Number(a[0]) - Number(b[0]));
// Columns: step, tokens, train_loss, lr, eval_loss, grad_norm, elapsed_s, tokens_per_s
const train = rows.map((r) => [Number(r[0]), Number(r[2])]);
const evalPts = rows.filter((r) => r[4] !== '').map((r) => [Number(r[0]), Number(r[4])]);
const W = 760, H = 380, L = 60, R = 20, T = 30, B = 50;
const maxStep = Math.max(...train.map((p) => p[0]));
const maxLoss = Math.ceil(Math.max(...train.map((p) => p[1]).slice(5)));
const x = (s) => L + ((W - L - R) * s) / maxStep;
const y = (v) => T + (H - T - B) * (1 - Math.min(v, maxLoss) / maxLoss);
const path = (pts) => pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
svg += `<rect width="${W}" height="${H}" fill="#fff"/>\n`;
for (let v = 0; v <= maxLoss; v += maxLoss > 4 ? 1 : 0.5) {
  svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e6ee"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>\n`;
}
for (let s = 0; s <= maxStep; s += Math.ceil(maxStep / 8 / 100) * 100) {
  svg += `<text x="${x(s)}" y="${H - B + 18}" text-anchor="middle">${s}</text>\n`;
}
svg += `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">optimizer step (4096 tokens each)</text>\n`;
svg += `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">cross-entropy (nats/token)</text>\n`;
svg += `<path d="${path(train)}" fill="none" stroke="#3358d4" stroke-width="1.2"/>\n`;
svg += `<path d="${path(evalPts)}" fill="none" stroke="#d46a33" stroke-width="2"/>\n`;
svg += `<text x="${W - R - 150}" y="${T + 4}" fill="#3358d4">train loss</text><text x="${W - R - 150}" y="${T + 20}" fill="#d46a33">held-out loss</text>\n`;
svg += '</svg>\n';
writeFileSync(outPath, svg);
console.log(`wrote ${outPath}: ${train.length} steps, ${evalPts.length} held-out points`);
