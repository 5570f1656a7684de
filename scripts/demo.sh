#!/usr/bin/env bash
# The one-command demo (`npm run demo`): a local Ironic with realistically slow fake hardware, a local
# Kubernetes API with the Metal³ CRDs, and `pulumi up` of examples/quickstart on a local file://
# backend. Ends with a table of the hosts. `npm run demo -- destroy` tears it all down.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*" >&2; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-metal3"
state="$cache/demo"
mkdir -p "$state/backend"
action="${1:-up}"

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
  node bin/pulumi-metal3 ironic stop --state-dir "$state/ironic" || true
  node bin/pulumi-metal3 kube stop --state-dir "$state/kube" || true
  exit 0
fi

say "local Ironic (fake hardware, realistic delays)"
ironic_url=$(node bin/pulumi-metal3 ironic start --state-dir "$state/ironic" \
  --fake-delays "deploy=8:15,inspect=5:10,power=1:3,boot=2:4" | sed -n 's/^IRONIC_URL=//p')
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
