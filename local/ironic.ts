// A real, standalone Ironic on loopback in one command (the container-free counterpart of
// Metal³'s run_local_ironic.sh): Debian's packages, our own ironic.conf and sqlite database in a
// state directory, API and conductor in one `ironic` process. Used by `pulumi-metal3 ironic ...`,
// by the test suite's root hook, by demos and benchmarks.

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
  /** `auth_strategy = http_basic` with these credentials instead of `noauth`. */
  basicAuth?: BasicAuth;
  /** `[ipmi] command_retry_timeout`: how long an unanswered BMC is retried (Ironic's default 60). */
  ipmiRetryTimeoutS?: number;
  /** `[redfish] connection_attempts` / `connection_retry_interval` (Ironic's defaults 5 and 4 s: ~16 s per unreachable BMC). */
  redfishRetry?: { attempts: number; intervalS: number };
  /** Agent (IPA) images every node without its own gets (`[conductor] deploy_kernel/deploy_ramdisk`). */
  agentImages?: AgentImageDefaults;
  /** `enabled_hardware_types` (default HARDWARE_TYPES): fewer, e.g. to see how a missing type is reported. */
  hardwareTypes?: string[];
  /** Install Debian's Ironic packages when missing (default true). */
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
}

const IRONIC_DEFAULT_PORT = 6385;
const REQUIRED_COMMANDS = ["ironic", "ironic-dbsync", "baremetal"];
const APT_PACKAGES = ["ironic-api", "ironic-conductor", "python3-ironicclient", "ipmitool"];
// Ironic's own interpreter: its bcrypt generates the htpasswd entries Ironic will check.
const SYSTEM_PYTHON = "/usr/bin/python3";

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
  startedAt: string;
}

