// A real Kubernetes API on loopback in one command: Debian's etcd plus kube-apiserver (built by
// local/toolchain.ts), no controller-manager, scheduler or kubelet. Enough for Pulumi to create,
// read, diff and delete API objects (Secrets, CRDs, Metal³ custom resources); not for workloads.
//
// Choices that matter, and why (docs/TOOLCHAIN.md has more):
// - `--enable-garbage-collector=false`: pulumi-kubernetes deletes with Foreground propagation; with
//   the GC flag on, the apiserver adds the foregroundDeletion finalizer and waits for a garbage
//   collector that never runs here, so every delete would hang.
// - `--advertise-address=127.0.0.1`: otherwise the apiserver looks for a default-route interface.
// - Our own CA and serving certificate (openssl), so the kubeconfig verifies TLS instead of
//   skipping it; a bearer token in a token-auth file whose user is in system:masters (RBAC on).
// - Every port is loopback and non-default (etcd's 2379/2380 may belong to a packaged instance).
// - etcd speaks TLS and requires a client certificate, for clients and peers, from a CA of its
//   own (pki/etcd/): loopback is reachable by every user of the machine, and etcd holds every
//   Secret in clear. Only kube-apiserver (and start-up's health check) hold a client certificate.
// - The state dir and its pki/, etcd-data/ and apiserver-certs/ are 0700, keys and the token 0600.

import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { Agent, request } from "undici";
import { findFreePort, isProcessAlive, processCommandLine, readPidFile, removeFile, sleep, stopProcessGroup, tailFile, writePidFile } from "./proc";
import { ensureKubeApiserver } from "./toolchain";

export type Logger = (line: string) => void;
const stderrLogger: Logger = (line) => process.stderr.write(line + "\n");

export interface StartKubeOptions {
    /** Default `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/kube`. */
    stateDir?: string;
    /** kube-apiserver's secure port; default 16443 when free, else any free port. */
    port?: number;
    /** CRD YAML files, directories of them, or http(s) URLs, applied after the API is ready. */
    installCrds?: string[];
    /** kube-apiserver binary; default from PATH or the toolchain cache (built when missing). */
    kubeApiserver?: string;
    readyTimeoutMs?: number;
    log?: Logger;
}

/** Everything a client needs to talk to the API server. */
export interface KubeConnection {
    url: string;
    token: string;
    /** PEM of the CA that signed the serving certificate. */
    ca: string;
}

export interface RunningKube {
    url: string;
    /** Path of the kubeconfig file (current context = this API server). */
    kubeconfig: string;
    token: string;
    alreadyRunning: boolean;
    stateDir: string;
}

export interface KubeStatus {
    running: boolean;
    stateDir: string;
    url?: string;
    kubeconfig?: string;
    etcdPid?: number;
    apiserverPid?: number;
    /** What is wrong when not running (missing process, /readyz failing...). */
    problem?: string;
}

/** Saved at start so that status/stop/clients know the ports without guessing. */
interface SavedState {
    apiserverPort: number;
    etcdClientPort: number;
    etcdPeerPort: number;
    url: string;
}

export function defaultKubeStateDir(env: NodeJS.ProcessEnv = process.env): string {
    const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cacheHome, "pulumi-metal3", "kube");
}

