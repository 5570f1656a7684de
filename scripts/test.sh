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

say "lint (prettier --check, eslint)"
npm run --silent lint

say "Ironic packages: Ironic from PyPI in a virtual environment built once per machine (~/.cache/pulumi-metal3/ironic-venv)"
ironic_out=$(node bin/pulumi-metal3 ironic install)
ironic_bin=$(printf '%s\n' "$ironic_out" | sed -n 's/^IRONIC_BIN=//p' | tail -1)
[ -n "$ironic_bin" ] || { echo "ironic install did not print IRONIC_BIN" >&2; exit 1; }
# `baremetal` (python-ironicclient) from the same environment as the Ironic the tests start.
export PATH="$ironic_bin:$PATH"

say "toolchain: pulumi engine, Node.js, Python and Go hosts, Kubernetes plugin, kube-apiserver"
toolchain_out=$(node bin/pulumi-metal3 toolchain)
bin=$(printf '%s\n' "$toolchain_out" | sed -n 's/^TOOLCHAIN_BIN=//p' | tail -1)
[ -n "$bin" ] || { echo "toolchain did not print TOOLCHAIN_BIN" >&2; exit 1; }
export PATH="$bin:$PATH"

say "tests"
npx mocha --config .mocharc.json "$@"
echo "test run took $(( $(date +%s) - t0 ))s" >&2
