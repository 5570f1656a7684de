#!/usr/bin/env bash
# The lab's tests (test/lab): builds what they need first — the agent's kernel/initramfs/ISO and
# the OS qcow2 (once per machine, cached under ${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/lab),
# the BMCs' Python packages — then boots them in QEMU VMs, and drives one VM through the local
# Ironic (enrol, agent inspection, cleaning, qcow2 deploy: test/lab/ironic-vmedia.test.ts with the
# `baremetal` CLI, test/lab/engine-vmedia.test.ts through `pulumi up` with a BareMetalHost and a
# Machine). Kept out of `npm test` for now: a cold build takes ~25 min on a loaded 2-core machine
# and the boots run under TCG there (docs/LAB.md).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*" >&2; }
t0=$(date +%s)
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
say "build (tsc)"
npm run --silent build
say "lab images: agent (ironic-python-agent 13) and OS qcow2"
node bin/pulumi-metal3 lab images
say "lab tests"
npx mocha --config test/lab/mocharc.json "$@"
echo "lab test run took $(( $(date +%s) - t0 ))s" >&2
