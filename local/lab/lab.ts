// `pulumi-metal3 lab start|stop|status`: N QEMU VMs as libvirt domains (powered off until a BMC
// powers them on), each with a qcow2 disk, one user-mode NIC whose MAC is the host's
// bootMACAddress, BIOS or UEFI firmware, and two BMCs: Redfish with virtual media (sushy-tools'
// libvirt driver, one emulator for all VMs) and IPMI (virtualbmc, one UDP port per VM).
// Records (MAC, UUID, ports) persist in the state directory so a restarted lab keeps its hosts'
// identities; passwords live only in 0600 files there.

import { spawnSync } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { findFreePort } from "../proc";
import { Accel, AccelProbe, probeAccel } from "./accel";
import { ensureAgentImages } from "./images";
import { ensureBmcVenv } from "./bmc-venv";
import { AGENT_GUEST_PORT, renderDomainXml } from "./domain";
import { ipmiRunning, startIpmi, stopIpmi } from "./ipmi";
import { ensureLibvirtd, stopLabLibvirtd, virsh } from "./libvirtd";
import { ensureLibvirt } from "./packages";
import { defaultLabStateDir } from "./paths";
import { readRedfishPassword, redfishRunning, startRedfish, stopRedfish } from "./redfish";
import { ensureVmediaPool, removeVmediaPool } from "./storage-pool";

export const IPMI_BASE_PORT = 6230;

export interface LabOptions {
    vms: number;
    stateDir?: string;
    firmware?: "bios" | "uefi";
    memoryMiB?: number;
    cpus?: number;
    diskGiB?: number;
    /** VM (libvirt domain) names are `<prefix>-vm-<i>`; default "lab". A second lab on one libvirtd needs its own. */
    prefix?: string;
    log?: Logger;
}

/** What is kept per VM across lab restarts (no secrets; the IPMI password is in ipmi-<name>.password). */
export interface VmRecord {
    name: string;
    uuid: string;
    mac: string;
    firmware: "bios" | "uefi";
    memoryMiB: number;
    cpus: number;
    diskGiB: number;
    disk: string;
    consoleLog: string;
    ipmiPort: number;
    /** Loopback port forwarded to the agent's API port in the guest (ipa-advertise-port). */
    agentPort: number;
}

export interface LabVm extends VmRecord {
    /** BareMetalHost bmc.address (Redfish virtual media). */
    redfishAddress: string;
    ipmiAddress: string;
    ipmiPasswordFile: string;
    state?: string;
}

export interface Lab {
    stateDir: string;
    accel: Accel;
    accelReason?: string;
    redfishPort?: number;
    redfishPasswordFile: string;
    username: string;
    vms: LabVm[];
}

const stderrLogger: Logger = (line) => process.stderr.write(`[lab] ${line}\n`);

/** A locally administered unicast MAC in QEMU's 52:54:00 range. */
export function randomMac(): string {
    const b = randomBytes(3);
    return `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, "0")).join(":")}`;
}

function recordFile(stateDir: string, name: string) {
    return path.join(stateDir, `${name}.json`);
}

function readRecord(stateDir: string, name: string): VmRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(recordFile(stateDir, name), "utf8")) as VmRecord;
    } catch {
        return undefined;
    }
}

function knownVmNames(stateDir: string): string[] {
    try {
        return fs
            .readdirSync(stateDir)
            .filter((n) => /^[a-z][a-z0-9-]*-vm-\d+\.json$/.test(n))
            .map((n) => n.replace(/\.json$/, ""))
            .sort();
    } catch {
        return [];
    }
}

function isUdpPortFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = dgram.createSocket("udp4");
        s.once("error", () => resolve(false));
        s.bind({ port, address: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
    });
}

async function freeUdpPort(from: number, taken: Set<number>): Promise<number> {
    for (let p = from; p < from + 1000; p++) if (!taken.has(p) && (await isUdpPortFree(p))) return p;
    throw new Error(`no free UDP port on 127.0.0.1 in ${from}..${from + 999}`);
}

function ipmiPasswordFile(stateDir: string, name: string) {
    return path.join(stateDir, `ipmi-${name}.password`);
}

