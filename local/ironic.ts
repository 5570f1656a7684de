// A real, standalone Ironic on loopback in one command (the container-free counterpart of
// Metal³'s run_local_ironic.sh): Ironic from PyPI in a virtual environment cached per machine
// (local/ironic-venv.ts), our own ironic.conf and sqlite database in a state directory, API and
// conductor in one `ironic` process. Used by `pulumi-metal3 ironic ...`, by the test suite's root
// hook, by demos and benchmarks. docs/IRONIC-LOCAL.md says what each setting is for.

import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    findFreePort,
    httpGet,
    isPortFree,
    isProcessAlive,
    processCommandLine,
    readPidFile,
    removeFile,
    stopProcessGroup,
    tailFile,
    waitForHttp,
    writePidFile,
} from "./proc";
import { ensureHttpRootServer, stopHttpRootServer } from "./http-root";
import { ensureIronicEnvironment, IronicEnvironment } from "./ironic-venv";
import { basicAuthHeader, chooseApiAuth, credentialsOfRecord, writeApiAuthFiles, type LocalIronicCredentials } from "./ironic-credentials";

// The Debian package helper moved to its own module; re-exported for the modules that import it from here.
export { commandExists, ensureDebianPackages, type DebianPackageNeed } from "./apt";
// The credentials' helpers moved to their own module; re-exported for the modules that import them from here.
export {
    basicAuthHeader,
    bcryptHtpasswdLine,
    chooseApiAuth,
    credentialsOfRecord,
    generatedPassword,
    GENERATED_USERNAME,
    LOCAL_CLOUD_NAME,
    writeApiAuthFiles,
    writePrivateFile,
    type LocalIronicCredentials,
} from "./ironic-credentials";

export type Logger = (line: string) => void;

/** Seconds as Ironic's `[fake]` options take them: "N" or "MIN,MAX" (integers). */
export interface FakeDelays {
    deploy?: string;
    inspect?: string;
    power?: string;
    boot?: string;
    management?: string;
    /** Caching BIOS settings, which both verifying (manage) and automated cleaning do. */
    bios?: string;
}

export interface BasicAuth {
    username: string;
    password: string;
}

export interface StartIronicOptions {
    /** Default `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/ironic`. */
    stateDir?: string;
    /** Default: the port this state directory had before; else 6385 when free, otherwise any free port. */
    port?: number;
    fakeDelays?: FakeDelays;
    /**
     * `auth_strategy = http_basic` with these credentials. Without them (and without `noauth`) the
     * API is http_basic with a generated user and password kept in the state dir (0600, reused on
     * restart; LocalIronicCredentials says where).
     */
    basicAuth?: BasicAuth;
    /** `auth_strategy = noauth`: every local user who reaches the port drives this Ironic. Default false. */
    noauth?: boolean;
    /** `[ipmi] command_retry_timeout`: how long an unanswered BMC is retried (Ironic's default 60). */
    ipmiRetryTimeoutS?: number;
    /** `[redfish] connection_attempts` / `connection_retry_interval` (Ironic's defaults 5 and 4 s: ~16 s per unreachable BMC). */
    redfishRetry?: { attempts: number; intervalS: number };
    /** Agent (IPA) images every node without its own gets (`[conductor] deploy_kernel/deploy_ramdisk`). */
    agentImages?: AgentImageDefaults;
    /**
     * More ironic.conf options, by section, for options this module does not write itself (an
     * option it writes is refused rather than given twice). Default none.
     */
    extraConfig?: ExtraIronicConfig;
    /** `enabled_hardware_types` (default HARDWARE_TYPES): fewer, e.g. to see how a missing type is reported. */
    hardwareTypes?: string[];
    /** Build the Ironic environment (and install ipmitool) when missing (default true). */
    install?: boolean;
    /** How long to wait for the API and conductor (default 90 s). */
    readyTimeoutMs?: number;
    log?: Logger;
}

export interface RunningIronic {
    url: string;
    pid: number;
    stateDir: string;
    logFile: string;
    alreadyRunning: boolean;
    /** Where `baremetal` and Ironic's commands are (local/ironic-venv.ts). */
    binDir: string;
    /** The Ironic release, e.g. "39.0.0". */
    ironicVersion: string;
    /** The API microversions it offers (GET /). */
    apiVersions: { min: string; max: string };
    /** How a client authenticates: absent for noauth. */
    credentials?: LocalIronicCredentials;
}

