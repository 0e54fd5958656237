// Generate in Chromium: the original and two quantized copies side by side;
// greedy text equals the Node API's on the same model, with tokens/s.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadQuantlab } from '../../dist/node.mjs';
import { openWebApp, resetLongTasks, root } from './chromium.mjs';
import { expectPageQuality, expectResponsive } from './page_checks.mjs';

let app, page;
beforeAll(async () => {
  app = await openWebApp({ route: '#/generate' });
  page = app.page;
  await page.waitForSelector('section[data-page="generate"][data-ready="true"]');
});
afterAll(async () => app?.close());

describe('generate page', () => {
  it('streams greedy text from the original and quantized copies, with tokens/s', async () => {
    const ql = await loadQuantlab();
    const model = await ql.loadModel(new Blob([readFileSync(`${root}/models/quantlab-stories-4M.gguf`)]));
    const want = await model.generateText('Once upon a time', { nPredict: 20, temperature: 0 });
    model.dispose();

    await resetLongTasks(page);
    await page.fill('#gen-card input[type=number] >> nth=0', '20');
    await page.click('#gen-card button[type=submit]');
    await page.waitForSelector('#gen-out[data-status="done"]', { timeout: 120_000 });
    const cards = await page.$$eval('#gen-out .gen-card', (cs) => cs.map((c) => ({ model: c.dataset.model, text: c.querySelector('.gen-text').textContent, tps: Number(c.querySelector('.gen-stats').dataset.tps) })));
    expect(cards.map((c) => c.model)).toEqual(['original', 'Q2_K', 'Q4_K_M']);
    expect(cards[0].text).toBe(want.promptText + want.text);
    for (const c of cards) {
      expect(c.tps).toBeGreaterThan(0);
      expect(c.text.length).toBeGreaterThan(40);
    }
    await expectResponsive(page);
  });

  it('passes axe, fits a phone, logged no errors', async () => {
    await expectPageQuality(app, 'generate');
  });
});
