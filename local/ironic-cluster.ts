// A distributed local Ironic in one command: Ironic's own scale-out mode on one machine —
// PostgreSQL (local/postgres.ts) as the shared database, one `ironic-api` and N `ironic-conductor`
// processes talking JSON-RPC on loopback aliases (127.0.0.2, 127.0.0.3, ...: each conductor's
// `[DEFAULT] host` is its alias, which is also where the API's JSON-RPC client reaches it). Nodes
// are spread over the conductors by Ironic's hash ring; when a conductor stops heart-beating the
// others take its nodes over. Same state dir conventions as the single-process Ironic
// (local/ironic.ts, whose ironic.conf generation is reused): `pulumi-metal3 ironic start
// --database postgresql --conductors N`.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as single from "./ironic";
import type { BasicAuth, FakeDelays, Logger, RunningIronic } from "./ironic";
import { httpGet, isPortFree, isProcessAlive, processCommandLine, readPidFile, removeFile, stopProcessGroup, writePidFile } from "./proc";
import { ensurePostgresInstalled, postgresPid, startPostgres, stopPostgres } from "./postgres";
import { ensureHttpRootServer, stopHttpRootServer } from "./http-root";

const stderrLogger: Logger = (line) => process.stderr.write(`[ironic] ${line}\n`);
/** Conductor i (1-based) listens for JSON-RPC on 127.0.0.(1+i); the whole 127/8 is loopback on Linux. */
export const MAX_CONDUCTORS = 32;
const API_VERSION = "1.82";

export interface StartClusterOptions {
    conductors: number;
    stateDir?: string;
    port?: number;
    fakeDelays?: FakeDelays;
    ipmiRetryTimeoutS?: number;
    redfishRetry?: { attempts: number; intervalS: number };
    agentImages?: single.AgentImageDefaults;
    /** `[conductor] heartbeat_timeout`: a dead conductor's nodes are taken over this long after its last heartbeat (Ironic's default 60 s). */
    heartbeatTimeoutS?: number;
    /** The API's credentials, as StartIronicOptions.basicAuth (default: generated ones in the state dir). */
    basicAuth?: BasicAuth;
    /** The API without authentication (JSON-RPC between the processes stays authenticated). */
    noauth?: boolean;
    install?: boolean;
    readyTimeoutMs?: number;
    log?: Logger;
}

export interface ConductorProcess {
    /** Its `[DEFAULT] host` (the hash ring's name for it) and JSON-RPC address. */
    host: string;
    pid: number;
    logFile: string;
}

export interface RunningCluster extends RunningIronic {
    conductors: ConductorProcess[];
    postgresPid: number;
}

interface ClusterRecord {
    url: string;
    port: number;
    jsonRpcPort: number;
    conductors: number;
    startedAt: string;
}

/** The files a cluster keeps beside the single-process ones (ironic.conf is shared, each process adds its own small file). */
export function clusterFiles(stateDir: string) {
    const base = single.stateFiles(stateDir);
    const f = (name: string) => path.join(base.dir, name);
    return {
        ...base,
        // The single-process Ironic's log and pid are never these: `status` cannot mistake one for the other.
        log: f("ironic-api.log"),
        record: f("cluster.json"),
        api: { config: f("ironic-api.conf"), log: f("ironic-api.log"), pid: f("ironic-api.pid") },
        conductor: (i: number) => ({
            host: `127.0.0.${1 + i}`,
            config: f(`ironic-conductor-${i}.conf`),
            log: f(`ironic-conductor-${i}.log`),
            pid: f(`ironic-conductor-${i}.pid`),
        }),
    };
}
type ClusterFiles = ReturnType<typeof clusterFiles>;

export function readClusterRecord(stateDir: string): ClusterRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(clusterFiles(stateDir).record, "utf8")) as ClusterRecord;
    } catch {
        return undefined;
    }
}

/** The pid in `pidFile` if it is a live `command` started with `configFile` (not a recycled pid). */
function livePid(pidFile: string, command: string, configFile: string): number | undefined {
    const pid = readPidFile(pidFile);
    if (pid === undefined || !isProcessAlive(pid)) return undefined;
    const cmdline = processCommandLine(pid);
    if (cmdline !== undefined && !(cmdline.includes(command) && cmdline.includes(configFile))) return undefined;
    return pid;
}