export interface IronicStatus {
    /** The pid file names a live `ironic` process. */
    running: boolean;
    /** ... and it answers `GET /`. */
    answering: boolean;
    pid?: number;
    url?: string;
    stateDir: string;
    logFile: string;
    /** How to authenticate (absent for noauth). */
    credentials?: LocalIronicCredentials;
}

const IRONIC_DEFAULT_PORT = 6385;

const stderrLogger: Logger = (line) => process.stderr.write(`[ironic] ${line}\n`);

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "ironic");
}

/** Every file the local Ironic keeps, in one place. */
export function stateFiles(stateDir: string) {
    const dir = path.resolve(stateDir);
    return {
        dir,
        config: path.join(dir, "ironic.conf"),
        database: path.join(dir, "ironic.sqlite"),
        log: path.join(dir, "ironic.log"),
        dbsyncLog: path.join(dir, "ironic-dbsync.log"),
        pid: path.join(dir, "ironic.pid"),
        // What `status` and a second `start` need to find the running instance (never a password).
        instance: path.join(dir, "instance.json"),
        htpasswd: path.join(dir, "htpasswd"),
        // Generated API credentials: the password alone, and a clouds.yaml naming endpoint, user and password.
        password: path.join(dir, "ironic-password"),
        cloudsYaml: path.join(dir, "clouds.yaml"),
        // Distributed mode: who may call a conductor's JSON-RPC, and the password the API calls with.
        jsonRpcHtpasswd: path.join(dir, "htpasswd-json-rpc"),
        jsonRpcPassword: path.join(dir, "json-rpc-password"),
        httpRoot: path.join(dir, "httpboot"),
        tftpRoot: path.join(dir, "tftpboot"),
        locks: path.join(dir, "locks"),
    };
}
export type StateFiles = ReturnType<typeof stateFiles>;

export interface InstanceRecord {
    pid: number;
    url: string;
    port: number;
    authStrategy: "noauth" | "http_basic";
    username?: string;
    /** The password is the generated one in the state dir (not one the caller gave). */
    generatedCredentials?: boolean;
    startedAt: string;
}

/** Build (once per machine) or find the Ironic environment from PyPI, and ipmitool from Debian. */
export function ensureIronicInstalled(log: Logger = stderrLogger, install = true): Promise<IronicEnvironment> {
    return ensureIronicEnvironment({ log, install });
}

const FAKE_DELAY_PATTERN = /^\d+(,\d+)?$/;

/** Parse `deploy=5,inspect=2:6,power=1` (the CLI's form; ":" separates MIN:MAX) into FakeDelays. */
export function parseFakeDelays(text: string): FakeDelays {
    const delays: FakeDelays = {};
    const known = ["deploy", "inspect", "power", "boot", "management", "bios"] as const;
    for (const item of text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [key, value] = item.split("=", 2);
        if (!(known as readonly string[]).includes(key) || value === undefined) {
            throw new Error(`bad --fake-delays item "${item}": expected KIND=N or KIND=MIN:MAX with KIND one of ${known.join(", ")}`);
        }
        const normalized = value.replace(":", ",");
        if (!FAKE_DELAY_PATTERN.test(normalized)) throw new Error(`bad --fake-delays value "${item}": seconds must be whole numbers`);
        delays[key as (typeof known)[number]] = normalized;
    }
    return delays;
}

/** ironic.conf options by section: `{ deploy: { erase_devices_priority: "0" } }`. */
export type ExtraIronicConfig = Record<string, Record<string, string>>;

/** URLs of the ironic-python-agent kernel and initramfs the conductor uses by default. */
export interface AgentImageDefaults {
    deployKernel: string;
    deployRamdisk: string;
}

/**
 * Every hardware type the pinned Ironic (local/ironic-requirements.txt) ships: the `ironic.hardware.types`
 * entry points of ironic 39.0.0. The ilo, ilo5, irmc, xclarity and snmp types of older releases
 * were removed upstream (an Ironic told to enable them refuses to start); Metal³'s ilo5-* schemes
 * map to `redfish`, idrac-* to `idrac`.
 */
export const HARDWARE_TYPES = ["fake-hardware", "ipmi", "redfish", "manual-management", "idrac", "intel-ipmi"];

