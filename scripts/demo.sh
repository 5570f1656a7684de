#!/usr/bin/env bash
# The one-command demo (`npm run demo`): a local Ironic with realistically slow fake hardware, a local
# Kubernetes API with the Metal³ CRDs, and `pulumi up` of examples/quickstart on a local file://
# backend. Ends with a table of the hosts. `npm run demo -- destroy` tears it all down.
# `npm run demo -- --bmc ipmi|redfish [--hosts N]`: instead, N real BMCs of the virtual-BMC lab
# (`pulumi-metal3 bmc start`: IPMI BMCs, or sushy-tools' Redfish emulator over HTTPS with a
# self-signed certificate) and examples/lab: one host boots a live ISO served from the local
# Ironic's http_root (on Redfish through the BMC's virtual media), the others stay available.
# `npm run demo -- --vms N`: N QEMU VMs, the real agent, an OS image deployed by a Machine per VM
# (scripts/demo-vms.sh, examples/lab-vms).
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- VM lab demo: `--vms N` runs scripts/demo-vms.sh instead (QEMU VMs, the real agent, an OS
# deployed by a Machine); `destroy` tears it down first (a no-op when it never ran), and stops
# here, non-zero, when its `pulumi destroy` fails. ----
case " $* " in
  *" --vms "* | *" --vms="*) exec bash scripts/demo-vms.sh "$@" ;;
  *" destroy "*) bash scripts/demo-vms.sh destroy ;;
esac
# ---- end VM lab demo ----
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
    --bmc) bmc="${2:?--bmc needs a type (ipmi or redfish)}"; shift ;;
    --hosts) lab_hosts="${2:?--hosts needs a number}"; shift ;;
    *) echo "usage: npm run demo -- [up|destroy] [--bmc ipmi|redfish [--hosts N]]" >&2; exit 2 ;;
  esac
  shift
done
case "$bmc" in ""|ipmi|redfish) ;; *) echo "--bmc: the lab has ipmi and redfish BMCs (got $bmc)" >&2; exit 2 ;; esac

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

# Whether the backend holds stack $2 of the project in directory $1 (never created: nothing to destroy).
has_stack() { pulumi -C "$1" stack ls --json 2>/dev/null | grep -q "\"name\": \"$2\""; }

if [ "$action" = "destroy" ]; then
  say "pulumi destroy"
  failed=""
  if has_stack . demo; then pulumi destroy --yes --stack demo || failed="demo"; fi
  if [ -f examples/lab/Pulumi.lab.yaml ] && has_stack examples/lab lab; then
    pulumi -C examples/lab destroy --yes --stack lab || failed="${failed:+$failed, }lab (examples/lab)"
  fi
  if [ -n "$failed" ]; then
    # Stopping Ironic and the API server now would leave the nodes and the stack's resources
    # behind, and the next `npm run demo` would find them all "unchanged".
    echo "demo destroy: \`pulumi destroy\` failed for stack $failed (its error is above); Ironic, the BMCs and the Kubernetes API are left running with what remains (\`pulumi stack --stack demo\` lists it). Fix the cause and run \`npm run demo -- destroy\` again." >&2
    exit 1
  fi
  node bin/pulumi-metal3 ironic stop --state-dir "$state/ironic" || true
  node bin/pulumi-metal3 bmc stop --state-dir "$state/bmc" || true
  node bin/pulumi-metal3 kube stop --state-dir "$state/kube" || true
  exit 0
fi

say "local Ironic (fake hardware, realistic delays)"
# Authenticated (ironic start's default): a generated user and password, kept in the state dir
# (ironic-password and clouds.yaml, 0600). It prints IRONIC_URL, OS_CLIENT_CONFIG_FILE and OS_CLOUD.
ironic_vars=$(node bin/pulumi-metal3 ironic start --state-dir "$state/ironic" \
  --fake-delays "deploy=8:15,inspect=5:10,power=1:3,boot=2:4")
ironic_url=$(printf '%s\n' "$ironic_vars" | sed -n 's/^IRONIC_URL=//p')
# `pulumi-metal3 hosts` and `baremetal` below find the credentials through these two.
export OS_CLIENT_CONFIG_FILE OS_CLOUD
OS_CLIENT_CONFIG_FILE=$(printf '%s\n' "$ironic_vars" | sed -n 's/^OS_CLIENT_CONFIG_FILE=//p')
OS_CLOUD=$(printf '%s\n' "$ironic_vars" | sed -n 's/^OS_CLOUD=//p')
if [ -z "$OS_CLOUD" ]; then
  # An Ironic an older demo started (noauth) is still running on this state dir.
  echo "the demo's Ironic ($ironic_url) runs without authentication: stop it with \`node bin/pulumi-metal3 ironic stop --state-dir $state/ironic\` and run the demo again" >&2
  exit 1
