// The lab's Redfish BMC: one sushy-tools emulator (its libvirt driver) on a loopback port serving
// every lab VM as a System, with virtual media (InsertMedia downloads the ISO and attaches it to
// the domain's cdrom; the next boot from Cd boots it). HTTP basic auth from an htpasswd file
// (bcrypt, hashed by the BMC venv's python); the password itself is kept only in a 0600 file of
// the lab's state directory.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { bcryptHtpasswdLine, Logger } from "../ironic";
import { findFreePort, isProcessAlive, processCommandLine, readPidFile, removeFile, stopProcessGroup, tailFile, waitForHttp, writePidFile } from "../proc";
import { BmcVenv } from "./bmc-venv";
import { LIBVIRT_URI } from "./libvirtd";

export const REDFISH_BASE_PORT = 8000;

export interface RedfishBmc {
    port: number;
    username: string;
    passwordFile: string;
    pid: number;
    logFile: string;
}

function files(stateDir: string) {
    return {
        config: path.join(stateDir, "sushy.conf"),
        htpasswd: path.join(stateDir, "sushy.htpasswd"),
        password: path.join(stateDir, "redfish.password"),
        pid: path.join(stateDir, "sushy.pid"),
        log: path.join(stateDir, "sushy.log"),
        vmediaDir: path.join(stateDir, "sushy-state"),
    };
}

export function renderSushyConfig(o: { port: number; htpasswd: string; stateDir: string; uuids: string[]; storagePool?: string }): string {
    return [
        `SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'`,
        `SUSHY_EMULATOR_LISTEN_PORT = ${o.port}`,
        `SUSHY_EMULATOR_LIBVIRT_URI = '${LIBVIRT_URI}'`,
        `SUSHY_EMULATOR_AUTH_FILE = '${o.htpasswd}'`,
        `SUSHY_EMULATOR_STATE_DIR = '${o.stateDir}'`,
        // Only the lab's own domains are served (never another VM libvirt may know).
        `SUSHY_EMULATOR_ALLOWED_INSTANCES = ${JSON.stringify(o.uuids)}`,
        `SUSHY_EMULATOR_IGNORE_BOOT_DEVICE = False`,
        // InsertMedia copies the ISO into a volume of this pool (local/lab/storage-pool.ts).
        ...(o.storagePool ? [`SUSHY_EMULATOR_STORAGE_POOL = '${o.storagePool}'`] : []),
        "",
    ].join("\n");
}

export function readRedfishPassword(stateDir: string): string {
    return fs.readFileSync(files(stateDir).password, "utf8").trim();
}

export async function startRedfish(stateDir: string, venv: BmcVenv, uuids: string[], password: string, log: Logger, storagePool?: string): Promise<RedfishBmc> {
    const f = files(stateDir);
    const old = readPidFile(f.pid);
    if (old !== undefined && isProcessAlive(old) && (processCommandLine(old) ?? "").includes(f.config)) await stopProcessGroup(old);
    removeFile(f.pid);
    const port = await findFreePort(REDFISH_BASE_PORT);
    fs.mkdirSync(f.vmediaDir, { recursive: true });
    fs.writeFileSync(f.password, `${password}\n`, { mode: 0o600 });
    fs.writeFileSync(f.htpasswd, `${bcryptHtpasswdLine(path.join(venv.dir, "bin", "python"), "admin", password)}\n`, { mode: 0o600 });
    fs.writeFileSync(f.config, renderSushyConfig({ port, htpasswd: f.htpasswd, stateDir: f.vmediaDir, uuids, storagePool }), { mode: 0o600 });
    const out = fs.openSync(f.log, "a");
    const child = spawn(venv.sushyEmulator, ["--config", f.config], { detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (e) => reject(new Error(`cannot run ${venv.sushyEmulator}: ${e.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(f.pid, pid);
    const auth = `Basic ${Buffer.from(`admin:${password}`).toString("base64")}`;
    try {
        await waitForHttp(`http://127.0.0.1:${port}/redfish/v1/Systems`, {
            headers: { Authorization: auth },
            timeoutMs: 60_000,
            ready: (a) => a.status === 200,
            abortIf: () => (isProcessAlive(pid) ? undefined : "sushy-emulator exited"),
        });
    } catch (e) {
        throw new Error(`sushy-emulator on 127.0.0.1:${port} did not answer: ${(e as Error).message}\n--- ${f.log} ---\n${tailFile(f.log, 20)}`);
    }
    log(`Redfish BMC (sushy-tools, libvirt driver) on http://127.0.0.1:${port}`);
    return { port, username: "admin", passwordFile: f.password, pid, logFile: f.log };
}

export async function stopRedfish(stateDir: string): Promise<boolean> {
    const f = files(stateDir);
    const pid = readPidFile(f.pid);
    removeFile(f.pid);
    if (pid === undefined || !isProcessAlive(pid) || !(processCommandLine(pid) ?? "").includes(f.config)) return false;
    await stopProcessGroup(pid);
    return true;
}

export function redfishRunning(stateDir: string): number | undefined {
    const f = files(stateDir);
    const pid = readPidFile(f.pid);
    return pid !== undefined && isProcessAlive(pid) && (processCommandLine(pid) ?? "").includes(f.config) ? pid : undefined;
}