/** Ironic's default_log_levels (ironic/conf/opts.py of ironic 39) plus what keeps BMC passwords out of the log. */
const IRONIC_LOG_LEVELS = [
    "amqp=WARNING",
    "amqplib=WARNING",
    "qpid.messaging=INFO",
    "oslo.messaging=INFO",
    "oslo_messaging=INFO",
    "stevedore=INFO",
    "iso8601=WARNING",
    "requests=WARNING",
    "urllib3.connectionpool=WARNING",
    "keystonemiddleware.auth_token=INFO",
    "keystoneauth.session=INFO",
    "openstack=WARNING",
    "oslo_policy=WARNING",
    "oslo_concurrency.lockutils=WARNING",
    "ironic.conductor.cleaning=WARNING",
];

export interface IronicConfigInput {
    files: StateFiles;
    port: number;
    /** Where `[deploy] http_root` is served (local/http-root.ts). */
    httpUrl?: string;
    extraConfig?: ExtraIronicConfig;
    agentImages?: AgentImageDefaults;
    authStrategy: "noauth" | "http_basic";
    fakeDelays?: FakeDelays;
    ipmiRetryTimeoutS?: number;
    redfishRetry?: { attempts: number; intervalS: number };
    /** Default HARDWARE_TYPES. */
    hardwareTypes?: string[];
    /** Distributed mode (local/ironic-cluster.ts): a shared database and JSON-RPC between API and conductors. */
    cluster?: ClusterConfigInput;
}

/** What a distributed Ironic adds to the shared ironic.conf; each process's own file sets `host` and `[json_rpc] host_ip`. */
export interface ClusterConfigInput {
    /** SQLAlchemy URL of the shared database. */
    databaseUrl: string;
    /** `[json_rpc] port`: every conductor listens on it at its own loopback alias. */
    jsonRpcPort: number;
    /** The user and password the API's JSON-RPC client sends; conductors check them against files.jsonRpcHtpasswd. */
    jsonRpcAuth: BasicAuth;
    /** `[conductor] heartbeat_timeout` (Ironic's default 60 s): how soon a dead conductor's nodes are taken over. */
    heartbeatTimeoutS?: number;
}

/**
 * ironic.conf for a standalone Ironic on loopback: no Keystone, no message bus, no DHCP, no
 * Neutron; fake hardware for tests plus ipmi/redfish/idrac/manual-management for real machines.
 * Every interface list below is checked against the pinned Ironic (see docs/IRONIC-LOCAL.md).
 */