function readOrMakePassword(file: string): string {
    try {
        return fs.readFileSync(file, "utf8").trim();
    } catch {
        const p = randomBytes(12).toString("base64url");
        fs.writeFileSync(file, `${p}\n`, { mode: 0o600 });
        return p;
    }
}

function labVm(stateDir: string, r: VmRecord, redfishPort: number | undefined): LabVm {
    return {
        ...r,
        redfishAddress: redfishPort ? `redfish-virtualmedia+http://127.0.0.1:${redfishPort}/redfish/v1/Systems/${r.uuid}` : "(Redfish BMC not running)",
        ipmiAddress: `ipmi://127.0.0.1:${r.ipmiPort}`,
        ipmiPasswordFile: ipmiPasswordFile(stateDir, r.name),
    };
}

function domainState(name: string): string | undefined {
    const r = virsh(["domstate", name], 15_000);
    return r.code === 0 ? r.output.split("\n")[0] : undefined;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
    const log = opts.log ?? stderrLogger;
    const stateDir = opts.stateDir ?? defaultLabStateDir();
    if (!Number.isInteger(opts.vms) || opts.vms < 1 || opts.vms > 16) throw new Error(`--vms must be a whole number from 1 to 16 (got ${opts.vms})`);
    const prefix = opts.prefix ?? "lab";
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(prefix)) throw new Error(`lab prefix "${prefix}": lower-case letters, digits and "-", starting with a letter`);
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    ensureLibvirt(log);
    // The agent's kernel decides KVM or TCG (see accel.ts); the lab needs the agent anyway.
    const agent = await ensureAgentImages({ log });
    const probe = probeAccel(agent.kernel);
    fs.writeFileSync(path.join(stateDir, "accel.json"), `${JSON.stringify(probe)}\n`);
    log(probe.accel === "kvm" ? "accelerator: KVM (/dev/kvm works)" : `accelerator: TCG (software emulation, slower): KVM unavailable: ${probe.reason}`);
    const venv = ensureBmcVenv(log);
    await ensureLibvirtd(stateDir, log);
    // BMCs of an earlier start give their ports back first, so each VM keeps its addresses.
    await stopRedfish(stateDir);
    await stopIpmi(stateDir);

    const takenUdp = new Set<number>();
    const records: VmRecord[] = [];
    for (let i = 0; i < opts.vms; i++) {
        const name = `${prefix}-vm-${i}`;
        const old = readRecord(stateDir, name);
        const ipmiPort =
            old && (await isUdpPortFree(old.ipmiPort)) && !takenUdp.has(old.ipmiPort) ? old.ipmiPort : await freeUdpPort(IPMI_BASE_PORT + i, takenUdp);
        takenUdp.add(ipmiPort);
        const agentPort = old && old.agentPort ? old.agentPort : await findFreePort(9900 + i);
        const rec: VmRecord = {
            name,
            uuid: old?.uuid ?? randomUUID(),
            mac: old?.mac ?? randomMac(),
            firmware: opts.firmware ?? old?.firmware ?? "bios",
            memoryMiB: opts.memoryMiB ?? old?.memoryMiB ?? 2048,
            cpus: opts.cpus ?? old?.cpus ?? 1,
            diskGiB: opts.diskGiB ?? old?.diskGiB ?? 8,
            disk: path.join(stateDir, `${name}.qcow2`),
            consoleLog: path.join(stateDir, `${name}.console.log`),
            ipmiPort,
            agentPort,
        };
        if (!fs.existsSync(rec.disk)) {
            const r = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", rec.disk, `${rec.diskGiB}G`], { encoding: "utf8" });
            if (r.status !== 0) throw new Error(`qemu-img create ${rec.disk} failed: ${r.stderr}`);
        }
        fs.writeFileSync(recordFile(stateDir, name), `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
        const xmlFile = path.join(stateDir, `${name}.xml`);
        fs.writeFileSync(
            xmlFile,
            renderDomainXml({ ...rec, accel: probe.accel, nvram: rec.firmware === "uefi" ? path.join(stateDir, `${name}.OVMF_VARS.fd`) : undefined }),
        );
        // A running domain keeps running (define only changes its next start). A libvirtd just started
        // probes QEMU's capabilities first (a QEMU run under TCG): over a minute on a loaded machine.
        const def = virsh(["define", xmlFile], 300_000);
        if (def.code !== 0) throw new Error(`virsh define ${xmlFile} failed: ${def.output}`);
        records.push(rec);
    }
    const uuids = records.map((r) => r.uuid);
    const redfishPassword = readOrMakePassword(path.join(stateDir, "redfish.password"));
    const pool = ensureVmediaPool(stateDir, prefix, log);
    const redfish = await startRedfish(stateDir, venv, uuids, redfishPassword, log, pool);
    await startIpmi(
        stateDir,
        venv,
        records.map((r) => ({ domain: r.name, port: r.ipmiPort, password: readOrMakePassword(ipmiPasswordFile(stateDir, r.name)) })),
        log,
    );
    return {
        stateDir,
        accel: probe.accel,
        accelReason: probe.reason,
        redfishPort: redfish.port,
        redfishPasswordFile: redfish.passwordFile,
        username: "admin",
        vms: records.map((r) => ({ ...labVm(stateDir, r, redfish.port), state: domainState(r.name) })),
    };
}

function readAccel(stateDir: string): Accel {
    try {
        return (JSON.parse(fs.readFileSync(path.join(stateDir, "accel.json"), "utf8")) as AccelProbe).accel;
    } catch {
        return "tcg";
    }
}

export async function labStatus(opts: { stateDir?: string } = {}): Promise<Lab & { redfishRunning: boolean; ipmiRunning: boolean }> {
    const stateDir = opts.stateDir ?? defaultLabStateDir();
    let redfishPort: number | undefined;
    try {
        redfishPort = Number(/SUSHY_EMULATOR_LISTEN_PORT = (\d+)/.exec(fs.readFileSync(path.join(stateDir, "sushy.conf"), "utf8"))?.[1]);
    } catch {
        redfishPort = undefined;
    }
    const running = redfishRunning(stateDir) !== undefined;
    const names = knownVmNames(stateDir);
    const libvirtUp = names.length > 0 && virsh(["version"], 10_000).code === 0;
    return {
        stateDir,
        accel: readAccel(stateDir),
        redfishPort: running ? redfishPort : undefined,
        redfishPasswordFile: path.join(stateDir, "redfish.password"),
        username: "admin",
        redfishRunning: running,
        ipmiRunning: ipmiRunning(stateDir) !== undefined,
        vms: names
            .map((n) => readRecord(stateDir, n))
            .filter((r): r is VmRecord => !!r)
            .map((r) => ({
                ...labVm(stateDir, r, running ? redfishPort : undefined),
                state: libvirtUp ? (domainState(r.name) ?? "not defined") : "libvirtd not running",
            })),
    };
}

/** Power off and undefine the lab's domains, stop its BMCs and the libvirt daemons it started. Disks and records stay. */
export async function stopLab(opts: { stateDir?: string; log?: Logger } = {}): Promise<void> {
    const log = opts.log ?? stderrLogger;
    const stateDir = opts.stateDir ?? defaultLabStateDir();
    if (await stopRedfish(stateDir)) log("stopped the Redfish BMC");
    if (await stopIpmi(stateDir)) log("stopped the IPMI BMCs");
    const names = knownVmNames(stateDir);
    if (names.length && virsh(["version"], 10_000).code === 0) {
        for (const name of names) {
            const state = domainState(name);
            if (state === undefined) continue;
            if (state === "running" || state === "paused") virsh(["destroy", name]);
            const r = virsh(["undefine", name, "--nvram"]);
            if (r.code !== 0) virsh(["undefine", name]);
            log(`${name}: powered off and undefined (was ${state})`);
        }
    }
    if (virsh(["version"], 10_000).code === 0) removeVmediaPool(stateDir, log);
    await stopLabLibvirtd(stateDir, log);
}

/** Reads a lab password file (0600), e.g. for a test building a BareMetalHost's credentials. */
export function readLabPassword(file: string): string {
    return fs.readFileSync(file, "utf8").trim();
}

export { readRedfishPassword, AGENT_GUEST_PORT };
