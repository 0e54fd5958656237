// The tutorial: five steps from one FP32 tensor to the memory a 70B model
// needs. Steps 1-3 share a tensor that lives in this page's worker.
import { h } from '../../lib/dom.js';
import { worker } from '../../lib/workers.js';
import { step1 } from './step1_tensor.js';
import { step2 } from './step2_quantize.js';
import { step3 } from './step3_compare.js';
import { step4 } from './step4_perplexity.js';
import { step5 } from './step5_memory.js';

export async function mount(root, app) {
  const info = await app.info;
  const ctx = { info, worker: worker('tutorial'), events: new EventTarget() };
  root.append(
    h('h1', { id: 'tutorial-title' }, 'Quantization, step by step'),
    h('p', { class: 'lede' },
      'Quantization stores a model\u2019s weights in fewer bits. Follow the five steps: make a weight tensor, ',
      'quantize it, measure what was lost, see what that does to a real model\u2019s perplexity, and what it ',
      'saves in memory. Each step shows the few lines of the quantlab npm API that do the same thing.'),
    h('nav', { 'aria-label': 'Steps', class: 'row' },
      ['Make a tensor', 'Quantize', 'Compare', 'Perplexity', 'Memory'].map((t, i) =>
        h('a', { href: `#/tutorial/step-${i + 1}` }, `${i + 1}. ${t}`))),
    step1(ctx), step2(ctx), step3(ctx), step4(ctx), step5(ctx),
  );
  ctx.events.dispatchEvent(new Event('mounted'));
}
