import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The app imports the npm package by name; during development that name
// resolves to the freshly built ../dist (scripts/build.sh dist).
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
  },
  // The built-in model lives in ../models, outside the app root.
  server: { host: '127.0.0.1', strictPort: false, fs: { allow: ['..'] } },
  preview: { host: '127.0.0.1' },
});
