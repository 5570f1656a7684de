// An Ironic (local/ironic.ts startIronic, unchanged defaults but noauth) configured for the lab's VMs: the
// agent in a VM reaches this machine only through QEMU user-mode networking, where this
// machine's loopback is 10.0.2.2, while the BMC (sushy-tools, on this machine) uses 127.0.0.1.
// Everything below is an option of startIronic; see docs/LAB.md "Through Ironic".

import * as fs from "fs";
import * as net from "net";
import { ensureHttpRootServer } from "../http-root";
import { ExtraIronicConfig, ironicStatus, Logger, RunningIronic, startIronic, stateFiles } from "../ironic";
import { AgentImages } from "./images";
import { ensureIronicLabTools } from "./packages";
import { labCacheDir } from "./paths";
import { LabVm } from "./lab";

/** This machine's loopback as a QEMU user-mode guest sees it (QEMU's slirp host address). */
export const GUEST_HOST_ADDRESS = "10.0.2.2";

export interface LabIronicOptions {
    stateDir: string;
    agent: AgentImages;
    /** Ironic API port; a free one when unset (it must be known before the config is written). */
    port?: number;
    /** Directories Ironic may read `file://` images from; the lab's cache always. */
    fileRoots?: string[];
    log?: Logger;
}

/** A free loopback TCP port (closed again at once). */
export function freeLoopbackPort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** The ironic.conf options the lab needs beyond startIronic's own (docs/LAB.md says why each). */
export function labIronicConfig(apiPort: number, fileRoots: string[]): ExtraIronicConfig {
    return {
        DEFAULT: {
            // Ironic builds BIOS-bootable virtual-media ISOs of the agent's kernel and initramfs
            // (ironic/common/images.py create_isolinux_image_for_bios); Debian's isolinux/syslinux paths.
            isolinux_bin: "/usr/lib/ISOLINUX/isolinux.bin",
            ldlinux_c32: "/usr/lib/syslinux/modules/bios/ldlinux.c32",
        },
        deploy: {
            // The agent's ipa-api-url (and inspection callback) for virtual-media boots
            // (ironic/drivers/modules/image_utils.py override_api_url).
            external_callback_url: `http://${GUEST_HOST_ADDRESS}:${apiPort}`,
            // The lab's VMs boot with SeaBIOS; the agent ISO and the OS image are BIOS-only.
            default_boot_mode: "bios",
            // Metadata erase only (what Metal³ configures): a full shred of a disk under TCG takes hours.
            erase_devices_priority: "0",
            erase_devices_metadata_priority: "10",
        },
        api: {
            // The agent heartbeats every 30–60 % of this (Ironic's default 300 s: a step finished by the
            // agent waits up to 3 min for Ironic to notice); each lab boot is slow enough already.
            ramdisk_heartbeat_timeout: "60",
        },
        conductor: {
            // file:// agent images and OS images from the lab's cache (ironic/common/image_service.py
            // FileImageService: only allow-listed directories).
            file_url_allowed_paths: ["/var/lib/ironic", ...fileRoots].join(","),
            // Agent boots under TCG take minutes; Ironic's defaults (30 min) leave little room for two.
            deploy_callback_timeout: "3600",
        },
    };
}

export interface LabIronic extends RunningIronic {
    /** Loopback port of Ironic's image server (http_url): the agent reaches it through lab-loopback-ports. */
    httpPort: number;
}

