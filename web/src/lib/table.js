// Result tables: sortable by any column (buttons in the headers, aria-sort),
// copyable as Markdown or CSV, and scrolled inside their own box so a wide
// table never makes a phone scroll sideways.
import { h, uniqueId } from './dom.js';

/**
 * columns: [{key, label, format?(v, row) -> string, numeric?, title?}]
 * Returns {el, setRows(rows), rows()}. Rows are objects; a row's cell shows
 * format(row[key], row) (or the raw value); sorting uses the raw value.
 */
export function dataTable({ columns, caption, sortable = true, copy = true, id, empty = 'No results yet.', tall = false }) {
  let rows = [];
  let sortKey = null;
  let sortDir = 1;
  const table = h('table', {});
  const status = h('span', { class: 'copy-status', role: 'status' });
  const scroll = h('div', { class: tall ? 'table-scroll tall' : 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption ?? 'results table' }, table);
  const tools = copy
    ? h('div', { class: 'table-tools' },
      h('button', { type: 'button', class: 'secondary small', onclick: () => copyText(toMarkdown(), 'Markdown') }, 'Copy as Markdown'),
      h('button', { type: 'button', class: 'secondary small', onclick: () => copyText(toCsv(), 'CSV') }, 'Copy as CSV'),
      status)
    : null;
  const el = h('div', { class: 'data-table', id }, scroll, tools);

  const cell = (c, r) => {
    const v = r[c.key];
    return c.format ? c.format(v, r) : v === undefined || v === null ? '—' : String(v);
  };

  function sorted() {
    if (!sortKey) return rows;
    return [...rows].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sortDir;
    });
  }

  function render() {
    const head = h('tr', {}, columns.map((c) => {
      const aria = sortKey === c.key ? (sortDir > 0 ? 'ascending' : 'descending') : 'none';
      const label = sortable && !c.unsortable
        ? h('button', { type: 'button', class: 'sort', onclick: () => sortBy(c.key) }, c.label, h('span', { 'aria-hidden': 'true' }, sortKey === c.key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''))
        : c.label;
      return h('th', { scope: 'col', 'aria-sort': sortable ? aria : undefined, class: c.numeric ? 'num' : undefined, title: c.title }, label);
    }));
    const body = sorted().map((r) => h('tr', { class: r._class, dataset: r._data },
      columns.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : undefined, class: c.numeric ? 'num' : undefined }, cell(c, r)))));
    table.replaceChildren(
      caption ? h('caption', {}, caption) : '',
      h('thead', {}, head),
      h('tbody', {}, body.length ? body : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty))),
    );
  }

  function sortBy(key) {
    if (sortKey === key) sortDir = -sortDir;
    else {
      sortKey = key;
      sortDir = 1;
    }
    render();
  }

  const textRows = () => sorted().map((r) => columns.map((c) => cell(c, r)));
  function toMarkdown() {
    const esc = (s) => s.replace(/\|/g, '\\|');
    const lines = [`| ${columns.map((c) => esc(c.label)).join(' | ')} |`, `|${columns.map((c) => (c.numeric ? '---:' : '---')).join('|')}|`];
    for (const r of textRows()) lines.push(`| ${r.map(esc).join(' | ')} |`);
    return lines.join('\n');
  }
  function toCsv() {
    const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map((c) => q(c.label)).join(','), ...textRows().map((r) => r.map(q).join(','))].join('\n');
  }
  async function copyText(text, what) {
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = `${what} copied`;
    } catch {
      // Clipboard access needs a secure context and permission: show the text to copy by hand.
      const ta = h('textarea', { rows: 6, readonly: true, 'aria-label': `${what} of the table` }, text);
      status.replaceChildren(ta);
      ta.select();
    }
    el.dataset.copied = what;
  }

  render();
  return {
    el,
    /** data-status on the table: 'running' while results come in, then 'done' (tests wait on it). */
    setStatus(v) {
      el.dataset.status = v;
    },
    setRows(r) {
      rows = r;
      render();
    },
    rows: () => rows,
    toMarkdown,
    toCsv,
  };
}

export { uniqueId };
