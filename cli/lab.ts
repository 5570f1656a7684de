// `pulumi-metal3 lab start|stop|status|images`: the command line of the VM lab (../local/lab/
// starts the VMs and their BMCs and builds the images; this file parses arguments and prints).
import { defaultLabStateDir } from "../local/lab/paths";
import { Lab, labStatus, startLab, stopLab } from "../local/lab/lab";
import { ensureAgentImages, ensureOsImage } from "../local/lab/images";
import { startLabVmsIronic } from "../local/lab/ironic-for-lab";

const USAGE = `usage: pulumi-metal3 lab <command> [options]

commands:
  start    N QEMU VMs (libvirt domains, powered off; KVM when /dev/kvm works, else TCG), each with
           a qcow2 disk, one user-mode NIC (the guest reaches this machine's loopback as 10.0.2.2)
           and two BMCs on loopback: Redfish with virtual media (sushy-tools, libvirt driver) and
           IPMI (virtualbmc). Prints one line per VM with its MAC and BMC addresses.
  stop     power off and undefine the VMs, stop the BMCs and the libvirt daemons the lab started
           (disks, MACs and passwords are kept for the next start)
  status   the VMs, their power state and BMC addresses (exit 0 when the BMCs run, 3 otherwise)
  images   build (once per machine, cached) or locate the agent's kernel/ramdisk/ISO
           (ironic-python-agent 13) and the OS qcow2; prints KEY=path lines
  ironic   start (or find running) a local Ironic for the lab's VMs: the agent images as its
           defaults, agent kernel parameters every lab VM shares, generated credentials; prints
           IRONIC_URL, IMAGE_SERVER (its http_root, served on loopback), HTTP_ROOT, IRONIC_USERNAME,
           IRONIC_PASSWORD_FILE, OS_CLIENT_CONFIG_FILE and OS_CLOUD (stop it with \`pulumi-metal3 ironic stop --state-dir DIR\`)

options:
  --vms N              how many VMs (start; default 1)
  --firmware bios|uefi (start; default bios)
  --memory MiB         RAM per VM (start; default 2048)
  --cpus N             vCPUs per VM (start; default 1)
  --disk GiB           disk size per VM (start; default 8; the agent picks a disk of at least 4 GiB)
  --prefix NAME        VM (libvirt domain) names NAME-vm-I (start; default lab): another lab on
                       the same libvirtd needs its own
  --state-dir DIR      disks, records, password files (0600), logs (default ${defaultLabStateDir()});
                       for ironic: Ironic's state (default ${defaultLabStateDir()}-ironic)
`;

function printLab(lab: Lab): void {
    process.stdout.write(`ACCEL=${lab.accel}${lab.accelReason ? ` (${lab.accelReason})` : ""}\n`);
    process.stdout.write(`BMC_USERNAME=${lab.username}\n`);
    process.stdout.write(`REDFISH_PASSWORD_FILE=${lab.redfishPasswordFile}\n`);
    for (const vm of lab.vms) {
        process.stdout.write(
            `VM=${vm.name} MAC=${vm.mac} REDFISH=${vm.redfishAddress} IPMI=${vm.ipmiAddress} IPMI_PASSWORD_FILE=${vm.ipmiPasswordFile} ` +
                `AGENT_PORT=${vm.agentPort} FIRMWARE=${vm.firmware} CONSOLE=${vm.consoleLog}${vm.state ? ` STATE="${vm.state}"` : ""}\n`,
        );
    }
}

