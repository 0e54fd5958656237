// The progress panel every long job of the web app runs in
// (web/src/lib/progress.js), loaded as the module it is in Chromium: a run
// started while another is going wins, whatever order the two finish in.
// (The quantize page reads a model's header on every pick: a slow read of
// an earlier pick must not overwrite the newest pick's result.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer } from '../../scripts/serve-web.mjs';
import { launchChromium, root } from './chromium.mjs';

let server, browser, page;

beforeAll(async () => {
  server = await startStaticServer({ root: `${root}/web/src` });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(`${server.url}/lib/dom.js`); // any page of the origin, so the modules import
  // A string, not a function: Vitest would rewrite a function's import().
  await page.evaluate(`(async () => {
    const { progressPanel } = await import('/lib/progress.js');
    // Jobs that finish when the test says: window.finish(name, value | Error).
    const pending = {};
    window.finish = (name, v) => pending[name](v);
    window.job = (name) => (signal) => new Promise((resolve, reject) => {
      pending[name] = (v) => (v instanceof Error ? reject(v) : resolve(v));
      signal.addEventListener('abort', () => (window.aborted ??= []).push(name));
    });
    window.makePanel = () => {
      const p = progressPanel({ label: 'test' });
      document.body.replaceChildren(p.el);
      return p;
    };
  })()`);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const state = () => page.evaluate(() => {
  const el = document.querySelector('.progress-panel');
  return {
    state: el.dataset.state,
    status: el.querySelector('.status').textContent,
    error: el.querySelector('.error-box').hidden ? null : el.querySelector('.error-box').textContent,
    cancelDisabled: el.querySelector('button').disabled,
  };
});

describe('progress panel', () => {
  it('shows the newer run when the older one finishes last, and aborts the older one', async () => {
    const r = await page.evaluate(async () => {
      window.aborted = [];
      const p = window.makePanel();
      const a = p.run(window.job('a'), { doneText: 'a done' });
      const b = p.run(window.job('b'), { doneText: 'b done' });
      window.finish('b', 'B');
      const vb = await b;
      window.finish('a', 'A');
      const va = await a;
      return { va: va === undefined ? 'nothing' : va, vb, aborted: window.aborted };
    });
    expect(r).toEqual({ va: 'nothing', vb: 'B', aborted: ['a'] });
    expect(await state()).toEqual({ state: 'done', status: 'b done', error: null, cancelDisabled: true });
  });

  it('keeps the newer run live when the older one fails after it started', async () => {
    await page.evaluate(async () => {
      const p = window.makePanel();
      const a = p.run(window.job('a'));
      window.pb = p.run(window.job('b'), { doneText: 'b done' });
      window.finish('a', Object.assign(new Error('not a valid GGUF model'), { code: 'Format' }));
      await a;
    });
    expect(await state()).toEqual({ state: 'running', status: 'Starting…', error: null, cancelDisabled: false });
    await page.evaluate(async () => {
      window.finish('b', 1);
      await window.pb;
    });
    expect((await state()).state).toBe('done');
  });

  it('gives back the older run\u2019s buttons unless the newer run holds them', async () => {
    const r = await page.evaluate(async () => {
      const [x, y] = [document.createElement('button'), document.createElement('button')];
      const p = window.makePanel();
      const a = p.run(window.job('a'), { buttons: [x, y] });
      const b = p.run(window.job('b'), { buttons: [y] });
      window.finish('a', 1);
      await a;
      const during = [x.disabled, y.disabled];
      window.finish('b', 1);
      await b;
      return { during, after: [x.disabled, y.disabled] };
    });
    expect(r).toEqual({ during: [false, true], after: [false, false] });
  });
});
