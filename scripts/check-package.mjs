// Checks that every file package.json names for consumers (exports, main,
// browser, types) exists: run by prepack, and by tests/package against a
// package without dist/. Exits 1 listing what is missing.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Every file path the package's entry fields and exports map name. */
export function namedFiles(pkg) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === 'string') out.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  for (const k of ['main', 'browser', 'types', 'module']) walk(pkg[k]);
  return [...out].sort();
}

if (import.meta.url === `file://${resolve(process.argv[1])}`) {
  const dir = resolve(process.argv[2] ?? '.');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const missing = namedFiles(pkg).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    console.error(`check-package: package.json names ${missing.length} file(s) that do not exist: ${missing.join(', ')}`);
    console.error('check-package: run `bash scripts/build.sh dist` first; refusing to pack an incomplete package');
    process.exit(1);
  }
  console.error(`check-package: all ${namedFiles(pkg).length} files named by package.json exist`);
}
