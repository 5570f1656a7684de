// The lab's IPMI BMCs: virtualbmc's vbmcd, one IPMI endpoint per lab VM on a loopback UDP port,
// driving the domain through libvirt. vbmcd reads each BMC from <config_dir>/<domain>/config; the
// lab writes those files itself (mode 0600) so the password never appears on a command line.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { findFreePort, isProcessAlive, processCommandLine, readPidFile, removeFile, sleep, stopProcessGroup, tailFile, writePidFile } from "../proc";
import { ipmitool, LabBmc } from "../bmc";
import { BmcVenv } from "./bmc-venv";
import { LIBVIRT_URI } from "./libvirtd";

function files(stateDir: string) {
    const dir = path.join(stateDir, "vbmc");
    return { dir, conf: path.join(dir, "virtualbmc.conf"), pid: path.join(dir, "vbmcd.pid"), log: path.join(dir, "vbmcd.log") };
}

export interface IpmiBmcSpec {
    domain: string;
    port: number;
    password: string;
}

export async function startIpmi(stateDir: string, venv: BmcVenv, bmcs: IpmiBmcSpec[], log: Logger): Promise<number> {
    const f = files(stateDir);
    await stopIpmi(stateDir);
    fs.mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    // vbmcd's own ZMQ control port: a free loopback TCP port per lab.
    const controlPort = await findFreePort(50891);
    fs.writeFileSync(
        f.conf,
        `[default]\nconfig_dir = ${f.dir}\npid_file = ${path.join(f.dir, "master.pid")}\nserver_port = ${controlPort}\n\n[log]\nlogfile = ${f.log}\n`,
        { mode: 0o600 },
    );
    for (const b of bmcs) {
        fs.mkdirSync(path.join(f.dir, b.domain), { recursive: true, mode: 0o700 });
        const ini = `[VirtualBMC]\nusername = admin\npassword = ${b.password}\naddress = 127.0.0.1\nport = ${b.port}\ndomain_name = ${b.domain}\nlibvirt_uri = ${LIBVIRT_URI}\nactive = True\n`;
        fs.writeFileSync(path.join(f.dir, b.domain, "config"), ini, { mode: 0o600 });
    }
    const out = fs.openSync(`${f.log}.stdout`, "a");
    const child = spawn(venv.vbmcd, ["--foreground"], { detached: true, stdio: ["ignore", out, out], env: { ...process.env, VIRTUALBMC_CONFIG: f.conf } });
    fs.closeSync(out);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (e) => reject(new Error(`cannot run ${venv.vbmcd}: ${e.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(f.pid, pid);
    for (const b of bmcs) {
        const bmc: LabBmc = { name: b.domain, port: b.port, username: "admin", password: b.password, address: `ipmi://127.0.0.1:${b.port}` };
        const deadline = Date.now() + 60_000;
        for (;;) {
            const r = ipmitool(bmc, ["power", "status"], 8000);
            if (r.code === 0) break;
            if (!isProcessAlive(pid) || Date.now() > deadline) {
                throw new Error(
                    `virtualbmc for ${b.domain} on 127.0.0.1:${b.port}/udp does not answer ipmitool (${r.output})\n--- ${f.log} ---\n${tailFile(f.log, 20)}${tailFile(`${f.log}.stdout`, 10)}`,
                );
            }
            await sleep(1000);
        }
    }
    log(`IPMI BMCs (virtualbmc) for ${bmcs.map((b) => `${b.domain} on 127.0.0.1:${b.port}/udp`).join(", ")}`);
    return pid;
}

export async function stopIpmi(stateDir: string): Promise<boolean> {
    const f = files(stateDir);
    const pid = readPidFile(f.pid);
    removeFile(f.pid);
    if (pid === undefined || !isProcessAlive(pid) || !(processCommandLine(pid) ?? "").includes("vbmcd")) return false;
    await stopProcessGroup(pid);
    return true;
}

export function ipmiRunning(stateDir: string): number | undefined {
    const pid = readPidFile(files(stateDir).pid);
    return pid !== undefined && isProcessAlive(pid) && (processCommandLine(pid) ?? "").includes("vbmcd") ? pid : undefined;
}