function processLines(host: string, logFile: string): string {
    return [
        "# Written by pulumi-metal3 (local/ironic-cluster.ts) on every start; read after ironic.conf.",
        "[DEFAULT]",
        `host = ${host}`,
        `log_file = ${path.basename(logFile)}`,
        "",
        "[json_rpc]",
        `host_ip = ${host}`,
        "",
    ].join("\n");
}

/** A port free on every conductor's alias (they all use the one `[json_rpc] port`). */
async function freeJsonRpcPort(files: ClusterFiles, conductors: number, previous?: number): Promise<number> {
    const freeEverywhere = async (port: number) => {
        for (let i = 1; i <= conductors; i++) if (!(await isPortFree(port, files.conductor(i).host))) return false;
        return true;
    };
    for (const port of [previous, 8089, ...Array.from({ length: 200 }, () => 20000 + Math.floor(Math.random() * 40000))]) {
        if (port !== undefined && (await freeEverywhere(port))) return port;
    }
    throw new Error(`no port is free on all of 127.0.0.2..127.0.0.${1 + conductors} for JSON-RPC`);
}

/** `command` of the Ironic environment (binDir), detached, its output appended to `logFile`. */
async function spawnDetached(binDir: string, command: string, configs: string[], logFile: string, pidFile: string): Promise<number> {
    const out = fs.openSync(logFile, "a");
    fs.writeSync(out, `\n===== pulumi-metal3: starting ${command} at ${new Date().toISOString()} =====\n`);
    const args = configs.flatMap((c) => ["--config-file", c]);
    // detached: its own process group (stop signals all of it), and it outlives this CLI.
    const child = spawn(path.join(binDir, command), args, { detached: true, stdio: ["ignore", out, out], env: single.ironicEnv() });
    fs.closeSync(out);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(pidFile, pid);
    return pid;
}

export interface ConductorInfo {
    hostname: string;
    alive: boolean;
}

async function apiGet<T>(url: string, pathAndQuery: string, auth?: BasicAuth): Promise<T | undefined> {
    const answer = await httpGet(`${url}${pathAndQuery}`, { ...single.basicAuthHeader(auth), "X-OpenStack-Ironic-API-Version": API_VERSION }, 10_000);
    if (answer?.status !== 200) return undefined;
    return JSON.parse(answer.body) as T;
}

export async function listConductors(url: string, auth?: BasicAuth): Promise<ConductorInfo[] | undefined> {
    return (await apiGet<{ conductors: ConductorInfo[] }>(url, "/v1/conductors", auth))?.conductors;
}

/** Nodes per conductor host name, from each node's `conductor` field (the hash ring's choice). */
export async function nodesPerConductor(url: string, auth?: BasicAuth): Promise<Map<string, number> | undefined> {
    // `conductor` is computed from the hash ring, so `fields=` cannot ask for it: the detailed list, page by page.
    const counts = new Map<string, number>();
    let next: string | undefined = "/v1/nodes/detail?limit=1000";
    while (next) {
        const body: { nodes: { conductor: string | null }[]; next?: string } | undefined = await apiGet(url, next, auth);
        if (!body) return undefined;
        for (const n of body.nodes) counts.set(n.conductor ?? "(none)", (counts.get(n.conductor ?? "(none)") ?? 0) + 1);
        next = body.next ? new URL(body.next).pathname + new URL(body.next).search : undefined;
    }
    return counts;
}

function liveProcesses(files: ClusterFiles, conductors: number) {
    const api = livePid(files.api.pid, "ironic-api", files.api.config);
    const cond = Array.from({ length: conductors }, (_, k) => {
        const c = files.conductor(k + 1);
        return { host: c.host, logFile: c.log, pid: livePid(c.pid, "ironic-conductor", c.config) };
    });
    return { api, conductors: cond };
}