export function commandExists(command: string): boolean {
  const dirs = (process.env.PATH || "/usr/local/bin:/usr/bin:/bin").split(":").concat(["/usr/bin", "/usr/sbin"]);
  return dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

let aptUpdated = false;

export interface DebianPackageNeed {
  packages: string[];
  /** Commands that must be on PATH afterwards. */
  commands: string[];
  /** Another check that must pass (e.g. a Python module imports). */
  extraCheck?: () => boolean;
  /** For messages: "Ironic", "the virtual BMCs". */
  what: string;
}

/** apt-get install `packages` when a command (or `extraCheck`) is missing; as root, else says what to run. */
export function ensureDebianPackages(need: DebianPackageNeed, log: Logger = stderrLogger): void {
  const missing = need.commands.filter((c) => !commandExists(c));
  if (need.extraCheck && !need.extraCheck()) missing.push(`(${need.packages.join(", ")})`);
  if (missing.length === 0) return;
  const installCommand = `apt-get install -y --no-install-recommends ${need.packages.join(" ")}`;
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new Error(
      `${need.what}: not installed (missing: ${missing.join(", ")}). Install as root with:\n` +
        `  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${installCommand}`,
    );
  }
  const started = Date.now();
  const run = (args: string[]) => {
    log(`running: apt-get ${args.join(" ")}`);
    const result = spawnSync("apt-get", args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
      throw new Error(`apt-get ${args[0]} failed (exit ${result.status ?? result.signal}):\n${output}`);
    }
  };
  log(`${need.what}: missing ${missing.join(", ")}; installing ${need.packages.join(", ")}`);
  if (!aptUpdated) {
    run(["update"]);
    aptUpdated = true;
  }
  // Packages with services try to start them and are refused without an init system; harmless.
  run(["install", "-y", "--no-install-recommends", ...need.packages]);
  const stillMissing = need.commands.filter((c) => !commandExists(c));
  if (stillMissing.length || (need.extraCheck && !need.extraCheck())) {
    throw new Error(`installed ${need.packages.join(", ")} but ${need.what} still lacks: ${stillMissing.join(", ") || need.packages.join(", ")}`);
  }
  log(`installed ${need.packages.join(", ")} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Install Debian's Ironic packages when `ironic`, `ironic-dbsync` or `baremetal` is missing. */
export function ensureIronicInstalled(log: Logger = stderrLogger): void {
  ensureDebianPackages({ packages: APT_PACKAGES, commands: REQUIRED_COMMANDS, what: "Ironic" }, log);
}

const FAKE_DELAY_PATTERN = /^\d+(,\d+)?$/;

/** Parse `deploy=5,inspect=2:6,power=1` (the CLI's form; ":" separates MIN:MAX) into FakeDelays. */
export function parseFakeDelays(text: string): FakeDelays {
  const delays: FakeDelays = {};
  const known = ["deploy", "inspect", "power", "boot", "management", "bios"] as const;
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
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

/** URLs of the ironic-python-agent kernel and initramfs the conductor uses by default. */
export interface AgentImageDefaults {
  deployKernel: string;
  deployRamdisk: string;
}

/**
 * Hardware types Debian 12's Ironic 21.4 packages can run here, with the interfaces they need;
 * every one of them loads (checked by starting Ironic with this list; `ibmc` is left out: its
 * management interface needs python3-ibmcclient, which Debian does not package).
 */
export const HARDWARE_TYPES = ["fake-hardware", "ipmi", "redfish", "manual-management", "idrac", "ilo", "ilo5", "irmc", "intel-ipmi", "snmp", "xclarity"];

/** Ironic 21.4's default_log_levels (ironic/conf/opts.py) plus what keeps BMC passwords out of the log. */
const IRONIC_LOG_LEVELS = [
  "amqp=WARNING",
  "amqplib=WARNING",
  "qpid.messaging=INFO",
  "oslo.messaging=INFO",
  "oslo_messaging=INFO",
  "sqlalchemy=WARNING",
  "stevedore=INFO",
  "eventlet.wsgi.server=INFO",
  "iso8601=WARNING",
  "requests=WARNING",
  "glanceclient=WARNING",
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
  /** `[conductor] heartbeat_timeout` (Ironic's default 60 s): how soon a dead conductor's nodes are taken over. */
  heartbeatTimeoutS?: number;
}

/**
 * ironic.conf for a standalone Ironic on loopback: no Keystone, no message bus, no DHCP, no
 * Neutron; fake hardware for tests plus ipmi/redfish/manual-management for real machines.
 * Every interface list below was checked against Ironic 21.4 (see docs/IRONIC-LOCAL.md).
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
    // The first of each list a hardware type supports is its default (Ironic's own order otherwise).
    "enabled_bios_interfaces = fake,no-bios,redfish,idrac-redfish,ilo,irmc",
    "enabled_boot_interfaces = fake,ipxe,pxe,redfish-virtual-media,idrac-redfish-virtual-media,ilo-ipxe,ilo-pxe,ilo-virtual-media,ilo-uefi-https,irmc-pxe",
    "enabled_console_interfaces = fake,no-console",
    "enabled_deploy_interfaces = fake,direct,ramdisk,custom-agent",
    // No `inspector`: it needs a separate ironic-inspector service.
    "enabled_inspect_interfaces = fake,no-inspect,redfish,idrac-redfish,ilo,irmc",
    "enabled_management_interfaces = fake,ipmitool,intel-ipmitool,redfish,idrac-redfish,ilo,ilo5,irmc,xclarity,noop",
    "enabled_network_interfaces = noop",
    "default_network_interface = noop",
    "enabled_power_interfaces = fake,ipmitool,redfish,idrac-redfish,ilo,irmc,snmp,xclarity",
    "enabled_raid_interfaces = fake,no-raid,agent,redfish,idrac-redfish,ilo5,irmc",
    "enabled_rescue_interfaces = fake,no-rescue",
    "enabled_storage_interfaces = fake,noop",
    "enabled_vendor_interfaces = fake,no-vendor,ipmitool,redfish,idrac-redfish,ilo,irmc",
    "",
    "[api]",
    "host_ip = 127.0.0.1",
    `port = ${port}`,
    "api_workers = 1",
    "",
    "[database]",
    `connection = ${input.cluster ? input.cluster.databaseUrl : `sqlite:///${files.database}`}`,
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
    "[ilo]",
    // iLO virtual media from http_url, not Swift (there is none).
    "use_web_server_for_images = true",
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
          // Loopback aliases only, and the API is noauth too (the cluster refuses --basic-auth).
          "auth_strategy = noauth",
          `port = ${input.cluster.jsonRpcPort}`,
          "",
        ]
      : []),
    "[oslo_concurrency]",
    `lock_path = ${files.locks}`,
    "",
  ];
  return lines.join("\n");
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

/** An htpasswd line with a bcrypt hash (the only kind Ironic accepts), made by the bcrypt Ironic itself uses. */
export function bcryptHtpasswdLine(username: string, password: string): string {
  if (!username || username.includes(":")) throw new Error("basic-auth user name must be non-empty and contain no ':'");
  const script = "import sys, bcrypt; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(rounds=5)).decode())";
  // The password goes through stdin, never the command line (visible in `ps`).
  const result = spawnSync(SYSTEM_PYTHON, ["-c", script], { input: password, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`could not hash the basic-auth password with ${SYSTEM_PYTHON} + bcrypt (is python3-bcrypt installed?): ${result.stderr}`);
  }
  return `${username}:${result.stdout.trim()}`;
}

export function readInstance(files: StateFiles): InstanceRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(files.instance, "utf8")) as InstanceRecord;
  } catch {
    return undefined;
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

function basicAuthHeader(auth?: BasicAuth): Record<string, string> {
  return auth ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` } : {};
}

export function failureWithLog(message: string, files: StateFiles, logFile = files.log): Error {
  const tail = tailFile(logFile, 40);
  return new Error(`${message}\n--- last lines of ${logFile} ---\n${tail || "(empty)"}\n--- end of log ---`);
}

