#!/usr/bin/env bash
# The one-command demo (`npm run demo`): a local Ironic with realistically slow fake hardware, a local
# Kubernetes API with the Metal³ CRDs, and `pulumi up` of examples/quickstart on a local file://
# backend. Ends with a table of the hosts. `npm run demo -- destroy` tears it all down.
# `npm run demo -- --bmc ipmi [--hosts N]`: instead, N real IPMI BMCs of the virtual-BMC lab
# (`pulumi-metal3 bmc start`) and examples/lab: one host boots a live ISO served from the local
# Ironic's http_root, the others stay available.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*" >&2; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-metal3"
state="$cache/demo"
mkdir -p "$state/backend"
action=up
bmc=""
lab_hosts=3
while [ $# -gt 0 ]; do
  case "$1" in
    up|destroy) action="$1" ;;
    --bmc) bmc="${2:?--bmc needs a type (ipmi)}"; shift ;;
    --hosts) lab_hosts="${2:?--hosts needs a number}"; shift ;;
    *) echo "usage: npm run demo -- [up|destroy] [--bmc ipmi [--hosts N]]" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$bmc" ] && [ "$bmc" != "ipmi" ]; then echo "--bmc: only ipmi has a lab BMC here (got $bmc)" >&2; exit 2; fi

if [ ! -d node_modules/@pulumi/pulumi ]; then
  say "npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
say "build"
npm run --silent build

say "toolchain"
bin=$(node bin/pulumi-metal3 toolchain | sed -n 's/^TOOLCHAIN_BIN=//p' | tail -1)
export PATH="$bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_BACKEND_URL="file://$state/backend" PULUMI_HOME="$state/pulumi-home"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-pulumi-metal3-demo}"

if [ "$action" = "destroy" ]; then
  say "pulumi destroy"
  pulumi destroy --yes --stack demo || true
  if [ -f examples/lab/Pulumi.lab.yaml ]; then pulumi -C examples/lab destroy --yes --stack lab || true; fi
  node bin/pulumi-metal3 ironic stop --state-dir "$state/ironic" || true
  node bin/pulumi-metal3 bmc stop --state-dir "$state/bmc" || true
  node bin/pulumi-metal3 kube stop --state-dir "$state/kube" || true
  exit 0
fi

say "local Ironic (fake hardware, realistic delays)"
ironic_url=$(node bin/pulumi-metal3 ironic start --state-dir "$state/ironic" \
  --fake-delays "deploy=8:15,inspect=5:10,power=1:3,boot=2:4" | sed -n 's/^IRONIC_URL=//p')
if [ -n "$bmc" ]; then
  say "virtual-BMC lab: $lab_hosts IPMI BMCs"
  # BMC=<address> <user> <password>, one line each. Cipher suite 3: power changes in seconds.
  bmc_lines=$(node bin/pulumi-metal3 bmc start --ipmi "$lab_hosts" --state-dir "$state/bmc" | grep '^BMC=')
  addresses=$(printf '%s\n' "$bmc_lines" | awk '{ sub(/^BMC=/, "", $1); printf "%s\"%s?ciphersuite=3\"", (NR > 1 ? "," : "["), $1 } END { print "]" }')
  # A live "ISO" in the local Ironic's http_root: Ironic's iPXE script only points the machine at it
  # (nothing boots behind these BMCs), and checks its size with a HEAD request.
  mkdir -p "$state/ironic/httpboot/lab"
  printf 'pulumi-metal3 lab live ISO\n' >"$state/ironic/httpboot/lab/live.iso"
  http_url=$(node -e '
    const { stateFiles } = require("./dist/local/ironic");
    const { httpRootServerUrl } = require("./dist/local/http-root");
    const f = stateFiles(process.argv[1]);
    httpRootServerUrl(f.httpRoot, f.dir).then((u) => { if (!u) process.exit(1); console.log(u); });
  ' "$state/ironic")

  say "pulumi up (examples/lab, stack lab)"
  pulumi -C examples/lab stack select --create lab >/dev/null
  pulumi -C examples/lab config set pulumi-metal3:ironicUrl "$ironic_url"
  pulumi -C examples/lab config set bmcAddresses "$addresses"
  # Passwords through stdin, not on a command line; stored encrypted in the stack config.
  printf '%s\n' "$bmc_lines" | awk '{ printf "%s\"%s\"", (NR > 1 ? "," : "["), $3 } END { print "]" }' |
    pulumi -C examples/lab config set --secret bmcPasswords
  pulumi -C examples/lab config set liveIsoUrl "$http_url/lab/live.iso"
  pulumi -C examples/lab up --yes --skip-preview=false

  say "hosts"
  node bin/pulumi-metal3 hosts --ironic-url "$ironic_url"
  cat >&2 <<TXT

The lab demo is running: Ironic at $ironic_url, $lab_hosts IPMI BMCs (node bin/pulumi-metal3 bmc status --state-dir $state/bmc).
Check a BMC:  ipmitool -I lanplus -C 3 -H 127.0.0.1 -p PORT -U admin -P PASSWORD power status   (see $state/bmc/bmc-N.json)
Tear down:    npm run demo -- destroy
TXT
  exit 0
fi

say "local Kubernetes API with the Metal³ CRDs"
kubeconfig=""
# The Metal³ CRDs the package ships (one Metal3Machine CRD: v1beta1+v1beta2), and Cluster API's own
# Machine/Cluster CRDs vendored for the repository (crds/cluster-api).
if kube_out=$(node bin/pulumi-metal3 kube start --state-dir "$state/kube" --crds $(ls crds/*.yaml | grep -v release-1.12) crds/cluster-api 2>"$state/kube-start.log"); then
  kubeconfig=$(printf '%s\n' "$kube_out" | sed -n 's/^KUBECONFIG=//p')
  # The objects go to namespace "metal3", as in a cluster where baremetal-operator runs.
  node -e '
    const { kubeRequest } = require("./dist/local/kube");
    kubeRequest(process.argv[1], "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "metal3" } })
      .then((r) => { if (r.status !== 201 && r.status !== 409) { console.error(JSON.stringify(r.body)); process.exit(1); } });
  ' "$kubeconfig"
else
  echo "kube-apiserver did not start (see $state/kube-start.log); rendering manifests to $state/manifests instead" >&2
fi

say "pulumi up (stack demo)"
pulumi stack select --create demo >/dev/null
pulumi config set pulumi-metal3:ironicUrl "$ironic_url"
pulumi config set --secret bmcPassword "demo-bmc-password"
if [ -n "$kubeconfig" ]; then pulumi config set kubeconfig "$kubeconfig"; pulumi config rm renderDir || true
else pulumi config set renderDir "$state/manifests"; pulumi config rm kubeconfig || true; fi
pulumi up --yes --skip-preview=false

say "hosts"
node bin/pulumi-metal3 hosts --ironic-url "$ironic_url"
cat >&2 <<TXT

The demo is running: Ironic at $ironic_url${kubeconfig:+, Kubernetes API via KUBECONFIG=$kubeconfig}.
Look around:  baremetal --os-endpoint $ironic_url node list   (with OS_AUTH_TYPE=none)
Tear down:    npm run demo -- destroy
TXT