/** Wait until the API answers and every conductor has registered and heart-beats; resolves to the API versions offered. */
async function waitForCluster(
    url: string,
    files: ClusterFiles,
    hosts: string[],
    pids: number[],
    auth: BasicAuth | undefined,
    timeoutMs: number,
): Promise<{ min: string; max: string }> {
    const apiVersions = await single.waitUntilReady(url, files, pids[0], auth, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const dead = pids.findIndex((p) => !isProcessAlive(p));
        if (dead >= 0)
            throw single.failureWithLog(
                `a process of the Ironic cluster (pid ${pids[dead]}) exited during start-up`,
                files,
                dead === 0 ? files.api.log : files.conductor(dead).log,
            );
        const alive = new Set((await listConductors(url, auth))?.filter((c) => c.alive).map((c) => c.hostname));
        if (hosts.every((h) => alive.has(h))) return apiVersions;
        if (Date.now() > deadline) {
            throw single.failureWithLog(
                `conductors ${hosts.filter((h) => !alive.has(h)).join(", ")} did not register with ${url} within ${Math.round(timeoutMs / 1000)} s`,
                files,
                files.conductor(1).log,
            );
        }
        await new Promise((r) => setTimeout(r, 500));
    }
}

async function stopProcesses(files: ClusterFiles, conductors: number, log: Logger): Promise<boolean> {
    const { api, conductors: cond } = liveProcesses(files, conductors);
    let any = false;
    // The API first (no new work reaches the conductors), then the conductors together.
    if (api !== undefined) {
        await stopProcessGroup(api, 8000);
        log(`stopped ironic-api pid ${api}`);
        any = true;
    }
    await Promise.all(
        cond.map(async (c) => {
            if (c.pid === undefined) return;
            await stopProcessGroup(c.pid, 10_000);
            log(`stopped ironic-conductor ${c.host} pid ${c.pid}`);
            any = true;
        }),
    );
    removeFile(files.api.pid);
    for (let i = 1; i <= conductors; i++) removeFile(files.conductor(i).pid);
    return any;
}

/**
 * Start (or find) the distributed Ironic of `stateDir`. Idempotent: a complete live cluster is
 * returned with `alreadyRunning: true`; a partial one (a process died) is restarted on the same
 * database, port and JSON-RPC port.
 */
