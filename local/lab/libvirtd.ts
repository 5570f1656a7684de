// libvirt's daemons for the lab, started by the lab itself (there may be no init system): virtlogd
// (QEMU's console and log files go through it) and libvirtd. An already running libvirtd is used
// as it is and left running; daemons the lab started are stopped by `lab stop`. The lab defines no
// libvirt network and starts none.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { isProcessAlive, readPidFile, removeFile, sleep } from "../proc";

export const LIBVIRT_URI = "qemu:///system";

export function virsh(args: string[], timeoutMs = 60_000): { code: number; output: string } {
    const r = spawnSync("virsh", ["-c", LIBVIRT_URI, ...args], { encoding: "utf8", timeout: timeoutMs });
    return { code: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function libvirtdAnswers(): boolean {
    return virsh(["version"], 10_000).code === 0;
}

function pidFiles(stateDir: string) {
    return { virtlogd: path.join(stateDir, "virtlogd.pid"), libvirtd: path.join(stateDir, "libvirtd.pid") };
}

/**
 * /dev/kvm as Debian's udev rules leave it (root:kvm 0660), when it is root-only here (no udev in
 * this machine's init). libvirtd probes QEMU's capabilities as root and finds KVM, then checks
 * the cache against /dev/kvm's access for its QEMU user (libvirt-qemu, group kvm): "KVM was
 * enabled when probing '/usr/bin/qemu-system-x86_64', but it is not available now" (libvirt's
 * debug log, 2026-12-08) — and probes again on every call, so one `virsh define` took minutes.
 */
export function fixKvmDevice(log: Logger): void {
    let st: fs.Stats;
    try {
        st = fs.statSync("/dev/kvm");
    } catch {
        return;
    }
    const kvmGid = /^kvm:[^:]*:(\d+):/m.exec(fs.readFileSync("/etc/group", "utf8"))?.[1];
    if (kvmGid === undefined || (st.gid === Number(kvmGid) && (st.mode & 0o060) === 0o060)) return;
    try {
        fs.chownSync("/dev/kvm", 0, Number(kvmGid));
        fs.chmodSync("/dev/kvm", 0o660);
        log("/dev/kvm: set to root:kvm 0660, as Debian's udev rules do (libvirt's QEMU user is in group kvm)");
    } catch (err) {
        log(`/dev/kvm is not root:kvm 0660 and could not be made so (${(err as Error).message}): libvirtd may re-probe QEMU on every call`);
    }
}

/** Start virtlogd and libvirtd unless libvirtd already answers; true when the lab started them. */
export async function ensureLibvirtd(stateDir: string, log: Logger): Promise<boolean> {
    fixKvmDevice(log);
    if (libvirtdAnswers()) return false;
    const files = pidFiles(stateDir);
    for (const [daemon, pidFile] of [
        ["virtlogd", files.virtlogd],
        ["libvirtd", files.libvirtd],
    ] as const) {
        const running = readPidFile(pidFile);
        if (running !== undefined && isProcessAlive(running)) continue;
        const r = spawnSync(daemon, ["--daemon", "--pid-file", pidFile], { encoding: "utf8", timeout: 30_000 });
        if (r.status !== 0) throw new Error(`could not start ${daemon} (exit ${r.status ?? r.signal}): ${`${r.stderr}${r.stdout}`.trim()}`);
        log(`started ${daemon} (pid file ${pidFile})`);
    }
    const deadline = Date.now() + 30_000;
    while (!libvirtdAnswers()) {
        if (Date.now() > deadline) throw new Error(`libvirtd started but ${LIBVIRT_URI} does not answer within 30 s: ${virsh(["version"]).output}`);
        await sleep(500);
    }
    return true;
}

/** Stop the daemons the lab started (pid files in its state directory); others are left alone. */
export async function stopLabLibvirtd(stateDir: string, log: Logger): Promise<void> {
    const files = pidFiles(stateDir);
    for (const [daemon, pidFile] of [
        ["libvirtd", files.libvirtd],
        ["virtlogd", files.virtlogd],
    ] as const) {
        const pid = readPidFile(pidFile);
        if (pid === undefined) continue;
        if (isProcessAlive(pid)) {
            process.kill(pid, "SIGTERM");
            const deadline = Date.now() + 15_000;
            while (isProcessAlive(pid) && Date.now() < deadline) await sleep(200);
            if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
            log(`stopped ${daemon} (pid ${pid})`);
        }
        removeFile(pidFile);
    }
}
