// One QEMU VM run directly (no libvirt), its serial console in a file: how the lab tests boot the
// agent's ramdisk and the OS image. Networking is QEMU's user mode only: the guest reaches this
// machine's loopback as 10.0.2.2 and nothing else; `forwards` open loopback ports into the guest.

import { spawn } from "child_process";
import * as fs from "fs";
import { Accel, probeAccel } from "./accel";
import { isProcessAlive, sleep, stopProcessGroup } from "../proc";

export interface QemuVmOptions {
    name: string;
    /** Serial console output (appended). */
    consoleLog: string;
    memoryMiB?: number;
    cpus?: number;
    mac?: string;
    /** Direct kernel boot. */
    kernel?: string;
    initrd?: string;
    append?: string;
    /** Disks, in order (virtio); qcow2 or raw by extension. `snapshot: true` leaves the file unwritten (changes go to a temporary overlay). */
    disks?: { file: string; snapshot?: boolean }[];
    cdrom?: string;
    firmware?: "bios" | "uefi";
    /** host loopback port -> guest port (TCP). */
    forwards?: { hostPort: number; guestPort: number }[];
    accel?: Accel;
}

export interface QemuVm {
    pid: number;
    accel: Accel;
    consoleLog: string;
    /** Resolves with the first console line matching `pattern`; rejects on timeout or exit, quoting the console's end. */
    waitForConsole(pattern: RegExp, timeoutMs: number): Promise<string>;
    stop(): Promise<void>;
}

const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";

export function qemuArgs(opts: QemuVmOptions, accel: Accel): string[] {
    const args = ["-name", opts.name, "-machine", "q35", "-accel", accel, "-m", String(opts.memoryMiB ?? 2048), "-smp", String(opts.cpus ?? 1)];
    args.push("-nodefaults", "-display", "none", "-serial", `file:${opts.consoleLog}`, "-monitor", "none");
    if (opts.firmware === "uefi") args.push("-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`);
    if (opts.kernel) args.push("-kernel", opts.kernel);
    if (opts.initrd) args.push("-initrd", opts.initrd);
    if (opts.append) args.push("-append", opts.append);
    (opts.disks ?? []).forEach((d, i) => {
        const format = d.file.endsWith(".qcow2") ? "qcow2" : "raw";
        args.push("-drive", `file=${d.file},if=virtio,format=${format},index=${i}${d.snapshot ? ",snapshot=on" : ""}`);
    });
    if (opts.cdrom) args.push("-drive", `file=${opts.cdrom},media=cdrom,readonly=on`, "-boot", "d");
    const fwd = (opts.forwards ?? []).map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join("");
    args.push("-netdev", `user,id=net0${fwd}`, "-device", `virtio-net-pci,netdev=net0${opts.mac ? `,mac=${opts.mac}` : ""}`);
    return args;
}

export async function startQemuVm(opts: QemuVmOptions): Promise<QemuVm> {
    const accel = opts.accel ?? probeAccel(opts.kernel).accel;
    fs.writeFileSync(opts.consoleLog, "");
    const stderrFile = `${opts.consoleLog}.qemu-stderr`;
    const errFd = fs.openSync(stderrFile, "w");
    const child = spawn("qemu-system-x86_64", qemuArgs(opts, accel), { detached: true, stdio: ["ignore", errFd, errFd] });
    fs.closeSync(errFd);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`cannot run qemu-system-x86_64: ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    let exited: string | undefined;
    child.once("exit", (code, signal) => {
        let stderr = "";
        try {
            stderr = fs.readFileSync(stderrFile, "utf8").trim();
        } catch {
            // The caller may have removed its work directory after stop().
        }
        exited = `QEMU exited (${code ?? signal}): ${stderr}`;
    });
    const consoleTail = () => fs.readFileSync(opts.consoleLog, "utf8").split("\n").slice(-25).join("\n");
    return {
        pid,
        accel,
        consoleLog: opts.consoleLog,
        async waitForConsole(pattern, timeoutMs) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const line = fs
                    .readFileSync(opts.consoleLog, "utf8")
                    .split("\n")
                    .find((l) => pattern.test(l));
                if (line !== undefined) return line;
                if (exited) throw new Error(`VM ${opts.name}: ${exited}; console ${opts.consoleLog} ends:\n${consoleTail()}`);
                if (Date.now() > deadline) {
                    throw new Error(
                        `VM ${opts.name} (${accel}): no console line matching ${pattern} within ${Math.round(timeoutMs / 1000)} s; console ${opts.consoleLog} ends:\n${consoleTail()}`,
                    );
                }
                await sleep(1000);
            }
        },
        async stop() {
            if (!exited && isProcessAlive(pid)) await stopProcessGroup(pid, 3000);
        },
    };
}
