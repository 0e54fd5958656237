// The one place the quantlab module lives: every page talks to a worker
// running this file through lib/rpc.js, so quantizing, perplexity and
// benchmarks never block the page.
import { loadQuantlab } from 'quantlab';
import { serve } from '../lib/rpc.js';
import { benchJobs } from './bench_jobs.js';
import { mixedJobs } from './mixed_jobs.js';
import { modelJobs } from './model_jobs.js';
import { quantizeJobs } from './quantize_jobs.js';
import { tensorJobs } from './tensor_jobs.js';

const handlers = {};
const ready = loadQuantlab().then((ql) => {
  const models = modelJobs(ql);
  // The atlas weighs a model tensor by the built-in model's imatrix.
  const computeImatrix = (signal, progress) => models.computeImatrix({ source: { kind: 'builtin' }, ctx: 256, chunks: 0 }, { signal, progress });
  Object.assign(
    handlers,
    {
      info: () => ({
        simd128: ql.simd128,
        wasmVariant: ql.wasmVariant,
        defaultKernel: ql.defaultKernel,
        threads: ql.threads ?? 1,
        formats: ql.formats(),
        fileTypes: ql.quantizeTypes(),
        crossOriginIsolated: self.crossOriginIsolated === true,
        hardwareConcurrency: self.navigator?.hardwareConcurrency ?? 1,
      }),
    },
    tensorJobs(ql, { computeImatrix }),
    models,
    quantizeJobs(ql),
    benchJobs(ql),
    mixedJobs(ql),
  );
});

serve(handlers, ready);
