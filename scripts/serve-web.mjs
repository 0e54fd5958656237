#!/usr/bin/env node
// A small static file server for the built web app (web/dist): what
// `npm start` runs and what the browser tests serve. By default it sends
// COOP/COEP headers, which make the page cross-origin isolated (needed for
// SharedArrayBuffer, i.e. a threaded wasm module); --no-isolation leaves
// them out, as a plain static host would.
//   node scripts/serve-web.mjs [--port 5173] [--host 127.0.0.1] [--no-isolation] [dir]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gguf': 'application/octet-stream',
  '.map': 'application/json',
};

/** Serve `root`; resolves to {url, port, close()}. */
export function startStaticServer({ root, port = 0, host = '127.0.0.1', isolation = true }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { status: 403 });
      let s = await stat(file).catch(() => null);
      if (s?.isDirectory()) {
        file = join(file, 'index.html');
        s = await stat(file).catch(() => null);
      }
      if (!s?.isFile()) throw Object.assign(new Error('not found'), { status: 404 });
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': s.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(e.status ?? 500, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(e.status === 404 ? 'Not found\n' : e.status === 403 ? 'Forbidden\n' : 'Server error\n');
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = server.address().port;
      resolvePromise({ url: `http://${host}:${p}/`, port: p, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : fallback;
  };
  const port = Number(opt('--port', process.env.PORT ?? 5173));
  const host = opt('--host', '127.0.0.1');
  const noIso = args.includes('--no-isolation');
  const rest = args.filter((a) => !a.startsWith('--'));
  const root = rest[0] ?? fileURLToPath(new URL('../web/dist', import.meta.url));
  const s = await startStaticServer({ root, port, host, isolation: !noIso });
  console.log(`quantlab web app: open ${s.url}  (${noIso ? 'no COOP/COEP headers' : 'cross-origin isolated: COOP/COEP headers sent'}; Ctrl-C to stop)`);
}