export function renderIronicConfig(input: IronicConfigInput): string {
    const { files, port } = input;
    const delays = input.fakeDelays ?? {};
    for (const [kind, value] of Object.entries(delays)) {
        if (value !== undefined && !FAKE_DELAY_PATTERN.test(String(value))) {
            throw new Error(`fake ${kind} delay "${value}" must be "N" or "MIN,MAX" whole seconds`);
        }
    }
    const fakeLines = (["deploy", "inspect", "power", "boot", "management", "bios"] as const)
        .filter((kind) => delays[kind] !== undefined)
        .map((kind) => `${kind}_delay = ${delays[kind]}`);
    const lines = [
        "# Written by pulumi-metal3 (local/ironic.ts) on every start; edits are overwritten.",
        "[DEFAULT]",
        `auth_strategy = ${input.authStrategy}`,
        ...(input.authStrategy === "http_basic" ? [`http_basic_auth_user_file = ${files.htpasswd}`] : []),
        `rpc_transport = ${input.cluster ? "json-rpc" : "none"}`,
        "host = pulumi-metal3-local",
        ...(input.cluster ? clusterDefaultLines(input.cluster) : []),
        `state_path = ${files.dir}`,
        `log_dir = ${files.dir}`,
        `log_file = ${path.basename(files.log)}`,
        "use_stderr = false",
        "debug = false",
        // Ironic's own list plus one: ironic.conductor.cleaning logs the whole node, driver_info with
        // the BMC password in plain text, at INFO when automated cleaning is disabled.
        `default_log_levels = ${IRONIC_LOG_LEVELS.join(",")}`,
        `enabled_hardware_types = ${(input.hardwareTypes ?? HARDWARE_TYPES).join(",")}`,
        // A node's default for each interface is the first of its hardware type's supported list that
        // is enabled here (ironic/common/driver_factory.py default_interface), not this order.
        "enabled_bios_interfaces = fake,no-bios,redfish,idrac-redfish",
        "enabled_boot_interfaces = fake,ipxe,pxe,http-ipxe,http,redfish-virtual-media,redfish-https,idrac-redfish-virtual-media",
        "enabled_console_interfaces = fake,no-console",
        // Not `autodetect`: ipmi/redfish nodes would default to it instead of `direct`.
        "enabled_deploy_interfaces = fake,direct,ramdisk,custom-agent",
        "enabled_firmware_interfaces = fake,no-firmware,redfish",
        // The provider speaks API 1.82, below firmware_interface (1.86): it can neither see nor reset
        // that field, so a node defaulting to `fake` (fake-hardware) or `redfish` firmware could not
        // switch to a hardware type without it (a BMC scheme change, fake -> ipmi: Ironic answers 400
        // "firmware interface ... is not supported by hardware type IPMIHardware"). Every type supports
        // `no-firmware`; firmware updates come with API >= 1.86 (docs/IRONIC-LOCAL.md).
        "default_firmware_interface = no-firmware",
        // `agent` (built-in in-band inspection) only where an agent image exists: it is the generic
        // types' first choice, so an ipmi node would otherwise default to an inspection that boots an
        // agent this machine does not have.
        `enabled_inspect_interfaces = fake,no-inspect,redfish,idrac-redfish${input.agentImages ? ",agent" : ""}`,
        // With an agent, in-band inspection is every node's default, as in Metal³'s ironic-image: the
        // redfish type would otherwise pick out-of-band `redfish` inspection first, which reads less
        // (no disks' serials, no LLDP) and fails on sushy-tools (GET .../Storage answers 500).
        ...(input.agentImages ? ["default_inspect_interface = agent"] : []),
        "enabled_management_interfaces = fake,ipmitool,intel-ipmitool,redfish,idrac-redfish,noop",
        "enabled_network_interfaces = noop",
        "default_network_interface = noop",
        "enabled_power_interfaces = fake,ipmitool,redfish,idrac-redfish",
        "enabled_raid_interfaces = fake,no-raid,agent,redfish,idrac-redfish",
        "enabled_rescue_interfaces = fake,no-rescue",
        "enabled_storage_interfaces = fake,noop",
        "enabled_vendor_interfaces = fake,no-vendor,ipmitool,redfish,idrac-redfish",
        "",
        "[api]",
        "host_ip = 127.0.0.1",
        `port = ${port}`,
        "api_workers = 1",
        "",
        "[database]",
        // sqlite: a writer waits up to 60 s for the lock (pysqlite's default is 5 s). Ironic 39 runs
        // its API and conductor on native threads, and `update_allocation` has no sqlite retry
        // (ironic/db/sqlalchemy/api.py): with 5 s, concurrent claims left allocations in
        // `allocating` for good after "database is locked" (10 claims on 6 hosts at once).
        `connection = ${input.cluster ? input.cluster.databaseUrl : `sqlite:///${files.database}?timeout=60`}`,
        "",
        "[dhcp]",
        "dhcp_provider = none",
        "",
        "[conductor]",
        "automated_clean = true",
        ...(input.cluster ? clusterConductorLines(input.cluster) : []),
        // Agent images for nodes whose driver_info has none (a node's own deploy_kernel wins).
        ...(input.agentImages ? [`deploy_kernel = ${input.agentImages.deployKernel}`, `deploy_ramdisk = ${input.agentImages.deployRamdisk}`] : []),
        "",
        "[deploy]",
        // Both directories must exist when pxe/ipxe are enabled, or the conductor refuses to start.
        `http_root = ${files.httpRoot}`,
        // iPXE scripts and virtual-media ISOs are fetched from here (without it ipxe deploys are refused).
        ...(input.httpUrl ? [`http_url = ${input.httpUrl}`] : []),
        "",
        "[service_catalog]",
        // No Keystone catalogue: the agent's callback URL and iPXE scripts name the API directly.
        `endpoint_override = http://127.0.0.1:${port}`,
        "",
        "[pxe]",
        `tftp_root = ${files.tftpRoot}`,
        `tftp_master_path = ${path.join(files.tftpRoot, "master_images")}`,
        "",
        "[ipmi]",
        ...(input.ipmiRetryTimeoutS !== undefined ? [`command_retry_timeout = ${Math.max(1, Math.round(input.ipmiRetryTimeoutS))}`] : []),
        "",
        "[redfish]",
        // Virtual-media ISOs go to http_url, not Swift (there is none; Ironic fails with MissingAuthPlugin otherwise).
        "use_swift = false",
        ...(input.redfishRetry
            ? [
                  `connection_attempts = ${Math.max(1, Math.round(input.redfishRetry.attempts))}`,
                  `connection_retry_interval = ${Math.max(1, Math.round(input.redfishRetry.intervalS))}`,
              ]
            : []),
        "",
        "[fake]",
        ...fakeLines,
        "",
        ...(input.cluster
            ? [
                  "[json_rpc]",
                  // Every local user can reach the loopback aliases: a conductor takes calls only with the
                  // internal user's password (server side, ironic/common/json_rpc/server.py), which the
                  // API sends (client side: auth_type defaults to auth_strategy,
                  // ironic/common/json_rpc/client.py _get_session; keystoneauth1's http_basic plugin).
                  "auth_strategy = http_basic",
                  `http_basic_auth_user_file = ${files.jsonRpcHtpasswd}`,
                  "auth_type = http_basic",
                  `username = ${input.cluster.jsonRpcAuth.username}`,
                  `password = ${input.cluster.jsonRpcAuth.password}`,
                  `port = ${input.cluster.jsonRpcPort}`,
                  // The conductor's JSON-RPC server (cheroot, ironic/common/wsgi_service.py) closes a
                  // keep-alive connection after 10 s idle; an API call sent on it at that moment fails with
                  // RemoteDisconnected, which the API returns as HTTP 500 "Unable to establish connection"
                  // (seen in CI: a Machine's allocation refused during a claim race). keystoneauth1 retries
                  // such a ConnectFailure only when connect_retries > 0 (keystoneauth1/session.py
                  // _send_request); the request never reached the server, so sending it again is safe.
                  "connect_retries = 3",
                  "connect_retry_delay = 0.2",
                  "",
              ]
            : []),
        "[oslo_concurrency]",
        `lock_path = ${files.locks}`,
        "",
    ];
    return withExtraConfig(lines, input.extraConfig ?? {}).join("\n");
}

