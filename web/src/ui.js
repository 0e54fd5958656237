// Small DOM helpers shared by the tutorial steps.

export function fmt(v, digits = 4) {
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1);
  return v.toPrecision(digits);
}

export function fmtBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Fill a .result grid with labelled metrics; `data` becomes data-* attributes for tests. */
export function showMetrics(el, metrics, data = {}) {
  el.replaceChildren(
    ...metrics.map(([k, v]) => {
      const div = document.createElement('div');
      div.className = 'metric';
      div.innerHTML = `<div class="k"></div><div class="v"></div>`;
      div.firstChild.textContent = k;
      div.lastChild.textContent = v;
      return div;
    }),
  );
  for (const [k, v] of Object.entries(data)) el.dataset[k] = String(v);
}

export function showError(el, err) {
  const div = document.createElement('div');
  div.className = 'error';
  div.textContent = `${err.name ?? 'Error'}${err.code ? ` (${err.code})` : ''}: ${err.message}`;
  el.replaceChildren(div);
  el.dataset.status = 'error';
  el.dataset.error = err.code ?? 'Error';
}

/** A table from a header row and body rows of strings. */
export function table(header, rows) {
  const t = document.createElement('table');
  const tr = (cells, tag) => {
    const r = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement(tag);
      td.textContent = c;
      r.append(td);
    }
    return r;
  };
  const thead = document.createElement('thead');
  thead.append(tr(header, 'th'));
  const tbody = document.createElement('tbody');
  for (const row of rows) tbody.append(tr(row, 'td'));
  t.append(thead, tbody);
  return t;
}
