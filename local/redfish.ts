// A Redfish BMC lab on loopback, the counterpart of Metal³'s dev-env sushy-tools step: one
// sushy-tools emulator process (PyPI `sushy-tools`, in a venv cached per machine, see
// ./redfish-venv.ts) with its fake systems driver serving N systems, each with its own UUID, name
// and NIC MAC, behind HTTP basic auth (an htpasswd file with a bcrypt hash: the one kind the
// emulator accepts, sushy_tools/emulator/auth_basic.py) and, with TLS, a self-signed certificate.
// Ironic's `redfish`, `idrac` and `ilo5` hardware types talk to it as to a server's BMC: power,
// boot device, boot mode, virtual media (the emulator downloads an inserted ISO and reports it in
// the Manager's VirtualMedia resource). There is no server behind the systems: powering on boots
// nothing. Power changes take effect 1–11 s later at random (sushy_tools/emulator/resources/
// systems/fakedriver.py `set_power_state`; sushy-tools 2.2.0 has no setting for that delay).
// Used by `pulumi-metal3 bmc start --redfish N`, the Redfish tests (test/bmc/redfish*), the demo
// and bench:scale. The password is kept in a 0600 record, as the IPMI lab of ./bmc.ts keeps its.
import { spawn, spawnSync } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as http from "http";
import * as path from "path";
import { BMC_USERNAME, defaultBmcStateDir } from "./bmc";
import { isPortFree, isProcessAlive, processCommandLine, readPidFile, removeFile, sleep, stopProcessGroup, tailFile, writePidFile } from "./proc";
import { ensurePythonVenv, Logger, PythonVenv } from "./redfish-venv";

/** sushy-tools' own default port; each lab takes the first free one from here. */
export const REDFISH_BASE_PORT = 8000;

/** sushy-tools 2.2.0 and every package it pulls in, pinned (pip freeze of a fresh install). */
export const SUSHY_TOOLS_REQUIREMENTS = [
    "sushy-tools==2.2.0",
    "bcrypt==5.0.0",
    "blinker==1.9.0",
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "click==8.5.1",
    "Flask==3.1.3",
    "idna==3.21",
    "itsdangerous==2.2.0",
    "Jinja2==3.1.6",
    "MarkupSafe==3.0.4",
    "pbr==7.1.3",
    "requests==2.34.2",
    "tenacity==9.2.1",
    "urllib3==2.8.0",
    "WebOb==1.8.11",
    "Werkzeug==3.1.9",
];

export interface RedfishSystem {
    /** `redfish-<i>`, the system's Name. */
    name: string;
    /** The system's Id in /redfish/v1/Systems/<uuid>. */
    uuid: string;
    /** Its one NIC's MAC: the BareMetalHost's bootMACAddress. */
    mac: string;
}

export interface RedfishLab {
    port: number;
    tls: boolean;
    username: string;
    password: string;
    systems: RedfishSystem[];
    /** The certificate a client may pin (TLS only). */
    certFile?: string;
}

export interface RunningRedfishLab extends RedfishLab {
    pid: number;
    logFile: string;
}

export interface RedfishStatus extends RedfishLab {
    running: boolean;
    pid?: number;
}

type RedfishRecord = Omit<RedfishLab, "certFile">;

const stderrLogger: Logger = (line) => process.stderr.write(`[bmc] ${line}\n`);

/** The Redfish lab's files: its own folder inside the BMC state dir. */
export function redfishFiles(bmcStateDir: string) {
    const dir = path.join(bmcStateDir, "redfish");
    return {
        dir,
        record: path.join(dir, "redfish.json"),
        config: path.join(dir, "emulator.conf.py"),
        htpasswd: path.join(dir, "htpasswd"),
        cert: path.join(dir, "cert.pem"),
        key: path.join(dir, "key.pem"),
        emulatorState: path.join(dir, "emulator-state"),
        pid: path.join(dir, "redfish.pid"),
        log: path.join(dir, "redfish.log"),
    };
}
type Files = ReturnType<typeof redfishFiles>;

/** `redfish+https://127.0.0.1:PORT/redfish/v1/Systems/<uuid>` (or `redfish+http`, or another scheme of the Redfish family). */
export function redfishAddress(lab: Pick<RedfishLab, "port" | "tls">, system: RedfishSystem, scheme?: string): string {
    return `${scheme ?? (lab.tls ? "redfish+https" : "redfish+http")}://127.0.0.1:${lab.port}/redfish/v1/Systems/${system.uuid}`;
}