fi
unset OS_ENDPOINT IRONIC_URL OS_AUTH_TYPE OS_USERNAME OS_PASSWORD OS_TOKEN
# The stack's Ironic: URL, user and (encrypted in the stack config, through stdin, never on a
# command line) the generated password. $1: the project directory.
set_ironic_config() {
  pulumi -C "$1" config set pulumi-metal3:ironicUrl "$ironic_url"
  pulumi -C "$1" config set pulumi-metal3:ironicAuthType http_basic
  pulumi -C "$1" config set pulumi-metal3:ironicUsername pulumi-metal3
  head -n 1 "$state/ironic/ironic-password" | tr -d '\n' | pulumi -C "$1" config set --secret pulumi-metal3:ironicPassword
}
if [ -n "$bmc" ]; then
  if [ "$bmc" = "redfish" ]; then
    say "virtual-BMC lab: sushy-tools Redfish emulator, $lab_hosts systems (HTTPS, self-signed)"
    # BMC=<address> <user> <password> BOOT_MAC=<mac>, one line per system. Host 0 boots its ISO
    # through virtual media: redfish-virtualmedia+https://; the others plain redfish+https://.
    bmc_lines=$(node bin/pulumi-metal3 bmc start --redfish "$lab_hosts" --tls --state-dir "$state/bmc" | grep '^BMC=')
    addresses=$(printf '%s\n' "$bmc_lines" | awk '{ sub(/^BMC=/, "", $1); if (NR == 1) sub(/^redfish\+/, "redfish-virtualmedia+", $1); printf "%s\"%s\"", (NR > 1 ? "," : "["), $1 } END { print "]" }')
    boot_macs=$(printf '%s\n' "$bmc_lines" | awk '{ sub(/^BOOT_MAC=/, "", $4); printf "%s\"%s\"", (NR > 1 ? "," : "["), $4 } END { print "]" }')
  else
    say "virtual-BMC lab: $lab_hosts IPMI BMCs"
    # BMC=<address> <user> <password>, one line each. Cipher suite 3: power changes in seconds.
    bmc_lines=$(node bin/pulumi-metal3 bmc start --ipmi "$lab_hosts" --state-dir "$state/bmc" | grep '^BMC=')
    addresses=$(printf '%s\n' "$bmc_lines" | awk '{ sub(/^BMC=/, "", $1); printf "%s\"%s?ciphersuite=3\"", (NR > 1 ? "," : "["), $1 } END { print "]" }')
  fi
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
  set_ironic_config examples/lab
  pulumi -C examples/lab config set bmcAddresses "$addresses"
  # Passwords through stdin, not on a command line; stored encrypted in the stack config.
  printf '%s\n' "$bmc_lines" | awk '{ printf "%s\"%s\"", (NR > 1 ? "," : "["), $3 } END { print "]" }' |
    pulumi -C examples/lab config set --secret bmcPasswords
  pulumi -C examples/lab config set liveIsoUrl "$http_url/lab/live.iso"
  if [ "$bmc" = "redfish" ]; then
    pulumi -C examples/lab config set bootMacs "$boot_macs"
    pulumi -C examples/lab config set disableCertificateVerification true
  else
    pulumi -C examples/lab config rm bootMacs >/dev/null 2>&1 || true
    pulumi -C examples/lab config rm disableCertificateVerification >/dev/null 2>&1 || true
  fi
  pulumi -C examples/lab up --yes --skip-preview=false

  say "hosts"
  node bin/pulumi-metal3 hosts
  cat >&2 <<TXT

The lab demo is running: Ironic at $ironic_url (user pulumi-metal3, password in $state/ironic/ironic-password), $lab_hosts $bmc BMCs (node bin/pulumi-metal3 bmc status --state-dir $state/bmc).
Check a BMC:  ipmitool -I lanplus -C 3 -H 127.0.0.1 -p PORT -U admin -P PASSWORD power status   (see $state/bmc/bmc-N.json)
         or:  curl -k -u admin:PASSWORD https://127.0.0.1:PORT/redfish/v1/Systems/UUID   (see $state/bmc/redfish/redfish.json)
Tear down:    npm run demo -- destroy
TXT
  exit 0
fi

say "local Kubernetes API with the Metal³ CRDs"
kubeconfig=""
# `--crds` alone: every baremetal-operator and CAPM3 CRD the package ships (the Metal3Machine CRD
# serving v1beta1+v1beta2), and Cluster API's own Machine/Cluster CRDs vendored for the repository.
if kube_out=$(node bin/pulumi-metal3 kube start --state-dir "$state/kube" --crds 2>"$state/kube-start.log"); then
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
set_ironic_config .
pulumi config set --secret bmcPassword "demo-bmc-password"
# The stack's owner key (docs/SECURITY.md#ownership): the Machine claims only hosts keyed under it.
pulumi config get pulumi-metal3:ownerKey >/dev/null 2>&1 || node bin/pulumi-metal3 owner-key --set
if [ -n "$kubeconfig" ]; then pulumi config set kubeconfig "$kubeconfig"; pulumi config rm renderDir || true
else pulumi config set renderDir "$state/manifests"; pulumi config rm kubeconfig || true; fi
pulumi up --yes --skip-preview=false

say "hosts"
node bin/pulumi-metal3 hosts
cat >&2 <<TXT

The demo is running: Ironic at $ironic_url (user pulumi-metal3, password in $state/ironic/ironic-password)${kubeconfig:+, Kubernetes API via KUBECONFIG=$kubeconfig}.
Look around:  export OS_CLIENT_CONFIG_FILE=$OS_CLIENT_CONFIG_FILE OS_CLOUD=$OS_CLOUD
              $(node bin/pulumi-metal3 ironic install 2>/dev/null | sed -n 's/^IRONIC_BIN=//p')/baremetal node list
Tear down:    npm run demo -- destroy
TXT
