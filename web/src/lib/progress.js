// Progress, cancel and errors for long work: a <progress> bar, a live status
// line (with rate and ETA), a Cancel button wired to an AbortController, and
// an error box that names the problem. run() keeps the page usable whatever
// happens: buttons are re-enabled and the error is shown, never thrown.
import { h } from './dom.js';
import { fmtDuration } from './format.js';

export function progressPanel({ label = 'Progress' } = {}) {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': label });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Cancel');
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const el = h('div', { class: 'progress-panel', dataset: { state: 'idle' } }, h('div', { class: 'progress-row' }, bar, cancel), status, error);
  let controller = null;
  let held = []; // the buttons the current run disabled
  let started = 0;
  let lastPaint = 0;
  cancel.addEventListener('click', () => {
    controller?.abort();
    cancel.disabled = true;
    status.textContent = 'Cancelling…';
  });

  function set(fraction, text, { eta = true, force = false } = {}) {
    const now = performance.now();
    if (!force && now - lastPaint < 60 && fraction < 1) return; // ~16 repaints a second is plenty
    lastPaint = now;
    bar.value = Math.max(0, Math.min(1, fraction || 0));
    let t = text ?? '';
    if (eta && fraction > 0.02 && fraction < 1) {
      const elapsed = (now - started) / 1000;
      t += ` · about ${fmtDuration((elapsed * (1 - fraction)) / fraction)} left`;
    }
    status.textContent = t;
  }

  /**
   * Run job(signal, set) with the panel live; `buttons` are disabled while
   * it runs. Resolves with the job's value, or undefined after an error or
   * a cancel (both shown in the panel). A run started while another is
   * going aborts the older one, which then resolves undefined without
   * touching the panel: only the newest run's outcome is shown.
   */
  async function run(job, { buttons = [], doneText } = {}) {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    const current = () => controller === mine;
    started = performance.now();
    lastPaint = 0;
    el.dataset.state = 'running';
    error.hidden = true;
    cancel.disabled = false;
    held = buttons;
    for (const b of buttons) b.disabled = true;
    set(0, 'Starting…', { eta: false, force: true });
    try {
      const v = await job(mine.signal, (...a) => current() && set(...a));
      if (!current()) return undefined;
      const seconds = (performance.now() - started) / 1000;
      set(1, typeof doneText === 'function' ? doneText(v, seconds) : doneText ?? `Done in ${fmtDuration(seconds)}.`, { eta: false, force: true });
      el.dataset.state = 'done';
      return v;
    } catch (e) {
      if (!current()) return undefined;
      if (e?.code === 'Cancelled') {
        set(0, 'Cancelled. Nothing was kept from the unfinished run.', { eta: false, force: true });
        el.dataset.state = 'cancelled';
      } else {
        showError(error, e);
        set(0, 'Stopped by an error (see below).', { eta: false, force: true });
        el.dataset.state = 'error';
      }
      return undefined;
    } finally {
      if (current()) {
        cancel.disabled = true;
        for (const b of buttons) b.disabled = false;
        controller = null;
        held = [];
      } else {
        for (const b of buttons) if (!held.includes(b)) b.disabled = false;
      }
    }
  }

  return { el, set, run, get signal() { return controller?.signal; }, error };
}

/** Plain-words explanations of the error codes a user can cause. */
const HINTS = {
  Format: 'The file is not a valid GGUF model, or it is truncated or damaged.',
  Unsupported: 'This model or type is not supported by quantlab.',
  UnknownType: 'This format or file type does not exist in this build.',
  OutOfMemory: 'The browser ran out of memory for this job. WebAssembly can use at most 4 GB: try a smaller model, context or tensor.',
  BadLength: 'The sizes do not fit the format\u2019s block size.',
  InvalidArgument: 'A setting is out of range.',
  NonFinite: 'The data contains NaN or infinite values.',
  Io: 'The file could not be read.',
};

/** Fill `box` with a visible message naming the problem (and keep the page usable). */
export function showError(box, e) {
  const code = e?.code ?? 'Error';
  box.replaceChildren(
    h('strong', {}, HINTS[code] ?? 'Something went wrong.'),
    h('br'),
    h('span', { class: 'error-detail' }, `${code}: ${e?.message ?? e}`),
  );
  box.dataset.code = code;
  box.hidden = false;
}