/** `pulumi-metal3 lab ...`; resolves to the process exit code. */
export async function labCommand(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    const usage = (message?: string) => {
        if (message) process.stderr.write(`error: ${message}\n\n`);
        process.stderr.write(USAGE);
        return message ? 2 : 0;
    };
    if (!command || ["-h", "--help", "help"].includes(command)) return usage(command ? undefined : "a command is required");
    if (!["start", "stop", "status", "images", "ironic"].includes(command)) return usage(`unknown command "${command}"`);
    let vms = 1;
    let firmware: "bios" | "uefi" | undefined;
    let memoryMiB: number | undefined;
    let cpus: number | undefined;
    let diskGiB: number | undefined;
    let stateDir: string | undefined;
    let prefix: string | undefined;
    for (let i = 0; i < rest.length; i++) {
        const [flag, inline] =
            rest[i].startsWith("--") && rest[i].includes("=")
                ? [rest[i].slice(0, rest[i].indexOf("=")), rest[i].slice(rest[i].indexOf("=") + 1)]
                : [rest[i], undefined];
        const value = () => inline ?? rest[++i];
        const num = (min: number, max: number) => {
            const v = value();
            const n = Number(v);
            if (v === undefined || !Number.isInteger(n) || n < min || n > max)
                throw new Error(`bad ${flag} "${v ?? ""}": a whole number from ${min} to ${max}`);
            return n;
        };
        try {
            switch (flag) {
                case "--vms":
                    vms = num(1, 16);
                    break;
                case "--memory":
                    memoryMiB = num(512, 65536);
                    break;
                case "--cpus":
                    cpus = num(1, 16);
                    break;
                case "--disk":
                    diskGiB = num(4, 1024);
                    break;
                case "--firmware": {
                    const v = value();
                    if (v !== "bios" && v !== "uefi") return usage(`bad --firmware "${v ?? ""}": bios or uefi`);
                    firmware = v;
                    break;
                }
                case "--prefix":
                    prefix = value();
                    if (!prefix) return usage("--prefix needs a value");
                    break;
                case "--state-dir":
                    stateDir = value();
                    if (!stateDir) return usage("--state-dir needs a value");
                    break;
                case "-h":
                case "--help":
                    return usage();
                default:
                    return usage(`unknown option "${rest[i]}"`);
            }
        } catch (err) {
            return usage((err as Error).message);
        }
    }
    try {
        switch (command) {
            case "start":
                printLab(await startLab({ vms, firmware, memoryMiB, cpus, diskGiB, stateDir, prefix }));
                return 0;
            case "stop":
                await stopLab({ stateDir });
                return 0;
            case "status": {
                const lab = await labStatus({ stateDir });
                printLab(lab);
                if (!lab.vms.length) process.stdout.write(`no lab VMs (state ${lab.stateDir})\n`);
                process.stdout.write(`REDFISH_BMC=${lab.redfishRunning ? "running" : "stopped"} IPMI_BMCS=${lab.ipmiRunning ? "running" : "stopped"}\n`);
                return lab.redfishRunning && lab.ipmiRunning ? 0 : 3;
            }
            case "ironic": {
                const agent = await ensureAgentImages();
                const ironic = await startLabVmsIronic({ stateDir: stateDir ?? `${defaultLabStateDir()}-ironic`, agent });
                process.stdout.write(`IRONIC_URL=${ironic.url}\nIMAGE_SERVER=http://127.0.0.1:${ironic.httpPort}\nHTTP_ROOT=${ironic.httpRoot}\n`);
                // The password itself is never printed: it is in IRONIC_PASSWORD_FILE (0600) and clouds.yaml.
                const c = ironic.credentials;
                if (c)
                    process.stdout.write(
                        `IRONIC_USERNAME=${c.username}\nIRONIC_PASSWORD_FILE=${c.passwordFile}\nOS_CLIENT_CONFIG_FILE=${c.cloudsFile}\nOS_CLOUD=${c.cloud}\n`,
                    );
                return 0;
            }
            case "images": {
                const agent = await ensureAgentImages();
                const os = await ensureOsImage();
                process.stdout.write(`AGENT_KERNEL=${agent.kernel}\nAGENT_RAMDISK=${agent.ramdisk}\nAGENT_ISO=${agent.iso}\n`);
                process.stdout.write(`OS_IMAGE=${os.qcow2}\nOS_IMAGE_SHA256=${os.sha256}\n`);
                return 0;
            }
        }
    } catch (err) {
        process.stderr.write(`[lab] error: ${(err as Error).message}\n`);
        return 1;
    }
    return 2;
}