/** Wait until the API answers and the conductor has registered fake-hardware. */
export async function waitUntilReady(url: string, files: StateFiles, pid: number, auth: BasicAuth | undefined, timeoutMs: number): Promise<void> {
  const abortIf = () => (isProcessAlive(pid) ? undefined : `ironic (pid ${pid}) exited during start-up`);
  const deadline = Date.now() + timeoutMs;
  try {
    await waitForHttp(`${url}/`, { timeoutMs, abortIf, ready: (a) => a.status === 200 && a.body.includes("versions") });
    await waitForHttp(`${url}/v1/drivers`, {
      timeoutMs: Math.max(1000, deadline - Date.now()),
      abortIf,
      headers: { ...basicAuthHeader(auth), "X-OpenStack-Ironic-API-Version": "1.31" },
      // 401 without credentials: an http_basic instance found by a later `start`; GET / answered, which is all we can check.
      ready: (a) => (a.status === 200 && a.body.includes('"fake-hardware"')) || (a.status === 401 && !auth),
    });
  } catch (err) {
    throw failureWithLog(`Ironic at ${url} did not become ready: ${(err as Error).message}`, files);
  }
}

export function runDbsync(files: StateFiles, log: Logger, command: "upgrade" | "create_schema" = fs.existsSync(files.database) ? "upgrade" : "create_schema"): void {
  const started = Date.now();
  const out = fs.openSync(files.dbsyncLog, "w");
  try {
    const result = spawnSync("ironic-dbsync", ["--config-file", files.config, command], { stdio: ["ignore", out, out] });
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
  fs.mkdirSync(files.dir, { recursive: true });

  const existingPid = liveIronicPid(files);
  const existing = readInstance(files);
  if (existingPid !== undefined && existing) {
    // Possibly still starting (another `start` in flight): give it the same deadline.
    await waitUntilReady(existing.url, files, existingPid, opts.basicAuth, readyTimeoutMs);
    if (opts.port !== undefined && opts.port !== existing.port) {
      log(`note: already running on port ${existing.port}; --port ${opts.port} ignored (stop it first to change)`);
    }
    await ensureHttpRootServer(files.httpRoot, files.dir, log); // restarted on its port if it died
    log(`already running: pid ${existingPid}, ${existing.url} (state ${files.dir})`);
    return { url: existing.url, pid: existingPid, stateDir: files.dir, logFile: files.log, alreadyRunning: true };
  }
  if (readPidFile(files.pid) !== undefined) {
    log(`removing stale pid file ${files.pid} (pid ${readPidFile(files.pid)} is not a running ironic)`);
    removeFile(files.pid);
  }

  if (opts.install !== false) ensureIronicInstalled(log);
  else {
    const missing = REQUIRED_COMMANDS.filter((c) => !commandExists(c));
    if (missing.length) throw new Error(`Ironic is not installed (missing: ${missing.join(", ")}) and installing was disabled`);
  }

  const port = await choosePort(opts.port, existing, files);
  const url = `http://127.0.0.1:${port}`;
  const authStrategy = opts.basicAuth ? "http_basic" : "noauth";

  for (const dir of [files.httpRoot, files.tftpRoot, path.join(files.tftpRoot, "master_images"), files.locks]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  if (opts.basicAuth) {
    fs.writeFileSync(files.htpasswd, `${bcryptHtpasswdLine(opts.basicAuth.username, opts.basicAuth.password)}\n`, { mode: 0o600 });
  } else {
    removeFile(files.htpasswd);
  }
  fs.writeFileSync(
    files.config,
    renderIronicConfig({
      files,
      port,
      authStrategy,
      fakeDelays: opts.fakeDelays,
      ipmiRetryTimeoutS: opts.ipmiRetryTimeoutS,
      redfishRetry: opts.redfishRetry,
      httpUrl: await ensureHttpRootServer(files.httpRoot, files.dir, log),
      agentImages: opts.agentImages,
      hardwareTypes: opts.hardwareTypes,
    }),
  );
  runDbsync(files, log);

  const started = Date.now();
  const logFd = fs.openSync(files.log, "a");
  fs.writeSync(logFd, `\n===== pulumi-metal3: starting ironic on ${url} at ${new Date().toISOString()} =====\n`);
  // detached: its own process group, so `stop` can signal everything it forked, and it outlives this CLI.
  const child = spawn("ironic", ["--config-file", files.config], { detached: true, stdio: ["ignore", logFd, logFd] });
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
    ...(opts.basicAuth ? { username: opts.basicAuth.username } : {}),
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(files.instance, `${JSON.stringify(record, null, 2)}\n`);
  log(`started ironic pid ${pid} on ${url} (${authStrategy}); log ${files.log}`);

  try {
    await waitUntilReady(url, files, pid, opts.basicAuth, readyTimeoutMs);
  } catch (err) {
    // Nothing of a failed start stays behind: not Ironic, not the web server behind its http_url.
    await stopProcessGroup(pid, 3000);
    removeFile(files.pid);
    await stopHttpRootServer(files.httpRoot, files.dir, log);
    throw err;
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${url}`);
  return { url, pid, stateDir: files.dir, logFile: files.log, alreadyRunning: false };
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
  return { running: true, answering: answer?.status === 200, pid, url: instance.url, stateDir: files.dir, logFile: files.log };
}
