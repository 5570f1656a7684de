// Dispatches `pulumi-metal3 <command> ...` to the module that owns the command. Each command
// module exports `(argv) => Promise<exit code>`; this file only routes and prints usage.

const USAGE = `usage: pulumi-metal3 <command> [options]

commands:
  ironic start|stop|status|install   a local standalone Ironic (fake hardware) on loopback
  bmc start|stop|status --ipmi N     N virtual IPMI BMCs on loopback (the lab real-BMC tests run against);
                                     --redfish N [--tls]: sushy-tools' Redfish emulator with N systems
  lab start|stop|status|images       N QEMU VMs with Redfish (virtual media) and IPMI BMCs; agent and OS images
  kube start|stop|status             a local etcd + kube-apiserver; the Metal³ CRDs only with --crds
  toolchain [--no-kube-apiserver]    build or locate pulumi, its Node.js host and plugins (prints TOOLCHAIN_BIN=)
  make-host [options] NAME           print a BareMetalHost declaration (TypeScript, or --yaml manifests)
  hosts [--ironic-url URL] [--all]   table of the nodes pulumi-metal3 manages (--all: every node): name,
                                     state, power, the Machine holding it, node UUID
  owner-key [--set [--plugin]]       a new stack owner key (prints it, or sets pulumi-metal3:ownerKey as a secret)
`;

type Command = (argv: string[]) => Promise<number>;

// Loaded lazily so that `pulumi-metal3 ironic ...` does not load the Kubernetes or Pulumi code.
const commands: Record<string, () => Command> = {
    ironic: () => require("./ironic").ironicCommand,
    bmc: () => require("./bmc").bmcCommand,
    lab: () => require("./lab").labCommand,
    kube: () => require("./kube").kubeCommand,
    toolchain: () => require("./toolchain").toolchainCommand,
    "make-host": () => require("./make-host").makeHostCommand,
    hosts: () => require("./hosts").hostsCommand,
    "owner-key": () => require("./owner-key").ownerKeyCommand,
};

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name === "-h" || name === "--help" || name === "help") {
        process.stdout.write(USAGE);
        return name ? 0 : 2;
    }
    const load = commands[name];
    if (!load) {
        process.stderr.write(`pulumi-metal3: unknown command "${name}"\n\n${USAGE}`);
        return 2;
    }
    return load()(rest);
}
