// Colours come from CSS custom properties (style.css), which follow the
// system's light/dark preference; charts re-read them when it changes.
const listeners = new Set();
const media = window.matchMedia?.('(prefers-color-scheme: dark)');
media?.addEventListener?.('change', () => {
  for (const fn of listeners) fn();
});

export function onThemeChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** A qualitative palette readable on both backgrounds (Okabe–Ito, colour-blind safe). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#999933', '#882255'];