/** The lines `start` and `status` print: address, user, password (a lab: the user needs them), boot MAC. */
export function redfishLines(lab: RedfishLab): string[] {
    return lab.systems.map((s) => `BMC=${redfishAddress(lab, s)} ${lab.username} ${lab.password} BOOT_MAC=${s.mac}`);
}

function readRecord(file: string): RedfishRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as RedfishRecord;
    } catch {
        return undefined;
    }
}

function withCert(files: Files, r: RedfishRecord): RedfishLab {
    return r.tls ? { ...r, certFile: files.cert } : { ...r };
}

function livePid(files: Files): number | undefined {
    const pid = readPidFile(files.pid);
    if (pid === undefined || !isProcessAlive(pid)) return undefined;
    const cmdline = processCommandLine(pid);
    if (cmdline !== undefined && !cmdline.includes(files.config)) return undefined;
    return pid;
}

function randomMac(): string {
    // 52:54:02 (locally administered, the range of QEMU's 52:54:00 moved by two), then 3 random bytes.
    return ["52", "54", "02", ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/** An HTTP request to the emulator with the lab's credentials; certificate verification off (self-signed). */
export function redfishRequest(
    lab: Pick<RedfishLab, "port" | "tls" | "username" | "password">,
    method: string,
    urlPath: string,
    body?: unknown,
    timeoutMs = 10_000,
): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const options: https.RequestOptions = {
            host: "127.0.0.1",
            port: lab.port,
            method,
            path: urlPath,
            rejectUnauthorized: false,
            timeout: timeoutMs,
            headers: {
                authorization: `Basic ${Buffer.from(`${lab.username}:${lab.password}`).toString("base64")}`,
                accept: "application/json",
                ...(payload !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
            },
        };
        const req = (lab.tls ? https : http).request(options, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let parsed: unknown = text;
                try {
                    parsed = text ? JSON.parse(text) : undefined;
                } catch {
                    /* not JSON */
                }
                resolve({ status: res.statusCode ?? 0, body: parsed });
            });
        });
        req.once("timeout", () => req.destroy(new Error(`no answer from the Redfish emulator on 127.0.0.1:${lab.port} within ${timeoutMs} ms`)));
        req.once("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
    });
}

/** "On" / "Off" as the emulator reports the system (GET /redfish/v1/Systems/<uuid>). */
export async function redfishPowerState(lab: RedfishLab, system: RedfishSystem): Promise<string> {
    const r = await redfishRequest(lab, "GET", `/redfish/v1/Systems/${system.uuid}`);
    const state = (r.body as { PowerState?: string } | undefined)?.PowerState;
    if (r.status !== 200 || !state) throw new Error(`GET Systems/${system.uuid} on the Redfish emulator answered ${r.status}: ${JSON.stringify(r.body)}`);
    return state;
}

