// Which accelerator QEMU can use here. Decided by asking QEMU itself, not by the CPU flags (a
// nested guest can run KVM with no vmx/svm flag in /proc/cpuinfo), and by more than `-accel kvm`
// starting: on these machines QEMU starts with KVM and SeaBIOS runs, yet Debian's kernel prints
// nothing after "Probing EDD" (nested KVM on AMD EPYC). So, given a kernel, the probe boots it
// under KVM for a few seconds and wants "Linux version" on the serial console; else TCG.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type Accel = "kvm" | "tcg";

export interface AccelProbe {
    accel: Accel;
    /** Why KVM is not used, when it is not. */
    reason?: string;
}

const cache = new Map<string, AccelProbe>();

/** `kvm` when QEMU starts with `-accel kvm` (and `kernel`, when given, prints its banner under it); else `tcg` with the reason. */
export function probeAccel(kernel?: string, qemu = "qemu-system-x86_64"): AccelProbe {
    const key = kernel ?? "";
    const known = cache.get(key);
    if (known) return known;
    const r = spawnSync(qemu, ["-accel", "kvm", "-machine", "none", "-nodefaults", "-display", "none", "-monitor", "stdio"], {
        input: "quit\n",
        encoding: "utf8",
        timeout: 20_000,
    });
    if (r.error) throw new Error(`cannot run ${qemu}: ${r.error.message}`);
    let result: AccelProbe;
    if (r.status !== 0) {
        result = { accel: "tcg", reason: `${r.stderr || r.stdout}`.trim().split("\n").slice(-2).join(" ") || `exit ${r.status}` };
    } else if (kernel) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-accel-"));
        const log = path.join(dir, "console");
        try {
            spawnSync(
                qemu,
                [
                    "-accel",
                    "kvm",
                    "-m",
                    "512",
                    "-nodefaults",
                    "-display",
                    "none",
                    "-monitor",
                    "none",
                    "-serial",
                    `file:${log}`,
                    "-kernel",
                    kernel,
                    "-append",
                    "console=ttyS0 earlyprintk=ttyS0 panic=-1",
                    "-no-reboot",
                ],
                {
                    timeout: 15_000,
                    killSignal: "SIGKILL",
                },
            );
            const out = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
            result = /Linux version/.test(out)
                ? { accel: "kvm" }
                : {
                      accel: "tcg",
                      reason: `QEMU starts with -accel kvm but ${path.basename(kernel)} printed no "Linux version" on the serial console within 15 s under KVM`,
                  };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    } else {
        result = { accel: "kvm" };
    }
    cache.set(key, result);
    return result;
}
