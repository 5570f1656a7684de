#!/usr/bin/env bash
# The one test command (`npm test`): installs what is missing, builds, and runs every test against
# real parts — a local Ironic started by the test run itself, the Pulumi engine and a local
# kube-apiserver built from Go modules (cached per machine outside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*" >&2; }
t0=$(date +%s)

if [ ! -d node_modules/@pulumi/pulumi ]; then
  say "npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

say "build (tsc; links node_modules/pulumi-metal3 to this checkout)"
npm run --silent build

say "Ironic packages"
node bin/pulumi-metal3 ironic install

say "toolchain: pulumi engine, Node.js host, Kubernetes plugin, kube-apiserver"
toolchain_out=$(node bin/pulumi-metal3 toolchain)
bin=$(printf '%s\n' "$toolchain_out" | sed -n 's/^TOOLCHAIN_BIN=//p' | tail -1)
[ -n "$bin" ] || { echo "toolchain did not print TOOLCHAIN_BIN" >&2; exit 1; }
export PATH="$bin:$PATH"

say "tests"
npx mocha --config .mocharc.json "$@"
echo "test run took $(( $(date +%s) - t0 ))s" >&2