function files(stateDir: string) {
    const pki = path.join(stateDir, "pki");
    return {
        pki,
        caKey: path.join(pki, "ca.key"),
        caCert: path.join(pki, "ca.crt"),
        serverKey: path.join(pki, "apiserver.key"),
        serverCert: path.join(pki, "apiserver.crt"),
        saKey: path.join(pki, "sa.key"),
        saPub: path.join(pki, "sa.pub"),
        tokenFile: path.join(pki, "token"),
        tokenCsv: path.join(pki, "tokens.csv"),
        etcdData: path.join(stateDir, "etcd-data"),
        etcdPid: path.join(stateDir, "etcd.pid"),
        etcdLog: path.join(stateDir, "etcd.log"),
        apiserverPid: path.join(stateDir, "kube-apiserver.pid"),
        apiserverLog: path.join(stateDir, "kube-apiserver.log"),
        certDir: path.join(stateDir, "apiserver-certs"),
        etcdPki: path.join(pki, "etcd"),
        etcdCaKey: path.join(pki, "etcd", "ca.key"),
        etcdCaCert: path.join(pki, "etcd", "ca.crt"),
        etcdServerKey: path.join(pki, "etcd", "server.key"),
        etcdServerCert: path.join(pki, "etcd", "server.crt"),
        etcdClientKey: path.join(pki, "etcd", "apiserver-etcd-client.key"),
        etcdClientCert: path.join(pki, "etcd", "apiserver-etcd-client.crt"),
        kubeconfig: path.join(stateDir, "kubeconfig"),
        state: path.join(stateDir, "state.json"),
    };
}

function readSavedState(stateDir: string): SavedState | undefined {
    try {
        return JSON.parse(fs.readFileSync(files(stateDir).state, "utf8"));
    } catch {
        return undefined;
    }
}

/** A pid from `pidFile` when that process is alive and its command line contains `marker`. */
function ourLivePid(pidFile: string, marker: string): number | undefined {
    const pid = readPidFile(pidFile);
    if (!pid || !isProcessAlive(pid)) return undefined;
    const cmd = processCommandLine(pid);
    return cmd === undefined || cmd.includes(marker) ? pid : undefined;
}

// ---------------------------------------------------------------------------------------------
// Keys, certificates, token

function openssl(args: string[]): void {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.error) throw new Error(`openssl is needed to make the API server's keys: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.stdout}`);
}

/** A directory only its owner can enter, whatever the umask, including one made by an earlier release. */
function privateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
}

/** Keys readable by their owner only (openssl writes them under the umask). */
function privateFiles(dir: string): void {
    for (const name of fs.readdirSync(dir)) if (/\.key$|^token$|^tokens\.csv$/.test(name)) fs.chmodSync(path.join(dir, name), 0o600);
}

/** A certificate signed by `ca` for `cn`, with `ext` (x509v3 lines), made when missing. */
function signedCert(ca: { cert: string; key: string }, out: { cert: string; key: string }, cn: string, ext: string): void {
    if (fs.existsSync(out.cert) && fs.existsSync(out.key)) return;
    const csr = `${out.cert}.csr`;
    const extFile = `${out.cert}.ext`;
    fs.writeFileSync(extFile, ext);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", out.key, "-out", csr, "-subj", `/CN=${cn}`]);
    openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", out.cert, "-days", "3650", "-extfile", extFile]);
}

/**
 * etcd's own CA (apart from the API server's, whose client certificates kube-apiserver accepts as
 * users), its serving/peer certificate for 127.0.0.1 and the API server's client certificate.
 */
function ensureEtcdCredentials(stateDir: string): void {
    const f = files(stateDir);
    privateDir(f.etcdPki);
    if (!fs.existsSync(f.etcdCaCert) || !fs.existsSync(f.etcdCaKey)) {
        openssl([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f.etcdCaKey,
            "-out",
            f.etcdCaCert,
            "-days",
            "3650",
            "-subj",
            "/CN=pulumi-metal3-local-etcd-ca",
        ]);
        for (const file of [f.etcdServerCert, f.etcdClientCert]) fs.rmSync(file, { force: true });
    }
    const ca = { cert: f.etcdCaCert, key: f.etcdCaKey };
    signedCert(
        ca,
        { cert: f.etcdServerCert, key: f.etcdServerKey },
        "etcd",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
    );
    signedCert(
        ca,
        { cert: f.etcdClientCert, key: f.etcdClientKey },
        "kube-apiserver-etcd-client",
        "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
    );
    privateFiles(f.etcdPki);
}

