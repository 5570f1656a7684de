#!/usr/bin/env bash
# `npm run demo -- --vms N` (scripts/demo.sh hands every `--vms` run here): the seed's local
# environment in one command — N QEMU VMs with their BMCs (`pulumi-metal3 lab start`: Redfish with
# virtual media, and IPMI), the agent and OS images (`pulumi-metal3 lab images`, built once per
# machine), a local Ironic with the agent images as its defaults (`pulumi-metal3 lab ironic`), and
# `pulumi up` of examples/lab-vms: a BareMetalHost per VM (enrolled, inspected by the agent, cleaned)
# and a Machine per host deploying the OS qcow2 by Redfish virtual media. Ends with a table of the
# hosts, their Machines and each VM's serial-console line (the hostname from metaData, the line its
# userData printed). `npm run demo -- destroy` (or `bash scripts/demo-vms.sh destroy`) runs
# `pulumi destroy` (deprovisioning: the agent cleans each disk), then stops Ironic, the VMs and BMCs.
# Under TCG (no KVM) every boot of a VM takes minutes: docs/LAB.md has the times.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*" >&2; }
t0=$(date +%s)
took() { echo "$(( $(date +%s) - t0 )) s"; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-metal3"
state="$cache/demo-vms"
project=examples/lab-vms
stack=vms
action=up
vms=2
while [ $# -gt 0 ]; do
  case "$1" in
    up|destroy) action="$1" ;;
    --vms) vms="${2:?--vms needs a number}"; shift ;;
    --vms=*) vms="${1#--vms=}" ;;
    *) echo "usage: npm run demo -- [up] --vms N | npm run demo -- destroy" >&2; exit 2 ;;
  esac
  shift
done
case "$vms" in [1-9]|1[0-6]) ;; *) echo "--vms: a whole number from 1 to 16 (got $vms)" >&2; exit 2 ;; esac
# Nothing to tear down when no VM demo ever ran (scripts/demo.sh calls this on every destroy).
if [ "$action" = destroy ] && [ ! -d "$state" ]; then exit 0; fi
mkdir -p "$state/backend"

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
has_stack() { pulumi -C "$project" stack ls --json 2>/dev/null | grep -q "\"name\": \"$stack\""; }
# KEY=value lines of a command's output: value of KEY.
field() { printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1; }

# The VMs, their BMCs and the lab's Ironic; all idempotent (a running lab or Ironic is kept).
# Destroy needs them too: deprovisioning boots the agent in each VM to clean its disk.
start_lab() {
  say "lab: $1 QEMU VMs with Redfish (virtual media) and IPMI BMCs"
  lab_out=$(node bin/pulumi-metal3 lab start --vms "$1" --prefix demo --state-dir "$state/lab")
  printf '%s\n' "$lab_out" | sed -n 's/^ACCEL=/accelerator: /p' >&2
  echo "$1" > "$state/vms"
  say "local Ironic for the lab (agent images as its defaults, generated credentials)"
  ironic_out=$(node bin/pulumi-metal3 lab ironic --state-dir "$state/ironic")
  ironic_url=$(field IRONIC_URL "$ironic_out")
  export OS_CLIENT_CONFIG_FILE OS_CLOUD
  OS_CLIENT_CONFIG_FILE=$(field OS_CLIENT_CONFIG_FILE "$ironic_out")
  OS_CLOUD=$(field OS_CLOUD "$ironic_out")
  unset OS_ENDPOINT IRONIC_URL OS_AUTH_TYPE OS_USERNAME OS_PASSWORD OS_TOKEN
}

