// The pages of the app, in navigation order. Adding a page is one module
// under pages/ that exports mount(root, app), plus one entry here.
export const pages = [
  { path: 'tutorial', title: 'Tutorial', load: () => import('./tutorial/tutorial.js') },
  { path: 'atlas', title: 'Format atlas', load: () => import('./atlas/atlas.js') },
  { path: 'benchmark', title: 'Benchmark', load: () => import('./benchmark.js') },
  { path: 'perplexity', title: 'Perplexity lab', load: () => import('./perplexity.js') },
  { path: 'quantize', title: 'Quantize a model', load: () => import('./quantize.js') },
  { path: 'mixed', title: 'Mixed precision', load: () => import('./mixed.js') },
  { path: 'generate', title: 'Generate', load: () => import('./generate.js') },
];