/**
 * Adds `extra` to the rendered lines: into a section already written (after its header), else as
 * a new section at the end. An option already written in that section is refused: a file with it
 * twice would leave which one Ironic uses to oslo.config's parser.
 */
export function withExtraConfig(lines: string[], extra: ExtraIronicConfig): string[] {
    const out = [...lines];
    for (const [section, options] of Object.entries(extra)) {
        const entries = Object.entries(options);
        if (entries.length === 0) continue;
        for (const [key, value] of entries) {
            if (!/^[A-Za-z0-9_]+$/.test(key)) throw new Error(`ironic.conf option name "${key}" in [${section}] is not a plain option name`);
            if (/[\r\n]/.test(value)) throw new Error(`ironic.conf option [${section}] ${key} must be on one line`);
        }
        const header = out.indexOf(`[${section}]`);
        const rendered = entries.map(([key, value]) => `${key} = ${value}`);
        if (header < 0) {
            out.push(`[${section}]`, ...rendered, "");
            continue;
        }
        let end = header + 1;
        while (end < out.length && !/^\[.*\]$/.test(out[end])) end++;
        const written = new Set(out.slice(header + 1, end).map((line) => line.split("=")[0].trim()));
        for (const [key] of entries) {
            if (written.has(key)) throw new Error(`ironic.conf option [${section}] ${key} is written by pulumi-metal3 itself; it cannot be given again`);
        }
        out.splice(header + 1, 0, ...rendered);
    }
    return out;
}

function clusterDefaultLines(cluster: ClusterConfigInput): string[] {
    // The API re-reads the ring this often: a conductor that died is dropped from it this soon after its heartbeat times out.
    const ringReset = Math.max(2, Math.min(15, Math.round((cluster.heartbeatTimeoutS ?? 60) / 2)));
    return [`hash_ring_reset_interval = ${ringReset}`];
}