if [ "$action" = destroy ]; then
  failed=""
  # Resources left in the stack (none after a finished destroy, or when `up` never ran).
  if has_stack && pulumi -C "$project" stack export --stack "$stack" 2>/dev/null | grep -q '"urn":'; then
    start_lab "$(cat "$state/vms" 2>/dev/null || echo 1)"
    say "pulumi destroy (examples/lab-vms, stack $stack): each host is deprovisioned (the agent cleans its disk) and deleted"
    pulumi -C "$project" destroy --yes --stack "$stack" || failed=1
  fi
  if [ -n "$failed" ]; then
    echo "demo destroy: \`pulumi destroy\` of the VM demo (examples/lab-vms, stack $stack) failed (its error is above); the VMs, BMCs and Ironic are left running with what remains. Fix the cause and run \`npm run demo -- destroy\` again." >&2
    exit 1
  fi
  say "stopping the VM demo's Ironic, VMs and BMCs"
  node bin/pulumi-metal3 ironic stop --state-dir "$state/ironic" || true
  node bin/pulumi-metal3 lab stop --state-dir "$state/lab"
  # The consoles belong to the VMs just undefined: the next demo's table must not show their lines.
  rm -f "$state"/lab/*.console.log
  echo "VM demo torn down in $(took)" >&2
  exit 0
fi

say "lab images: the agent (ironic-python-agent 13) and the OS qcow2 (built once per machine, cached)"
images=$(node bin/pulumi-metal3 lab images)
start_lab "$vms"
# The OS image from Ironic's own image server (a file:// image_source fails in ironic 39.0.0, docs/LAB.md).
http_root=$(field HTTP_ROOT "$ironic_out")
mkdir -p "$http_root/lab-images"
cmp -s "$(field OS_IMAGE "$images")" "$http_root/lab-images/os.qcow2" || cp "$(field OS_IMAGE "$images")" "$http_root/lab-images/os.qcow2"

say "pulumi up (examples/lab-vms, stack $stack): enrol, agent inspection, cleaning, then a Machine per host deploys the OS by virtual media"
pulumi -C "$project" stack select --create "$stack" >/dev/null
pulumi -C "$project" config set pulumi-metal3:ironicUrl "$ironic_url"
pulumi -C "$project" config set pulumi-metal3:ironicAuthType http_basic
pulumi -C "$project" config set pulumi-metal3:ironicUsername "$(field IRONIC_USERNAME "$ironic_out")"
# Passwords through stdin, never on a command line; stored encrypted in the stack config.
head -n 1 "$(field IRONIC_PASSWORD_FILE "$ironic_out")" | tr -d '\n' | pulumi -C "$project" config set --secret pulumi-metal3:ironicPassword
head -n 1 "$(field REDFISH_PASSWORD_FILE "$lab_out")" | tr -d '\n' | pulumi -C "$project" config set --secret bmcPassword
pulumi -C "$project" config set bmcUsername "$(field BMC_USERNAME "$lab_out")"
# VM=<name> MAC=<mac> REDFISH=<address> ...: one host per VM, named after it.
vms_json=$(printf '%s\n' "$lab_out" | grep '^VM=' | head -n "$vms" | awk '{
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
  printf "%s{\"name\":\"%s\",\"bmcAddress\":\"%s\",\"bootMac\":\"%s\"}", (NR > 1 ? "," : "["), v["VM"], v["REDFISH"], v["MAC"] } END { print "]" }')
pulumi -C "$project" config set vms "$vms_json"
pulumi -C "$project" config set deployKernel "file://$(field AGENT_KERNEL "$images")"
pulumi -C "$project" config set deployRamdisk "file://$(field AGENT_RAMDISK "$images")"
pulumi -C "$project" config set imageUrl "$(field IMAGE_SERVER "$ironic_out")/lab-images/os.qcow2"
pulumi -C "$project" config set imageChecksum "$(field OS_IMAGE_SHA256 "$images")"
# The stack's owner key (docs/SECURITY.md#ownership): the Machines claim only hosts keyed under it.
pulumi -C "$project" config get pulumi-metal3:ownerKey >/dev/null 2>&1 || node bin/pulumi-metal3 owner-key --set --cwd "$project" --stack "$stack"
up_t0=$(date +%s)
pulumi -C "$project" up --yes --skip-preview=false --stack "$stack"
echo "pulumi up took $(( $(date +%s) - up_t0 )) s" >&2

# Each VM boots the OS it was given: its serial console (a file the lab keeps) shows the hostname
# the config drive carried (metaData) and the line the userData script printed (build-os-image.sh).
say "waiting for each VM's console: the OS's hostname and its userData line (a boot under TCG takes minutes)"
deadline=$(( $(date +%s) + 30 * 60 ))
for name in $(printf '%s\n' "$lab_out" | grep '^VM=' | head -n "$vms" | sed 's/^VM=\([^ ]*\).*/\1/'); do
  console=$(printf '%s\n' "$lab_out" | grep "^VM=$name " | sed 's/.* CONSOLE=\([^ ]*\).*/\1/')
  until grep -aq "pulumi-metal3 demo: user-data ran on $name-os" "$console" 2>/dev/null; do
    if [ "$(date +%s)" -gt "$deadline" ]; then echo "$name: no userData line on $console within 30 min" >&2; break; fi
    sleep 10
  done
done

say "hosts"
# The hosts as Ironic has them now (a BareMetalHost's own outputs are from its last update, before its Machine deployed).
node bin/pulumi-metal3 hosts
echo
console_lines=$(for name in $(printf '%s\n' "$lab_out" | grep '^VM=' | head -n "$vms" | sed 's/^VM=\([^ ]*\).*/\1/'); do
  console=$(printf '%s\n' "$lab_out" | grep "^VM=$name " | sed 's/.* CONSOLE=\([^ ]*\).*/\1/')
  host_line=$(grep -a "lab-os: hostname " "$console" 2>/dev/null | tail -n 1 | tr -d '\r' | sed 's/.*\(lab-os: hostname [^ ]*\).*/\1/')
  user_line=$(grep -a "pulumi-metal3 demo: user-data ran on " "$console" 2>/dev/null | tail -n 1 | tr -d '\r' | sed 's/.*\(user-data ran on [^ "]*\).*/\1/')
  printf '%s\t%s | %s\n' "$name" "${host_line:-(no hostname line yet)}" "${user_line:-(no userData line yet)}"
done)
pulumi -C "$project" stack output machines --json --stack "$stack" | CONSOLE_LINES="$console_lines" node -e '
  const rows = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const consoles = Object.fromEntries(process.env.CONSOLE_LINES.split("\n").filter(Boolean).map((l) => l.split("\t")));
  const table = [["VM", "CPUS", "RAM MiB", "MACHINE", "SERIAL CONSOLE (metaData hostname | userData line)"]];
  for (const r of rows) table.push([r.vm, String(r.cpus ?? ""), String(r.ramMebibytes ?? ""), r.machine, consoles[r.vm] ?? "(no console)"]);
  const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) console.log(row.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
'
cat >&2 <<TXT

The VM demo is running ($(took) in all): $vms QEMU VMs (node bin/pulumi-metal3 lab status --state-dir $state/lab), their consoles in $state/lab/demo-vm-*.console.log,
Ironic at $ironic_url (user $(field IRONIC_USERNAME "$ironic_out"), password in $(field IRONIC_PASSWORD_FILE "$ironic_out")).
Look around:  export OS_CLIENT_CONFIG_FILE=$OS_CLIENT_CONFIG_FILE OS_CLOUD=$OS_CLOUD
              $(node bin/pulumi-metal3 ironic install 2>/dev/null | sed -n 's/^IRONIC_BIN=//p')/baremetal node list
Tear down:    npm run demo -- destroy   (deprovisions: each VM boots the agent again to clean its disk)
TXT
