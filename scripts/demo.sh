#!/usr/bin/env bash
# `npm start`: install what is missing, build the wasm module and serve the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh dist
PORT=${PORT:-5173}
echo "quantlab demo: open http://127.0.0.1:${PORT}/ (Ctrl-C to stop)"
exec npx vite --config web/vite.config.mjs --port "$PORT"