/** CA, serving cert for 127.0.0.1/localhost, service-account key pair, admin token; made once per state dir. */
function ensureCredentials(stateDir: string): { token: string; ca: string } {
    const f = files(stateDir);
    privateDir(f.pki);
    if (!fs.existsSync(f.caCert) || !fs.existsSync(f.caKey)) {
        openssl([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f.caKey,
            "-out",
            f.caCert,
            "-days",
            "3650",
            "-subj",
            "/CN=pulumi-metal3-local-kube-ca",
        ]);
        fs.rmSync(f.serverCert, { force: true });
    }
    if (!fs.existsSync(f.serverCert) || !fs.existsSync(f.serverKey)) {
        const csr = path.join(f.pki, "apiserver.csr");
        const ext = path.join(f.pki, "apiserver.ext");
        fs.writeFileSync(
            ext,
            "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n" +
                "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
        );
        openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f.serverKey, "-out", csr, "-subj", "/CN=kube-apiserver"]);
        openssl(["x509", "-req", "-in", csr, "-CA", f.caCert, "-CAkey", f.caKey, "-CAcreateserial", "-out", f.serverCert, "-days", "3650", "-extfile", ext]);
    }
    if (!fs.existsSync(f.saKey) || !fs.existsSync(f.saPub)) {
        openssl(["genrsa", "-out", f.saKey, "2048"]);
        openssl(["rsa", "-in", f.saKey, "-pubout", "-out", f.saPub]);
    }
    if (!fs.existsSync(f.tokenFile)) fs.writeFileSync(f.tokenFile, crypto.randomBytes(24).toString("hex") + "\n", { mode: 0o600 });
    const token = fs.readFileSync(f.tokenFile, "utf8").trim();
    // system:masters bypasses RBAC; everything else (anonymous) only sees /readyz, /version...
    fs.writeFileSync(f.tokenCsv, `${token},pulumi-metal3-admin,pulumi-metal3-admin,"system:masters"\n`, { mode: 0o600 });
    privateFiles(f.pki);
    ensureEtcdCredentials(stateDir);
    return { token, ca: fs.readFileSync(f.caCert, "utf8") };
}

