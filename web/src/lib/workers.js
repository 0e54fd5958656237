// Page-side handles to quantlab workers. Each page gets its own worker (by
// name), so a long perplexity run on one page never queues another page's
// benchmark; all of them run worker/quantlab.worker.js.
import { WorkerClient } from './rpc.js';

const clients = new Map();

function createQuantlabWorker() {
  // Written literally so Vite bundles the worker and its dependencies.
  return new Worker(new URL('../worker/quantlab.worker.js', import.meta.url), { type: 'module', name: 'quantlab' });
}

/** The worker named `name` (created on first use). */
export function worker(name) {
  if (!clients.has(name)) clients.set(name, new WorkerClient(createQuantlabWorker, name));
  return clients.get(name);
}
