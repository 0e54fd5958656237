import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// JS-level suites: the npm API in Node, the packed tarball in a fresh project,
// and the web app in headless Chromium. Files run one at a time: the machine
// has two cores and the browser tests start servers.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['tests/js/**/*.test.mjs', 'tests/package/**/*.test.mjs', 'tests/browser/**/*.test.mjs'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