function writeKubeconfig(file: string, conn: KubeConnection): void {
    const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "pulumi-metal3-local", cluster: { server: conn.url, "certificate-authority-data": Buffer.from(conn.ca).toString("base64") } }],
        users: [{ name: "pulumi-metal3-admin", user: { token: conn.token } }],
        contexts: [{ name: "pulumi-metal3-local", context: { cluster: "pulumi-metal3-local", user: "pulumi-metal3-admin", namespace: "default" } }],
        "current-context": "pulumi-metal3-local",
        preferences: {},
    };
    fs.writeFileSync(file, yaml.dump(config), { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------
// HTTP to the API server

const agents = new Map<string, Agent>();
function agentFor(ca: string): Agent {
    let agent = agents.get(ca);
    if (!agent) {
        agent = new Agent({ connect: { ca }, keepAliveTimeout: 1000 });
        agents.set(ca, agent);
    }
    return agent;
}

/** A connection from a kubeconfig file (current context), a state dir's kubeconfig, or as given. */
export function kubeConnection(from: string | KubeConnection): KubeConnection {
    if (typeof from !== "string") return from;
    const file = fs.existsSync(path.join(from, "kubeconfig")) && fs.statSync(from).isDirectory() ? path.join(from, "kubeconfig") : from;
    const cfg = yaml.load(fs.readFileSync(file, "utf8")) as any;
    const ctx = (cfg.contexts ?? []).find((c: any) => c.name === cfg["current-context"])?.context ?? cfg.contexts?.[0]?.context;
    const cluster = (cfg.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster;
    const user = (cfg.users ?? []).find((u: any) => u.name === ctx?.user)?.user;
    if (!cluster?.server || !user?.token) throw new Error(`${file}: needs a current context with a server and a token user`);
    const ca = cluster["certificate-authority-data"]
        ? Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8")
        : cluster["certificate-authority"]
          ? fs.readFileSync(cluster["certificate-authority"], "utf8")
          : "";
    return { url: cluster.server, token: user.token, ca };
}

export interface KubeResponse<T = any> {
    status: number;
    /** Parsed JSON when the answer is JSON, else the text. */
    body: T;
}

/**
 * One request to the API server. `from` is a kubeconfig path, a state dir, or a connection.
 * `body` objects are sent as JSON unless `contentType` says otherwise (e.g. apply-patch+yaml).
 */
export async function kubeRequest<T = any>(
    from: string | KubeConnection,
    method: string,
    apiPath: string,
    body?: unknown,
    opts: { contentType?: string; timeoutMs?: number } = {},
): Promise<KubeResponse<T>> {
    const conn = kubeConnection(from);
    const headers: Record<string, string> = { authorization: `Bearer ${conn.token}`, accept: "application/json" };
    let payload: string | undefined;
    if (body !== undefined) {
        headers["content-type"] = opts.contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json");
        payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await request(conn.url.replace(/\/$/, "") + apiPath, {
        method: method as any,
        headers,
        body: payload,
        dispatcher: conn.ca ? agentFor(conn.ca) : undefined,
        headersTimeout: opts.timeoutMs ?? 30000,
        bodyTimeout: opts.timeoutMs ?? 30000,
    });
    const text = await res.body.text();
    let parsed: any = text;
    if (String(res.headers["content-type"] ?? "").includes("json") && text) {
        try {
            parsed = JSON.parse(text);
        } catch {
            /* keep text */
        }
    }
    return { status: res.statusCode, body: parsed };
}

async function readyz(conn: KubeConnection): Promise<{ ok: boolean; detail: string }> {
    try {
        const r = await kubeRequest(conn, "GET", "/readyz", undefined, { timeoutMs: 3000 });
        return { ok: r.status === 200, detail: `HTTP ${r.status} ${String(typeof r.body === "string" ? r.body : JSON.stringify(r.body)).slice(0, 300)}` };
    } catch (err) {
        return { ok: false, detail: (err as Error).message };
    }
}

// ---------------------------------------------------------------------------------------------
// CRDs

/** YAML documents from files, directories (their *.yaml/*.yml/*.json, sorted) and http(s) URLs. */
async function loadManifests(sources: string[]): Promise<Array<{ source: string; doc: any }>> {
    const out: Array<{ source: string; doc: any }> = [];
    for (const source of sources) {
        let texts: Array<[string, string]>;
        if (/^https?:\/\//.test(source)) {
            const res = await fetch(source, { signal: AbortSignal.timeout(30000) }); // follows redirects
            if (res.status !== 200) throw new Error(`GET ${source}: HTTP ${res.status}`);
            texts = [[source, await res.text()]];
        } else if (fs.statSync(source).isDirectory()) {
            texts = fs
                .readdirSync(source)
                .filter((n) => /\.(ya?ml|json)$/.test(n))
                .sort()
                .map((n) => [path.join(source, n), fs.readFileSync(path.join(source, n), "utf8")]);
        } else {
            texts = [[source, fs.readFileSync(source, "utf8")]];
        }
        for (const [name, text] of texts) {
            for (const doc of yaml.loadAll(text)) if (doc && typeof doc === "object") out.push({ source: name, doc });
        }
    }
    return out;
}

/**
 * Server-side applies every CustomResourceDefinition found in `sources`, then waits until each is
 * Established. When one CRD name appears twice (e.g. two releases of one CRD in a directory), the
 * last one in sorted order wins and the earlier one is skipped. Returns the CRD names.
 */
export async function installCrds(from: string | KubeConnection, sources: string[], opts: { timeoutMs?: number; log?: Logger } = {}): Promise<string[]> {
    const log = opts.log ?? stderrLogger;
    const byName = new Map<string, { source: string; doc: any }>();
    for (const m of await loadManifests(sources)) {
        if (m.doc.kind !== "CustomResourceDefinition")
            throw new Error(`${m.source}: ${m.doc.kind ?? "a document"} is not a CustomResourceDefinition; only CRDs are installed here`);
        const name = m.doc.metadata?.name;
        if (!name) throw new Error(`${m.source}: CustomResourceDefinition without metadata.name`);
        if (byName.has(name)) log(`kube: ${name} is defined again in ${m.source}; using that one instead of ${byName.get(name)!.source}`);
        byName.set(name, m);
    }
    for (const [name, { source, doc }] of byName) {
        const r = await kubeRequest(
            from,
            "PATCH",
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=pulumi-metal3&force=true`,
            doc,
            {
                contentType: "application/apply-patch+yaml",
            },
        );
        if (r.status >= 300) throw new Error(`applying CRD ${name} from ${source}: HTTP ${r.status}: ${r.body?.message ?? JSON.stringify(r.body)}`);
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 60000);
    for (const name of byName.keys()) {
        for (;;) {
            const r = await kubeRequest(from, "GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
            const conditions: any[] = r.body?.status?.conditions ?? [];
            if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
            if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${opts.timeoutMs ?? 60000} ms: ${JSON.stringify(conditions)}`);
            await sleep(200);
        }
    }
    log(`kube: CRDs established: ${[...byName.keys()].join(", ")}`);
    return [...byName.keys()];
}

// ---------------------------------------------------------------------------------------------
// etcd

function etcdBinary(log: Logger): string {
    for (const candidate of [process.env.ETCD_BIN, "/usr/bin/etcd", "/usr/local/bin/etcd"]) if (candidate && fs.existsSync(candidate)) return candidate;
    const onPath = spawnSync("sh", ["-c", "command -v etcd"], { encoding: "utf8" }).stdout.trim();
    if (onPath) return onPath;
    if (process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
        log("kube: etcd is missing; installing Debian's etcd-server");
        const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
        const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "etcd-server"], { encoding: "utf8", env: aptEnv });
        let r = install();
        if (r.status !== 0) {
            // A fresh machine may have no package lists yet.
            spawnSync("apt-get", ["update"], { encoding: "utf8", env: aptEnv });
            r = install();
        }
        if (r.status === 0 && fs.existsSync("/usr/bin/etcd")) return "/usr/bin/etcd";
        throw new Error(`apt-get install etcd-server failed:\n${(r.stderr || r.stdout || "").slice(-2000)}`);
    }
    throw new Error("etcd is not installed: install it with `sudo apt-get install etcd-server` (Debian) or set ETCD_BIN");
}

function startDetached(binary: string, args: string[], logFile: string, pidFile: string): number {
    const out = fs.openSync(logFile, "a");
    fs.appendFileSync(logFile, `\n==== ${new Date().toISOString()} ${binary} ${args.join(" ")}\n`);
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    if (!child.pid) throw new Error(`could not start ${binary}`);
    child.unref();
    writePidFile(pidFile, child.pid);
    return child.pid;
}

async function waitFor(
    what: string,
    check: () => Promise<{ ok: boolean; detail: string }>,
    opts: { timeoutMs: number; pid: number; logFile: string },
): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let last = "";
    for (;;) {
        if (!isProcessAlive(opts.pid)) throw new Error(`${what} exited during start-up. Last lines of ${opts.logFile}:\n${tailFile(opts.logFile, 30)}`);
        const r = await check();
        if (r.ok) return;
        last = r.detail;
        if (Date.now() > deadline)
            throw new Error(`${what} not ready after ${opts.timeoutMs / 1000} s (${last}). Last lines of ${opts.logFile}:\n${tailFile(opts.logFile, 30)}`);
        await sleep(300);
    }
}

