// A virtual-BMC lab on loopback, the counterpart of Metal³'s VBMC step: N IPMI 2.0 BMCs, each
// its own process, UDP port and credentials, from Debian's python3-pyghmi (the BMC behind its
// `fakebmc` command). Ironic's `ipmi` hardware type and `ipmitool` talk to them as to real
// servers' BMCs: power status/on/off, boot device, UEFI boot parameters. There is no server
// behind them: powering on boots nothing, so no agent ever calls back.
// Used by `pulumi-metal3 bmc start|stop|status`, by the lab tests (test/bmc) and the demo.

import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureDebianPackages, Logger } from "./ironic";
import { isProcessAlive, processCommandLine, readPidFile, removeFile, sleep, stopProcessGroup, tailFile, writePidFile } from "./proc";

/** First port tried, as in Metal³'s dev-env (vbmc); each further BMC takes the next free one. */
export const BMC_BASE_PORT = 6230;
export const BMC_USERNAME = "admin";
const SYSTEM_PYTHON = "/usr/bin/python3";
const BMC_PACKAGES = ["python3-pyghmi", "ipmitool"];
const BMC_COMMANDS = ["ipmitool"];

// pyghmi's own fakebmc with the credentials and address taken from the BMC's record file (mode
// 0600; the password never appears on a command line). Unbuffered, so the log shows each command.
const BMC_SCRIPT = `
import json, sys
from pyghmi.cmd.fakebmc import FakeBmc
record = json.load(open(sys.argv[1]))
print("BMC %s listening on 127.0.0.1:%d" % (record["name"], record["port"]), flush=True)
FakeBmc({record["username"]: record["password"]}, port=record["port"], address="127.0.0.1").listen()
`;
// FakeBmc takes (authdata, port) only; give it the address keyword bmc.Bmc accepts.
const BMC_SCRIPT_PRELUDE = `
import pyghmi.cmd.fakebmc as fb
import pyghmi.ipmi.bmc as bmc
class _Bmc(fb.FakeBmc):
    def __init__(self, authdata, port, address):
        bmc.Bmc.__init__(self, authdata, port, address=address)
        self.powerstate = "off"
        self.bootdevice = "default"
fb.FakeBmc = _Bmc
`;

export interface LabBmc {
    name: string;
    port: number;
    username: string;
    password: string;
    /** `ipmi://127.0.0.1:PORT`, the BareMetalHost's bmc.address. */
    address: string;
}

export interface RunningBmc extends LabBmc {
    pid: number;
    logFile: string;
}

export interface BmcStatus extends LabBmc {
    running: boolean;
    pid?: number;
}

interface BmcRecord {
    name: string;
    port: number;
    username: string;
    password: string;
}

const stderrLogger: Logger = (line) => process.stderr.write(`[bmc] ${line}\n`);

export function defaultBmcStateDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "bmc");
}

function bmcFiles(stateDir: string, index: number) {
    const name = `bmc-${index}`;
    return {
        name,
        record: path.join(stateDir, `${name}.json`),
        pid: path.join(stateDir, `${name}.pid`),
        log: path.join(stateDir, `${name}.log`),
    };
}

function readRecord(file: string): BmcRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as BmcRecord;
    } catch {
        return undefined;
    }
}

function labBmc(r: BmcRecord): LabBmc {
    return { name: r.name, port: r.port, username: r.username, password: r.password, address: `ipmi://127.0.0.1:${r.port}` };
}

/** The indexes of every BMC that has a record in `stateDir`. */
function knownIndexes(stateDir: string): number[] {
    let names: string[] = [];
    try {
        names = fs.readdirSync(stateDir);
    } catch {
        return [];
    }
    return names
        .map((n) => /^bmc-(\d+)\.json$/.exec(n))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
}

/** The pid from the pid file if it is a live BMC of this record (not a recycled pid). */
function liveBmcPid(files: ReturnType<typeof bmcFiles>): number | undefined {
    const pid = readPidFile(files.pid);
    if (pid === undefined || !isProcessAlive(pid)) return undefined;
    const cmdline = processCommandLine(pid);
    if (cmdline !== undefined && !cmdline.includes(files.record)) return undefined;
    return pid;
}