/** The emulator's virtual CD of a system (sushy-tools 2.2.0 serves VirtualMedia under the system, controllers/virtual_media.py). */
export async function redfishVirtualCd(lab: RedfishLab, system: RedfishSystem): Promise<{ Image?: string; Inserted?: boolean }> {
    const r = await redfishRequest(lab, "GET", `/redfish/v1/Systems/${system.uuid}/VirtualMedia/Cd`);
    if (r.status !== 200) throw new Error(`GET Systems/${system.uuid}/VirtualMedia/Cd answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as { Image?: string; Inserted?: boolean };
}

/** An htpasswd line with a bcrypt hash made by the venv's bcrypt; the password goes through stdin. */
function htpasswdLine(venv: PythonVenv, username: string, password: string): string {
    const script = "import sys, bcrypt; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(rounds=5)).decode())";
    const r = spawnSync(venv.python, ["-c", script], { input: password, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`could not hash the Redfish password with bcrypt: ${r.stderr}`);
    return `${username}:${r.stdout.trim()}`;
}

/** A self-signed certificate for 127.0.0.1 (openssl), made once and kept with the lab. */
function ensureCertificate(files: Files): void {
    if (fs.existsSync(files.cert) && fs.existsSync(files.key)) return;
    const r = spawnSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-days",
            "3650",
            "-subj",
            "/CN=pulumi-metal3 Redfish lab",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            files.key,
            "-out",
            files.cert,
        ],
        { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`openssl could not make the Redfish lab's self-signed certificate: ${(r.stderr || r.error?.message || "").trim()}`);
    fs.chmodSync(files.key, 0o600);
}

/** The emulator's configuration (a Python file Flask reads): no password in it, only the htpasswd path. */
export function renderEmulatorConfig(files: Files, record: RedfishRecord): string {
    const systems = record.systems.map((s) => ({ uuid: s.uuid, name: s.name, power_state: "Off", external_notifier: false, nics: [{ mac: s.mac }] }));
    const lines = [
        "# Written by pulumi-metal3 (local/redfish.ts); the emulator reads it with Flask's config.from_pyfile.",
        "import json",
        `SUSHY_EMULATOR_LISTEN_IP = ${JSON.stringify("127.0.0.1")}`,
        `SUSHY_EMULATOR_LISTEN_PORT = ${record.port}`,
        "SUSHY_EMULATOR_FAKE_DRIVER = True",
        `SUSHY_EMULATOR_FAKE_SYSTEMS = json.loads(${JSON.stringify(JSON.stringify(systems))})`,
        `SUSHY_EMULATOR_AUTH_FILE = ${JSON.stringify(files.htpasswd)}`,
        `SUSHY_EMULATOR_STATE_DIR = ${JSON.stringify(files.emulatorState)}`,
        ...(record.tls ? [`SUSHY_EMULATOR_SSL_CERT = ${JSON.stringify(files.cert)}`, `SUSHY_EMULATOR_SSL_KEY = ${JSON.stringify(files.key)}`] : []),
    ];
    return `${lines.join("\n")}\n`;
}

async function waitUntilAnswering(lab: RedfishLab, pid: number, logFile: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        if (!isProcessAlive(pid)) break;
        try {
            const r = await redfishRequest(lab, "GET", "/redfish/v1/Systems", undefined, 3000);
            const members = (r.body as { Members?: unknown[] } | undefined)?.Members;
            if (r.status === 200 && members?.length === lab.systems.length) return;
            last = `HTTP ${r.status}, ${members?.length ?? "no"} systems`;
        } catch (err) {
            last = (err as Error).message;
        }
        await sleep(250);
    }
    const why = isProcessAlive(pid)
        ? `did not list its ${lab.systems.length} systems within ${Math.round(timeoutMs / 1000)} s (${last})`
        : "exited during start-up";
    throw new Error(`the Redfish emulator on 127.0.0.1:${lab.port} ${why}\n--- last lines of ${logFile} ---\n${tailFile(logFile, 20) || "(empty)"}`);
}

export interface StartRedfishOptions {
    count: number;
    /** Serve HTTPS with a self-signed certificate (default false: plain HTTP). */
    tls?: boolean;
    /** The BMC state dir (the lab lives in its `redfish/` folder); default as for the IPMI lab. */
    stateDir?: string;
    /** First TCP port tried (default 8000). */
    basePort?: number;
    /** false: fail instead of building the sushy-tools venv from PyPI. */
    install?: boolean;
    log?: Logger;
}

/** The sushy-tools venv (built from PyPI the first time). */
export function ensureSushyTools(opts: { install?: boolean; log?: Logger } = {}): Promise<PythonVenv> {
    return ensurePythonVenv({
        name: "sushy-tools",
        requirements: SUSHY_TOOLS_REQUIREMENTS,
        checkImport: "sushy_tools.emulator.main",
        install: opts.install,
        log: opts.log ?? stderrLogger,
    });
}

/**
 * Make the emulator serve systems redfish-0 .. redfish-(count-1) (idempotent: a running emulator
 * with the same systems and TLS setting is kept, with its state). Systems keep their UUID and MAC
 * across restarts; a different count or TLS setting restarts it. count 0 stops it.
 */