/** etcd's /health over TLS, with the API server's client certificate (etcd refuses anyone without one). */
async function etcdHealthy(port: number, stateDir: string): Promise<{ ok: boolean; detail: string }> {
    const f = files(stateDir);
    const dispatcher = new Agent({
        connect: { ca: fs.readFileSync(f.etcdCaCert), cert: fs.readFileSync(f.etcdClientCert), key: fs.readFileSync(f.etcdClientKey) },
    });
    try {
        const res = await request(`https://127.0.0.1:${port}/health`, { headersTimeout: 2000, bodyTimeout: 2000, dispatcher });
        const text = await res.body.text();
        return { ok: res.statusCode === 200 && /"health":\s*"true"/.test(text), detail: `HTTP ${res.statusCode} ${text}` };
    } catch (err) {
        return { ok: false, detail: (err as Error).message };
    } finally {
        await dispatcher.close();
    }
}

// ---------------------------------------------------------------------------------------------
// start / stop / status

/** Starts etcd and kube-apiserver (or finds them running), writes the kubeconfig, installs CRDs. */
export async function startKube(opts: StartKubeOptions = {}): Promise<RunningKube> {
    const log = opts.log ?? stderrLogger;
    const stateDir = path.resolve(opts.stateDir ?? defaultKubeStateDir());
    const f = files(stateDir);
    privateDir(stateDir);
    const { token, ca } = ensureCredentials(stateDir);

    const saved = readSavedState(stateDir);
    const etcdPid = ourLivePid(f.etcdPid, "etcd");
    const apiPid = ourLivePid(f.apiserverPid, "kube-apiserver");
    if (saved && etcdPid && apiPid && (opts.port === undefined || opts.port === saved.apiserverPort)) {
        const conn = { url: saved.url, token, ca };
        if ((await readyz(conn)).ok) {
            writeKubeconfig(f.kubeconfig, conn);
            if (opts.installCrds?.length) await installCrds(conn, opts.installCrds, { log });
            return { url: saved.url, kubeconfig: f.kubeconfig, token, alreadyRunning: true, stateDir };
        }
    }
    // Anything left over (stale pid files, half-started processes) goes before a clean start.
    await stopKube({ stateDir, log: () => undefined });

    const kubeApiserver = opts.kubeApiserver ?? (await ensureKubeApiserver(log));
    const etcd = etcdBinary(log);
    const apiserverPort = await findFreePort(opts.port ?? 16443);
    if (opts.port !== undefined && apiserverPort !== opts.port) throw new Error(`port ${opts.port} is in use`);
    const etcdClientPort = await findFreePort(saved?.etcdClientPort);
    let etcdPeerPort = await findFreePort(saved?.etcdPeerPort);
    if (etcdPeerPort === etcdClientPort) etcdPeerPort = await findFreePort();
    const url = `https://127.0.0.1:${apiserverPort}`;

    const started = Date.now();
    const newEtcdPid = startDetached(
        etcd,
        [
            "--name=pulumi-metal3",
            `--data-dir=${f.etcdData}`,
            `--listen-client-urls=https://127.0.0.1:${etcdClientPort}`,
            `--advertise-client-urls=https://127.0.0.1:${etcdClientPort}`,
            `--listen-peer-urls=https://127.0.0.1:${etcdPeerPort}`,
            `--initial-advertise-peer-urls=https://127.0.0.1:${etcdPeerPort}`,
            `--initial-cluster=pulumi-metal3=https://127.0.0.1:${etcdPeerPort}`,
            `--cert-file=${f.etcdServerCert}`,
            `--key-file=${f.etcdServerKey}`,
            "--client-cert-auth",
            `--trusted-ca-file=${f.etcdCaCert}`,
            `--peer-cert-file=${f.etcdServerCert}`,
            `--peer-key-file=${f.etcdServerKey}`,
            "--peer-client-cert-auth",
            `--peer-trusted-ca-file=${f.etcdCaCert}`,
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
        f.etcdLog,
        f.etcdPid,
    );
    try {
        await waitFor("etcd", () => etcdHealthy(etcdClientPort, stateDir), { timeoutMs: 30000, pid: newEtcdPid, logFile: f.etcdLog });
    } catch (err) {
        await stopKube({ stateDir, log: () => undefined }).catch(() => undefined);
        throw err;
    }

    privateDir(f.certDir);
    const newApiPid = startDetached(
        kubeApiserver,
        [
            `--etcd-servers=https://127.0.0.1:${etcdClientPort}`,
            `--etcd-cafile=${f.etcdCaCert}`,
            `--etcd-certfile=${f.etcdClientCert}`,
            `--etcd-keyfile=${f.etcdClientKey}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiserverPort}`,
            `--cert-dir=${f.certDir}`,
            `--tls-cert-file=${f.serverCert}`,
            `--tls-private-key-file=${f.serverKey}`,
            `--client-ca-file=${f.caCert}`,
            `--token-auth-file=${f.tokenCsv}`,
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${f.saPub}`,
            `--service-account-signing-key-file=${f.saKey}`,
            "--service-cluster-ip-range=10.0.0.0/24",
            "--disable-admission-plugins=ServiceAccount",
            "--enable-garbage-collector=false",
            // loopback addresses are not valid Endpoints: no `kubernetes` endpoint reconciling
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--profiling=false",
        ],
        f.apiserverLog,
        f.apiserverPid,
    );
    const conn = { url, token, ca };
    try {
        await waitFor("kube-apiserver", () => readyz(conn), { timeoutMs: opts.readyTimeoutMs ?? 120000, pid: newApiPid, logFile: f.apiserverLog });
    } catch (err) {
        // Leave nothing half-started behind (an etcd without its apiserver).
        await stopKube({ stateDir, log: () => undefined }).catch(() => undefined);
        throw err;
    }
    fs.writeFileSync(f.state, JSON.stringify({ apiserverPort, etcdClientPort, etcdPeerPort, url } satisfies SavedState, null, 2));
    writeKubeconfig(f.kubeconfig, conn);
    log(`kube: etcd + kube-apiserver ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (state ${stateDir})`);
    if (opts.installCrds?.length) await installCrds(conn, opts.installCrds, { log });
    return { url, kubeconfig: f.kubeconfig, token, alreadyRunning: false, stateDir };
}

/** Stops kube-apiserver then etcd (data and credentials stay in the state dir). */
export async function stopKube(opts: { stateDir?: string; log?: Logger } = {}): Promise<void> {
    const log = opts.log ?? stderrLogger;
    const stateDir = path.resolve(opts.stateDir ?? defaultKubeStateDir());
    const f = files(stateDir);
    for (const [pidFile, marker] of [
        [f.apiserverPid, "kube-apiserver"],
        [f.etcdPid, "etcd"],
    ] as const) {
        const pid = ourLivePid(pidFile, marker);
        if (pid) {
            if (!(await stopProcessGroup(pid))) throw new Error(`${marker} (pid ${pid}) did not stop`);
            log(`kube: stopped ${marker} (pid ${pid})`);
        }
        removeFile(pidFile);
    }
}

export async function kubeStatus(opts: { stateDir?: string } = {}): Promise<KubeStatus> {
    const stateDir = path.resolve(opts.stateDir ?? defaultKubeStateDir());
    const f = files(stateDir);
    const saved = readSavedState(stateDir);
    const etcdPid = ourLivePid(f.etcdPid, "etcd");
    const apiserverPid = ourLivePid(f.apiserverPid, "kube-apiserver");
    const base = { stateDir, etcdPid, apiserverPid, url: saved?.url, kubeconfig: fs.existsSync(f.kubeconfig) ? f.kubeconfig : undefined };
    if (!saved) return { ...base, running: false, problem: "never started in this state dir" };
    if (!etcdPid) return { ...base, running: false, problem: "etcd is not running" };
    if (!apiserverPid) return { ...base, running: false, problem: "kube-apiserver is not running" };
    const r = await readyz(kubeConnection(f.kubeconfig));
    return r.ok ? { ...base, running: true } : { ...base, running: false, problem: `/readyz: ${r.detail}` };
}
