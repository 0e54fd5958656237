#!/usr/bin/env bash
# npm's prepack (npm pack / npm publish): build dist/ and check that every
# file package.json's exports, main, browser and types name is in it, so a
# fresh checkout can never pack an empty package. Fails loudly otherwise.
# Output goes to stderr: `npm pack --json` keeps stdout for its JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  if ! bash scripts/build.sh dist; then
    echo "prepack: building dist/ failed; refusing to pack a package without it" \
         "(a fresh Debian 12 machine needs the apt packages in scripts/install-deps.sh)"
    exit 1
  fi
  node scripts/check-package.mjs
} >&2