function clusterConductorLines(cluster: ClusterConfigInput): string[] {
    if (cluster.heartbeatTimeoutS === undefined) return [];
    const timeout = Math.max(3, Math.round(cluster.heartbeatTimeoutS));
    return [
        `heartbeat_timeout = ${timeout}`,
        // A few heartbeats per timeout, and the take-over check (_check_orphan_nodes) as often as that.
        `heartbeat_interval = ${Math.max(1, Math.floor(timeout / 3))}`,
        `check_provision_state_interval = ${Math.max(2, Math.floor(timeout / 2))}`,
    ];
}

/**
 * The environment Ironic runs with: ours without REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE. With either
 * set, python-requests verifies every HTTPS request against that bundle even when the session says
 * verify=False (psf/requests issue 3829: the environment wins over Session.verify), so a node's
 * `redfish_verify_ca: false` (disableCertificateVerification) would be ignored by sushy.
 */
export function ironicEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const { REQUESTS_CA_BUNDLE: _r, CURL_CA_BUNDLE: _c, ...rest } = env;
    return rest;
}

/**
 * The generated credentials of the Ironic whose state dir is `stateDir`, as recorded by its last
 * start (undefined when it runs noauth or with credentials the caller gave): for tools that talk
 * to the instance they started, such as `status` and the cluster's conductor listing.
 */
export function readGeneratedCredentials(stateDir: string): BasicAuth | undefined {
    const files = stateFiles(stateDir);
    const record = readInstance(files);
    if (!record?.generatedCredentials || !record.username) return undefined;
    try {
        const password = fs.readFileSync(files.password, "utf8").split("\n")[0];
        return password ? { username: record.username, password } : undefined;
    } catch {
        return undefined;
    }
}

export function readInstance(files: StateFiles): InstanceRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(files.instance, "utf8")) as InstanceRecord;
    } catch {
        return undefined;
    }
}

/**
 * The state dir is the owner's alone (0700): its database holds BMC passwords, its config the
 * database URL, its logs node details. Made so and, if it existed, corrected.
 */
export function makePrivateStateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
}

/** The database and config readable by the owner only (0600), whatever the umask made them. */
export function protectStateFiles(files: StateFiles): void {
    for (const file of [files.config, files.database, files.htpasswd, files.password, files.cloudsYaml, files.jsonRpcHtpasswd, files.jsonRpcPassword]) {
        if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
    }
}

/** The pid from the pid file if it is a live `ironic` process (not a recycled pid). */
function liveIronicPid(files: StateFiles): number | undefined {
    const pid = readPidFile(files.pid);
    if (pid === undefined || !isProcessAlive(pid)) return undefined;
    const cmdline = processCommandLine(pid);
    if (cmdline !== undefined && !(cmdline.includes("ironic") && cmdline.includes(files.config))) return undefined;
    return pid;
}

export function failureWithLog(message: string, files: StateFiles, logFile = files.log): Error {
    const tail = tailFile(logFile, 40);
    return new Error(`${message}\n--- last lines of ${logFile} ---\n${tail || "(empty)"}\n--- end of log ---`);
}

/** The API microversion range in Ironic's `GET /` answer. */
export function apiVersionsOf(rootBody: string): { min: string; max: string } {
    const root = JSON.parse(rootBody) as { default_version?: { version?: string; min_version?: string } };
    const v1 = root.default_version;
    if (!v1?.version || !v1.min_version) throw new Error(`GET / names no API version: ${rootBody.slice(0, 200)}`);
    return { min: v1.min_version, max: v1.version };
}

/** Wait until the API answers and the conductor has registered fake-hardware; resolves to the API versions it offers. */
export async function waitUntilReady(
    url: string,
    files: StateFiles,
    pid: number,
    auth: BasicAuth | undefined,
    timeoutMs: number,
): Promise<{ min: string; max: string }> {
    const abortIf = () => (isProcessAlive(pid) ? undefined : `ironic (pid ${pid}) exited during start-up`);
    const deadline = Date.now() + timeoutMs;
    try {
        const root = await waitForHttp(`${url}/`, { timeoutMs, abortIf, ready: (a) => a.status === 200 && a.body.includes("versions") });
        await waitForHttp(`${url}/v1/drivers`, {
            timeoutMs: Math.max(1000, deadline - Date.now()),
            abortIf,
            headers: { ...basicAuthHeader(auth), "X-OpenStack-Ironic-API-Version": "1.31" },
            // 401 without credentials: an http_basic instance found by a later `start`; GET / answered, which is all we can check.
            ready: (a) => (a.status === 200 && a.body.includes('"fake-hardware"')) || (a.status === 401 && !auth),
        });
        return apiVersionsOf(root.body);
    } catch (err) {
        throw failureWithLog(`Ironic at ${url} did not become ready: ${(err as Error).message}`, files);
    }
}