/** Starts (or finds running) the lab's Ironic on its own state dir. */
export async function startLabIronic(opts: LabIronicOptions): Promise<LabIronic> {
    ensureIronicLabTools(opts.log);
    const port = opts.port ?? (await freeLoopbackPort());
    const fileRoots = [labCacheDir(), ...(opts.fileRoots ?? [])];
    const running = await startIronic({
        stateDir: opts.stateDir,
        port,
        // noauth as before startIronic defaulted to generated credentials: the lab's callers
        // (test/lab) talk to it with OS_AUTH_TYPE=none; it lives for one test run on a random port.
        noauth: true,
        log: opts.log,
        agentImages: { deployKernel: `file://${opts.agent.kernel}`, deployRamdisk: `file://${opts.agent.ramdisk}` },
        // http_url stays on loopback (not 10.0.2.2): Ironic checks the image URL it gives the
        // agent from the conductor (deploy_utils.py _validate_image_url), which cannot reach 10.0.2.2;
        // the agent reaches 127.0.0.1:<port> through lab-loopback-ports (local/lab/build-agent.sh).
        extraConfig: labIronicConfig(port, fileRoots),
        readyTimeoutMs: 180_000,
    });
    const conf = fs.readFileSync(stateFiles(opts.stateDir).config, "utf8");
    const httpPort = Number(/^http_url = http:\/\/127\.0\.0\.1:(\d+)$/m.exec(conf)?.[1]);
    if (!httpPort) throw new Error(`no loopback http_url in ${stateFiles(opts.stateDir).config}`);
    return { ...running, httpPort };
}

/**
 * Kernel parameters a lab VM's agent needs: its console on the serial log, the address Ironic
 * calls it back at — the loopback port QEMU forwards to the guest's agent port —, and the
 * loopback port of Ironic's image server, which the agent's image reaches through 10.0.2.2.
 */
export function labAgentKernelParams(vm: Pick<LabVm, "agentPort">, ironic: Pick<LabIronic, "httpPort">): string {
    return `console=ttyS0 ipa-advertise-host=127.0.0.1 ipa-advertise-port=${vm.agentPort} lab-loopback-ports=${ironic.httpPort}`;
}

/**
 * The kernel parameters every lab VM's agent shares, for Ironic's `[redfish] kernel_append_params`:
 * each VM's own agent port comes from its SMBIOS OEM string instead (local/lab/domain.ts,
 * build-agent.sh lab-agent), so one Ironic serves several VMs without per-node driver_info —
 * which a BareMetalHost, like Metal³'s, has no field for.
 */
export function labSharedAgentKernelParams(ironic: Pick<LabIronic, "httpPort">): string {
    return `console=ttyS0 ipa-advertise-host=127.0.0.1 lab-loopback-ports=${ironic.httpPort}`;
}

export interface LabVmsIronicOptions {
    stateDir: string;
    agent: AgentImages;
    log?: Logger;
}

export interface LabVmsIronic extends LabIronic {
    /** Ironic's http_root on disk: files put there are served at http://127.0.0.1:<httpPort>/. */
    httpRoot: string;
}

/**
 * The Ironic of `npm run demo -- --vms N` (scripts/demo-vms.sh): as test/lab/engine-vmedia.test.ts
 * sets it up — the lab's options, the agent's kernel parameters as the `[redfish]` default, the
 * image downloaded and checked by Ironic and served to the agent from http_url — but with
 * generated credentials (startIronic's default) and the kernel parameters all VMs share. A second
 * call finds it running on its port (the config names that port, so it must stay).
 */
export async function startLabVmsIronic(opts: LabVmsIronicOptions): Promise<LabVmsIronic> {
    const log = opts.log ?? ((line: string) => process.stderr.write(`[lab-ironic] ${line}\n`));
    ensureIronicLabTools(log);
    const files = stateFiles(opts.stateDir);
    fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    const status = await ironicStatus({ stateDir: opts.stateDir });
    const port = status.running && status.url ? Number(new URL(status.url).port) : await freeLoopbackPort();
    // The image server first: the agent's kernel parameters name its port.
    const httpUrl = await ensureHttpRootServer(files.httpRoot, files.dir, log);
    const httpPort = Number(new URL(httpUrl).port);
    const running = await startIronic({
        stateDir: opts.stateDir,
        port,
        log,
        agentImages: { deployKernel: `file://${opts.agent.kernel}`, deployRamdisk: `file://${opts.agent.ramdisk}` },
        extraConfig: {
            ...labIronicConfig(port, [labCacheDir()]),
            redfish: { kernel_append_params: labSharedAgentKernelParams({ httpPort }) },
            agent: { image_download_source: "local" },
        },
        readyTimeoutMs: 180_000,
    });
    return { ...running, httpPort, httpRoot: files.httpRoot };
}
