// libvirt's daemons for the lab, started by the lab itself (there may be no init system): virtlogd
// (QEMU's console and log files go through it) and libvirtd. An already running libvirtd is used
// as it is and left running; daemons the lab started are stopped by `lab stop`. The lab defines no
// libvirt network and starts none.

import { spawnSync } from "child_process";
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

/** Start virtlogd and libvirtd unless libvirtd already answers; true when the lab started them. */
export async function ensureLibvirtd(stateDir: string, log: Logger): Promise<boolean> {
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
