import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The app imports the npm package by name; that name resolves to the freshly
// built ../dist (scripts/build.sh dist). base './' makes every URL in the
// build relative, so web/dist works from any folder of any static host.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: {
      quantlab: fileURLToPath(new URL('../dist/browser.mjs', import.meta.url)),
    },
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // The built-in model (14.7 MB) and the wasm module are assets, not code.
    chunkSizeWarningLimit: 1000,
    // Rolldown's plugin-timing hint only adds noise to `npm start`'s output.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  // Module workers, so the worker can import the quantlab package (which
  // starts its own converter workers) and share chunks with the page.
  worker: { format: 'es' },
  // The built-in model lives in ../models, outside the app root.
  server: { host: '127.0.0.1', strictPort: false, fs: { allow: ['..'] }, headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