export async function startIronicCluster(opts: StartClusterOptions): Promise<RunningCluster> {
    const log = opts.log ?? stderrLogger;
    if (!Number.isInteger(opts.conductors) || opts.conductors < 1 || opts.conductors > MAX_CONDUCTORS) {
        throw new Error(`--conductors must be a whole number from 1 to ${MAX_CONDUCTORS}`);
    }
    const files = clusterFiles(opts.stateDir ?? single.defaultStateDir());
    const readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
    single.makePrivateStateDir(files.dir);
    if (livePid(files.pid, "ironic", files.config) !== undefined) {
        throw new Error(`the single-process Ironic of ${files.dir} is running: stop it first (pulumi-metal3 ironic stop --state-dir ${files.dir})`);
    }

    const env = await single.ensureIronicInstalled(log, opts.install !== false);
    const previous = readClusterRecord(files.dir);
    const hosts = Array.from({ length: opts.conductors }, (_, k) => files.conductor(k + 1).host);
    if (previous) {
        const live = liveProcesses(files, previous.conductors);
        const pg = postgresPid(files.dir);
        if (previous.conductors === opts.conductors && live.api !== undefined && live.conductors.every((c) => c.pid !== undefined) && pg !== undefined) {
            const instance = single.readInstance(files);
            const apiVersions = await waitForCluster(
                previous.url,
                files,
                hosts,
                [live.api, ...live.conductors.map((c) => c.pid as number)],
                opts.basicAuth ?? single.readGeneratedCredentials(files.dir),
                readyTimeoutMs,
            );
            if (opts.port !== undefined && opts.port !== previous.port)
                log(`note: already running on port ${previous.port}; --port ${opts.port} ignored (stop it first to change)`);
            await ensureHttpRootServer(files.httpRoot, files.dir, log, env.python);
            log(`already running: ironic-api pid ${live.api}, ${opts.conductors} conductors, ${previous.url} (state ${files.dir})`);
            return {
                url: previous.url,
                pid: live.api,
                stateDir: files.dir,
                logFile: files.api.log,
                alreadyRunning: true,
                binDir: env.binDir,
                ironicVersion: env.ironicVersion,
                apiVersions,
                credentials: instance ? single.credentialsOfRecord(files, instance) : undefined,
                conductors: live.conductors.map((c) => ({ host: c.host, pid: c.pid as number, logFile: c.logFile })),
                postgresPid: pg,
            };
        }
        if (await stopProcesses(files, previous.conductors, log))
            log("restarting the cluster: some of its processes had exited or the conductor count changed");
    }

    if (opts.install !== false) ensurePostgresInstalled(log);
    const port = await single.choosePort(
        opts.port,
        previous ? { ...previous, pid: 0, authStrategy: "noauth", startedAt: previous.startedAt } : undefined,
        files,
    );
    const url = `http://127.0.0.1:${port}`;
    const jsonRpcPort = await freeJsonRpcPort(files, opts.conductors, previous?.jsonRpcPort);
    for (const dir of [files.httpRoot, files.tftpRoot, path.join(files.tftpRoot, "master_images"), files.locks]) fs.mkdirSync(dir, { recursive: true });

    const apiAuth = single.chooseApiAuth(opts, files);
    const credentials = single.writeApiAuthFiles(files, env.python, url, apiAuth);
    // JSON-RPC: an internal user whose password only the processes' ironic.conf (0600) holds.
    const jsonRpcAuth = { username: "json-rpc", password: single.generatedPassword(files.jsonRpcPassword) };
    single.writePrivateFile(files.jsonRpcHtpasswd, `${single.bcryptHtpasswdLine(env.python, jsonRpcAuth.username, jsonRpcAuth.password)}\n`);

    const started = Date.now();
    const pg = await startPostgres(files.dir, log);
    fs.writeFileSync(
        files.config,
        single.renderIronicConfig({
            files,
            port,
            authStrategy: apiAuth.authStrategy,
            fakeDelays: opts.fakeDelays,
            ipmiRetryTimeoutS: opts.ipmiRetryTimeoutS,
            redfishRetry: opts.redfishRetry,
            httpUrl: await ensureHttpRootServer(files.httpRoot, files.dir, log, env.python),
            agentImages: opts.agentImages,
            cluster: { databaseUrl: pg.url, jsonRpcPort, jsonRpcAuth, heartbeatTimeoutS: opts.heartbeatTimeoutS },
        }),
    );
    single.runDbsync(files, log, env.binDir, pg.created ? "create_schema" : "upgrade");
    single.protectStateFiles(files);
    fs.writeFileSync(files.api.config, processLines("127.0.0.1", files.api.log));
    const record: ClusterRecord = { url, port, jsonRpcPort, conductors: opts.conductors, startedAt: new Date().toISOString() };
    fs.writeFileSync(files.record, `${JSON.stringify(record, null, 2)}\n`);
    // The single-process record format (never the pid file): how status, a later start and
    // readGeneratedCredentials find out how this API authenticates.
    const instance: single.InstanceRecord = {
        pid: 0,
        url,
        port,
        authStrategy: apiAuth.authStrategy,
        ...(apiAuth.auth ? { username: apiAuth.auth.username } : {}),
        ...(apiAuth.generated ? { generatedCredentials: true } : {}),
        startedAt: record.startedAt,
    };
    fs.writeFileSync(files.instance, `${JSON.stringify(instance, null, 2)}\n`);

    const conductors: ConductorProcess[] = [];
    for (let i = 1; i <= opts.conductors; i++) {
        const c = files.conductor(i);
        fs.writeFileSync(c.config, processLines(c.host, c.log));
        conductors.push({ host: c.host, pid: await spawnDetached(env.binDir, "ironic-conductor", [files.config, c.config], c.log, c.pid), logFile: c.log });
    }
    const apiPid = await spawnDetached(env.binDir, "ironic-api", [files.config, files.api.config], files.api.log, files.api.pid);
    log(
        `started ironic-api pid ${apiPid} on ${url} and ${opts.conductors} conductors (${conductors.map((c) => `${c.host} pid ${c.pid}`).join(", ")}; JSON-RPC port ${jsonRpcPort}); logs in ${files.dir}`,
    );
    let apiVersions: { min: string; max: string };
    try {
        apiVersions = await waitForCluster(url, files, hosts, [apiPid, ...conductors.map((c) => c.pid)], apiAuth.auth, readyTimeoutMs);
    } catch (err) {
        await stopProcesses(files, opts.conductors, log);
        throw err;
    }
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${url} (Ironic ${env.ironicVersion}, API ${apiVersions.min}–${apiVersions.max})`);
    return {
        url,
        pid: apiPid,
        stateDir: files.dir,
        logFile: files.api.log,
        alreadyRunning: false,
        binDir: env.binDir,
        ironicVersion: env.ironicVersion,
        apiVersions,
        credentials,
        conductors,
        postgresPid: pg.pid,
    };
}

/** Stop every process of the cluster of `stateDir`, PostgreSQL last. */
export async function stopIronicCluster(opts: { stateDir?: string; log?: Logger } = {}): Promise<{ wasRunning: boolean }> {
    const log = opts.log ?? stderrLogger;
    const files = clusterFiles(opts.stateDir ?? single.defaultStateDir());
    const record = readClusterRecord(files.dir);
    const stopped = await stopProcesses(files, record?.conductors ?? 0, log);
    await stopHttpRootServer(files.httpRoot, files.dir, log);
    const pgStopped = await stopPostgres(files.dir, log);
    if (!stopped && !pgStopped) log(`not running (state ${files.dir})`);
    return { wasRunning: stopped || pgStopped };
}

export interface ClusterStatus {
    running: boolean;
    answering: boolean;
    url?: string;
    apiPid?: number;
    postgresPid?: number;
    conductors: { host: string; pid?: number; alive: boolean; nodes: number }[];
    /** Nodes whose conductor is none of ours (e.g. none alive). */
    unmappedNodes: number;
    stateDir: string;
    /** How the API authenticates (absent for noauth). */
    credentials?: single.LocalIronicCredentials;
}

export async function ironicClusterStatus(opts: { stateDir?: string } = {}): Promise<ClusterStatus> {
    const files = clusterFiles(opts.stateDir ?? single.defaultStateDir());
    const record = readClusterRecord(files.dir);
    const live = liveProcesses(files, record?.conductors ?? 0);
    const pg = postgresPid(files.dir);
    const url = record?.url;
    const auth = single.readGeneratedCredentials(files.dir);
    const instance = single.readInstance(files);
    const registered = url && live.api !== undefined ? await listConductors(url, auth) : undefined;
    const counts = url && live.api !== undefined ? await nodesPerConductor(url, auth) : undefined;
    const conductors = live.conductors.map((c) => ({
        host: c.host,
        pid: c.pid,
        alive: c.pid !== undefined && (registered?.find((r) => r.hostname === c.host)?.alive ?? false),
        nodes: counts?.get(c.host) ?? 0,
    }));
    const ours = new Set(conductors.map((c) => c.host));
    const unmappedNodes = counts ? [...counts].filter(([h]) => !ours.has(h)).reduce((s, [, n]) => s + n, 0) : 0;
    return {
        running: live.api !== undefined || conductors.some((c) => c.pid !== undefined) || pg !== undefined,
        answering: registered !== undefined,
        url,
        apiPid: live.api,
        postgresPid: pg,
        conductors,
        unmappedNodes,
        stateDir: files.dir,
        credentials: instance ? single.credentialsOfRecord(files, instance) : undefined,
    };
}

/** `status` text: the URL line as the single-process Ironic prints it, then one line per conductor. */
export function formatClusterStatus(s: ClusterStatus): string {
    const lines = [
        `running ironic-api pid ${s.apiPid ?? "(not running)"}${s.answering ? "" : " (not answering)"}, PostgreSQL pid ${s.postgresPid ?? "(not running)"}, ` +
            `${s.conductors.filter((c) => c.alive).length}/${s.conductors.length} conductors alive`,
        `IRONIC_URL=${s.url}`,
        ...s.conductors.map((c) => `conductor ${c.host} pid ${c.pid ?? "-"} ${c.alive ? "alive" : "DOWN"} nodes ${c.nodes}`),
    ];
    if (s.unmappedNodes) lines.push(`nodes on no live conductor: ${s.unmappedNodes}`);
    return `${lines.join("\n")}\n`;
}

/** True when any process of a distributed Ironic of `stateDir` (PostgreSQL included) is alive. */
export function ironicClusterRunning(stateDir: string): boolean {
    const files = clusterFiles(stateDir);
    const record = readClusterRecord(files.dir);
    if (!record) return false;
    const live = liveProcesses(files, record.conductors);
    return live.api !== undefined || live.conductors.some((c) => c.pid !== undefined) || postgresPid(files.dir) !== undefined;
}
