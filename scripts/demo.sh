#!/usr/bin/env bash
# `npm start`: install what is missing, build the wasm module and the static
# web app (web/dist), and serve it with COOP/COEP headers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh web
exec node scripts/serve-web.mjs --port "${PORT:-5173}" web/dist