/** `ironic-dbsync create_schema` for a new database, `upgrade` for one an older start made (binDir: the Ironic environment's). */
export function runDbsync(
    files: StateFiles,
    log: Logger,
    binDir: string,
    command: "upgrade" | "create_schema" = fs.existsSync(files.database) ? "upgrade" : "create_schema",
): void {
    const started = Date.now();
    const out = fs.openSync(files.dbsyncLog, "w");
    try {
        const result = spawnSync(path.join(binDir, "ironic-dbsync"), ["--config-file", files.config, command], { stdio: ["ignore", out, out] });
        if (result.status !== 0) {
            throw failureWithLog(`ironic-dbsync ${command} failed (exit ${result.status ?? result.signal})`, files, files.dbsyncLog);
        }
    } finally {
        fs.closeSync(out);
    }
    log(`database ready (ironic-dbsync ${command}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/**
 * The API port: the one asked for; else the one this state directory had (recorded in
 * instance.json), so a restart after a crash keeps the URL that programs and stack config
 * already use; else 6385 when free, or any free port.
 */
export async function choosePort(asked: number | undefined, previous: InstanceRecord | undefined, files: StateFiles): Promise<number> {
    if (asked !== undefined) {
        if (!(await isPortFree(asked))) throw new Error(`port ${asked} on 127.0.0.1 is already in use`);
        return asked;
    }
    if (previous?.port) {
        if (!(await isPortFree(previous.port))) {
            throw new Error(
                `port ${previous.port}, where the Ironic of ${files.dir} ran before (${previous.url}, recorded in ${files.instance}), ` +
                    `is now in use by another process. Programs and stack config that use ${previous.url} would reach that process instead: ` +
                    `stop it and start again, or start with --port PORT and point them (e.g. pulumi-metal3:ironicUrl) at the new URL`,
            );
        }
        return previous.port;
    }
    return findFreePort(IRONIC_DEFAULT_PORT);
}

/**
 * Start (or find) the local Ironic for `stateDir`. Idempotent: a live instance that answers is
 * returned with `alreadyRunning: true`; a stale pid file is removed.
 */
export async function startIronic(opts: StartIronicOptions = {}): Promise<RunningIronic> {
    const log = opts.log ?? stderrLogger;
    const files = stateFiles(opts.stateDir ?? defaultStateDir());
    const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
    makePrivateStateDir(files.dir);
    const env = await ensureIronicInstalled(log, opts.install !== false);

    const existingPid = liveIronicPid(files);
    const existing = readInstance(files);
    if (existingPid !== undefined && existing) {
        // Possibly still starting (another `start` in flight): give it the same deadline.
        const auth = opts.basicAuth ?? readGeneratedCredentials(files.dir);
        const apiVersions = await waitUntilReady(existing.url, files, existingPid, auth, readyTimeoutMs);
        if (opts.port !== undefined && opts.port !== existing.port) {
            log(`note: already running on port ${existing.port}; --port ${opts.port} ignored (stop it first to change)`);
        }
        await ensureHttpRootServer(files.httpRoot, files.dir, log, env.python); // restarted on its port if it died
        log(`already running: pid ${existingPid}, ${existing.url} (state ${files.dir}; API ${apiVersions.min}–${apiVersions.max})`);
        return {
            url: existing.url,
            pid: existingPid,
            stateDir: files.dir,
            logFile: files.log,
            alreadyRunning: true,
            binDir: env.binDir,
            ironicVersion: env.ironicVersion,
            apiVersions,
            credentials: credentialsOfRecord(files, existing),
        };
    }
    if (readPidFile(files.pid) !== undefined) {
        log(`removing stale pid file ${files.pid} (pid ${readPidFile(files.pid)} is not a running ironic)`);
        removeFile(files.pid);
    }

    const port = await choosePort(opts.port, existing, files);
    const url = `http://127.0.0.1:${port}`;
    const apiAuth = chooseApiAuth(opts, files);
    const authStrategy = apiAuth.authStrategy;

    for (const dir of [files.httpRoot, files.tftpRoot, path.join(files.tftpRoot, "master_images"), files.locks]) {
        fs.mkdirSync(dir, { recursive: true });
    }
    const credentials = writeApiAuthFiles(files, env.python, url, apiAuth);
    fs.writeFileSync(
        files.config,
        renderIronicConfig({
            files,
            port,
            authStrategy,
            fakeDelays: opts.fakeDelays,
            ipmiRetryTimeoutS: opts.ipmiRetryTimeoutS,
            redfishRetry: opts.redfishRetry,
            httpUrl: await ensureHttpRootServer(files.httpRoot, files.dir, log, env.python),
            agentImages: opts.agentImages,
            hardwareTypes: opts.hardwareTypes,
            extraConfig: opts.extraConfig,
        }),
    );
    runDbsync(files, log, env.binDir);
    protectStateFiles(files);

    const started = Date.now();
    const logFd = fs.openSync(files.log, "a");
    fs.writeSync(logFd, `\n===== pulumi-metal3: starting ironic on ${url} at ${new Date().toISOString()} =====\n`);
    // detached: its own process group, so `stop` can signal everything it forked, and it outlives this CLI.
    const child = spawn(path.join(env.binDir, "ironic"), ["--config-file", files.config], {
        detached: true,
        stdio: ["ignore", logFd, logFd],
        env: ironicEnv(),
    });
    fs.closeSync(logFd);
    const pid = await new Promise<number>((resolve, reject) => {
        child.once("error", (err) => reject(new Error(`could not run ironic: ${err.message}`)));
        child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    writePidFile(files.pid, pid);
    const record: InstanceRecord = {
        pid,
        url,
        port,
        authStrategy,
        ...(apiAuth.auth ? { username: apiAuth.auth.username } : {}),
        ...(apiAuth.generated ? { generatedCredentials: true } : {}),
        startedAt: new Date().toISOString(),
    };
    fs.writeFileSync(files.instance, `${JSON.stringify(record, null, 2)}\n`);
    log(`started ironic pid ${pid} on ${url} (${authStrategy}); log ${files.log}`);

    let apiVersions: { min: string; max: string };
    try {
        apiVersions = await waitUntilReady(url, files, pid, apiAuth.auth, readyTimeoutMs);
    } catch (err) {
        // Nothing of a failed start stays behind: not Ironic, not the web server behind its http_url.
        await stopProcessGroup(pid, 3000);
        removeFile(files.pid);
        await stopHttpRootServer(files.httpRoot, files.dir, log);
        throw err;
    }
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${url} (Ironic ${env.ironicVersion}, API ${apiVersions.min}–${apiVersions.max})`);
    return {
        url,
        pid,
        stateDir: files.dir,
        logFile: files.log,
        alreadyRunning: false,
        binDir: env.binDir,
        ironicVersion: env.ironicVersion,
        apiVersions,
        credentials,
    };
}

/** Stop the local Ironic of `stateDir` (SIGTERM its process group, SIGKILL after a grace period). */
export async function stopIronic(opts: { stateDir?: string; log?: Logger } = {}): Promise<{ wasRunning: boolean }> {
    const log = opts.log ?? stderrLogger;
    const files = stateFiles(opts.stateDir ?? defaultStateDir());
    const pid = liveIronicPid(files);
    await stopHttpRootServer(files.httpRoot, files.dir, log);
    if (pid === undefined) {
        removeFile(files.pid);
        log(`not running (state ${files.dir})`);
        return { wasRunning: false };
    }
    const stopped = await stopProcessGroup(pid, 8000);
    if (!stopped) throw new Error(`ironic pid ${pid} did not exit after SIGTERM and SIGKILL`);
    removeFile(files.pid);
    log(`stopped ironic pid ${pid}`);
    return { wasRunning: true };
}

export async function ironicStatus(opts: { stateDir?: string } = {}): Promise<IronicStatus> {
    const files = stateFiles(opts.stateDir ?? defaultStateDir());
    const pid = liveIronicPid(files);
    const instance = readInstance(files);
    if (pid === undefined || !instance) return { running: false, answering: false, stateDir: files.dir, logFile: files.log };
    const answer = await httpGet(`${instance.url}/`);
    return {
        running: true,
        answering: answer?.status === 200,
        pid,
        url: instance.url,
        stateDir: files.dir,
        logFile: files.log,
        credentials: credentialsOfRecord(files, instance),
    };
}