/** True when nothing is bound to 127.0.0.1:port/udp. */
function isUdpPortFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = dgram.createSocket("udp4");
        socket.once("error", () => resolve(false));
        socket.bind({ port, address: "127.0.0.1", exclusive: true }, () => socket.close(() => resolve(true)));
    });
}

async function freeUdpPort(from: number, taken: Set<number>): Promise<number> {
    for (let port = from; port < from + 1000 && port < 65536; port++) {
        if (!taken.has(port) && (await isUdpPortFree(port))) return port;
    }
    throw new Error(`no free UDP port on 127.0.0.1 in ${from}..${from + 999}`);
}

/** `ipmitool ... power status` against the BMC; the password through the environment (-E), never argv. */
export function ipmitool(bmc: LabBmc, args: string[], timeoutMs = 15_000): { code: number; output: string } {
    const result = spawnSync(
        "ipmitool",
        ["-I", "lanplus", "-C", "3", "-N", "1", "-R", "2", "-H", "127.0.0.1", "-p", String(bmc.port), "-U", bmc.username, "-E", ...args],
        { env: { ...process.env, IPMI_PASSWORD: bmc.password }, encoding: "utf8", timeout: timeoutMs },
    );
    return { code: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

/** "on" / "off" as the BMC itself reports it (`ipmitool power status`). */
export function bmcPowerState(bmc: LabBmc): "on" | "off" {
    const { code, output } = ipmitool(bmc, ["power", "status"]);
    const m = /Chassis Power is (on|off)/.exec(output);
    if (code !== 0 || !m) throw new Error(`ipmitool power status against ${bmc.address} failed (exit ${code}): ${output}`);
    return m[1] as "on" | "off";
}

async function waitUntilAnswering(bmc: LabBmc, pid: number, logFile: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        if (!isProcessAlive(pid)) break;
        const r = ipmitool(bmc, ["power", "status"], 5000);
        if (r.code === 0) return;
        last = r.output;
        await sleep(200);
    }
    const why = isProcessAlive(pid) ? `did not answer ipmitool within ${Math.round(timeoutMs / 1000)} s (${last})` : "exited during start-up";
    throw new Error(`BMC ${bmc.name} on ${bmc.address} ${why}\n--- last lines of ${logFile} ---\n${tailFile(logFile, 20) || "(empty)"}`);
}

async function startOne(stateDir: string, index: number, taken: Set<number>, basePort: number, log: Logger): Promise<RunningBmc> {
    const files = bmcFiles(stateDir, index);
    let record = readRecord(files.record);
    const pid = liveBmcPid(files);
    if (record && pid !== undefined) {
        taken.add(record.port);
        log(`${files.name} already running: pid ${pid}, ${labBmc(record).address}`);
        return { ...labBmc(record), pid, logFile: files.log };
    }
    if (readPidFile(files.pid) !== undefined) removeFile(files.pid);
    // Keep the port and password of a stopped BMC (declarations made for it stay right) unless the port is taken now.
    const port = record && !taken.has(record.port) && (await isUdpPortFree(record.port)) ? record.port : await freeUdpPort(basePort + index, taken);
    taken.add(port);
    record = { name: files.name, port, username: record?.username ?? BMC_USERNAME, password: record?.password ?? randomBytes(9).toString("base64url") };
    fs.writeFileSync(files.record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(files.record, 0o600);

    const logFd = fs.openSync(files.log, "a");
    fs.writeSync(logFd, `\n===== pulumi-metal3: starting ${files.name} on 127.0.0.1:${port}/udp at ${new Date().toISOString()} =====\n`);
    const child = spawn(SYSTEM_PYTHON, ["-u", "-c", BMC_SCRIPT_PRELUDE + BMC_SCRIPT, files.record], { detached: true, stdio: ["ignore", logFd, logFd] });
    fs.closeSync(logFd);
    const childPid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`could not run ${SYSTEM_PYTHON}: ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(files.pid, childPid);
    const bmc = labBmc(record);
    try {
        await waitUntilAnswering(bmc, childPid, files.log, 20_000);
    } catch (err) {
        await stopProcessGroup(childPid, 2000);
        removeFile(files.pid);
        throw err;
    }
    log(`${files.name} started: pid ${childPid}, ${bmc.address}`);
    return { ...bmc, pid: childPid, logFile: files.log };
}

export interface StartBmcsOptions {
    count: number;
    stateDir?: string;
    /** First UDP port tried (default 6230). */
    basePort?: number;
    /** apt-get install python3-pyghmi/ipmitool when missing (default true). */
    install?: boolean;
    log?: Logger;
}

/** Install python3-pyghmi and ipmitool when missing (as root; otherwise says what to run). */
export function ensureBmcPackagesInstalled(log: Logger = stderrLogger): void {
    const pyghmi = () => spawnSync(SYSTEM_PYTHON, ["-c", "import pyghmi.cmd.fakebmc"]).status === 0;
    ensureDebianPackages({ packages: BMC_PACKAGES, commands: BMC_COMMANDS, extraCheck: pyghmi, what: "the virtual BMCs" }, log);
}

/**
 * Make BMCs bmc-0 .. bmc-(count-1) of `stateDir` run (idempotent: running ones are kept with
 * their port and password); BMCs beyond `count` are stopped.
 */
export async function startBmcs(opts: StartBmcsOptions): Promise<RunningBmc[]> {
    const log = opts.log ?? stderrLogger;
    const stateDir = path.resolve(opts.stateDir ?? defaultBmcStateDir());
    if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`BMC count must be a whole number >= 0 (got ${opts.count})`);
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    if (opts.count > 0) {
        if (opts.install !== false) ensureBmcPackagesInstalled(log);
    }
    for (const index of knownIndexes(stateDir).filter((i) => i >= opts.count)) await stopOne(stateDir, index, log);
    // Ports of running BMCs first, so a new one never takes a port a stopped record still owns.
    const taken = new Set<number>(
        knownIndexes(stateDir)
            .map((i) => readRecord(bmcFiles(stateDir, i).record)?.port)
            .filter((p): p is number => p !== undefined),
    );
    const running: RunningBmc[] = [];
    for (let i = 0; i < opts.count; i++) {
        const own = readRecord(bmcFiles(stateDir, i).record)?.port;
        if (own !== undefined) taken.delete(own);
        running.push(await startOne(stateDir, i, taken, opts.basePort ?? BMC_BASE_PORT, log));
    }
    return running;
}

async function stopOne(stateDir: string, index: number, log: Logger): Promise<boolean> {
    const files = bmcFiles(stateDir, index);
    const pid = liveBmcPid(files);
    removeFile(files.pid);
    if (pid === undefined) return false;
    if (!(await stopProcessGroup(pid, 3000))) throw new Error(`${files.name} (pid ${pid}) did not exit after SIGTERM and SIGKILL`);
    log(`${files.name} stopped (pid ${pid})`);
    return true;
}

/** Stop every BMC of `stateDir`; their records (port, password) stay for the next start. */
export async function stopBmcs(opts: { stateDir?: string; log?: Logger } = {}): Promise<number> {
    const log = opts.log ?? stderrLogger;
    const stateDir = path.resolve(opts.stateDir ?? defaultBmcStateDir());
    let stopped = 0;
    for (const index of knownIndexes(stateDir)) if (await stopOne(stateDir, index, log)) stopped++;
    if (!stopped) log(`no BMC was running (state ${stateDir})`);
    return stopped;
}

export function bmcStatus(opts: { stateDir?: string } = {}): BmcStatus[] {
    const stateDir = path.resolve(opts.stateDir ?? defaultBmcStateDir());
    return knownIndexes(stateDir).flatMap((index) => {
        const files = bmcFiles(stateDir, index);
        const record = readRecord(files.record);
        if (!record) return [];
        const pid = liveBmcPid(files);
        return [{ ...labBmc(record), running: pid !== undefined, ...(pid !== undefined ? { pid } : {}) }];
    });
}

/** The line `start` and `status` print per BMC: address, user, password (a lab: the user needs them). */
export function bmcLine(b: LabBmc): string {
    return `BMC=${b.address} ${b.username} ${b.password}`;
}