export async function startRedfish(opts: StartRedfishOptions): Promise<RunningRedfishLab | undefined> {
    const log = opts.log ?? stderrLogger;
    if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`Redfish system count must be a whole number >= 0 (got ${opts.count})`);
    const files = redfishFiles(path.resolve(opts.stateDir ?? defaultBmcStateDir()));
    const tls = opts.tls ?? false;
    let record = readRecord(files.record);
    let pid = livePid(files);
    if (opts.count === 0) {
        await stopRedfish({ stateDir: opts.stateDir, log, quiet: true });
        return undefined;
    }
    if (record && pid !== undefined && record.tls === tls && record.systems.length === opts.count) {
        log(`Redfish emulator already running: pid ${pid}, ${opts.count} systems on ${tls ? "https" : "http"}://127.0.0.1:${record.port}`);
        return { ...withCert(files, record), pid, logFile: files.log };
    }
    if (pid !== undefined) {
        await stopProcessGroup(pid, 3000);
        pid = undefined;
    }
    removeFile(files.pid);
    const venv = await ensureSushyTools({ install: opts.install, log });
    fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });

    // Keep the port, password and systems of an earlier start (declarations made for them stay right).
    const kept = record?.systems.slice(0, opts.count) ?? [];
    const systems = [...kept];
    for (let i = kept.length; i < opts.count; i++) systems.push({ name: `redfish-${i}`, uuid: randomUUID(), mac: randomMac() });
    if (record && record.systems.length > opts.count) {
        // The fake driver keeps every system it ever served in its state database: start it afresh.
        fs.rmSync(files.emulatorState, { recursive: true, force: true });
    }
    const port = record && (await isPortFree(record.port)) ? record.port : await firstFreeFrom(opts.basePort ?? REDFISH_BASE_PORT);
    record = { port, tls, username: record?.username ?? BMC_USERNAME, password: record?.password ?? randomBytes(12).toString("base64url"), systems };
    fs.writeFileSync(files.record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(files.record, 0o600);
    fs.writeFileSync(files.htpasswd, `${htpasswdLine(venv, record.username, record.password)}\n`, { mode: 0o600 });
    if (tls) ensureCertificate(files);
    fs.writeFileSync(files.config, renderEmulatorConfig(files, record), { mode: 0o600 });

    const logFd = fs.openSync(files.log, "a");
    fs.writeSync(
        logFd,
        `\n===== pulumi-metal3: starting the Redfish emulator (${systems.length} systems) on 127.0.0.1:${port} at ${new Date().toISOString()} =====\n`,
    );
    const child = spawn(venv.bin("sushy-emulator"), ["--config", files.config], {
        detached: true,
        stdio: ["ignore", logFd, logFd],
        env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    fs.closeSync(logFd);
    const childPid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`could not run ${venv.bin("sushy-emulator")}: ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(files.pid, childPid);
    const lab = withCert(files, record);
    try {
        await waitUntilAnswering(lab, childPid, files.log, 30_000);
    } catch (err) {
        await stopProcessGroup(childPid, 2000);
        removeFile(files.pid);
        throw err;
    }
    log(`Redfish emulator started: pid ${childPid}, ${systems.length} systems on ${tls ? "https" : "http"}://127.0.0.1:${port}`);
    return { ...lab, pid: childPid, logFile: files.log };
}

/** The first port from `from` on that is free on 127.0.0.1. */
async function firstFreeFrom(from: number): Promise<number> {
    for (let port = from; port < from + 1000 && port < 65536; port++) if (await isPortFree(port)) return port;
    throw new Error(`no free TCP port on 127.0.0.1 in ${from}..${from + 999}`);
}

/** Stop the emulator; its record (port, password, systems) and state stay for the next start. */
export async function stopRedfish(opts: { stateDir?: string; log?: Logger; quiet?: boolean } = {}): Promise<boolean> {
    const log = opts.log ?? stderrLogger;
    const files = redfishFiles(path.resolve(opts.stateDir ?? defaultBmcStateDir()));
    const pid = livePid(files);
    removeFile(files.pid);
    if (pid === undefined) return false;
    if (!(await stopProcessGroup(pid, 3000))) throw new Error(`the Redfish emulator (pid ${pid}) did not exit after SIGTERM and SIGKILL`);
    if (!opts.quiet) log(`Redfish emulator stopped (pid ${pid})`);
    return true;
}

export function redfishStatus(opts: { stateDir?: string } = {}): RedfishStatus | undefined {
    const files = redfishFiles(path.resolve(opts.stateDir ?? defaultBmcStateDir()));
    const record = readRecord(files.record);
    if (!record) return undefined;
    const pid = livePid(files);
    return { ...withCert(files, record), running: pid !== undefined, ...(pid !== undefined ? { pid } : {}) };
}
