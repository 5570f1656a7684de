// `pulumi-metal3 ironic start|stop|status|install`: the command line of the local Ironic
// (../local/ironic.ts starts and stops it; this file parses arguments and prints).
import * as fs from "fs";
import { ironicVenvCacheDir } from "../local/ironic-venv";
import {
    defaultStateDir,
    ensureIronicInstalled,
    ironicStatus,
    parseFakeDelays,
    startIronic,
    stopIronic,
    type BasicAuth,
    type FakeDelays,
    type LocalIronicCredentials,
} from "../local/ironic";

const USAGE = `usage: pulumi-metal3 ironic <command> [options]

commands:
  start    start a local standalone Ironic (builds its environment from PyPI when missing) and
           print on stdout IRONIC_URL=http://127.0.0.1:PORT and, as the API takes only a generated
           user and password by default, OS_CLIENT_CONFIG_FILE=STATE_DIR/clouds.yaml and
           OS_CLOUD=pulumi-metal3-local: with those two exported, \`baremetal\` and pulumi-metal3
           programs without an ironicUrl of their own connect with the generated credentials (the
           password itself is never printed: it is in STATE_DIR/ironic-password and clouds.yaml,
           both 0600). The Ironic release and the API versions it offers go to stderr
  stop     stop it
  status   print running/stopped, the URL and the credentials' lines as start does (exit 0
           running, 3 stopped)
  install  build the Ironic environment if missing (Ironic, baremetal, sushy from PyPI into a
           virtual environment cached under ${ironicVenvCacheDir()};
           ipmitool from Debian, as root) and print IRONIC_BIN=DIR (its commands, baremetal
           included) on stdout

options:
  --state-dir DIR            config, sqlite database, pid file and logs (default ${defaultStateDir()})
  --port PORT                API port on 127.0.0.1 (start; default: the port this state directory
                             had before, else 6385 if free, else any free port)
  --fake-delays SPEC         fake-hardware delays in seconds, e.g. deploy=5,inspect=2:6,power=1,boot=1
                             (kinds: deploy, inspect, power, boot, management, bios; MIN:MAX for a random range)
  --noauth                   no API authentication (start): every local user who reaches the port
                             drives this Ironic and reads its nodes; a warning says so
  --basic-auth USER          HTTP basic auth with your own user instead of generated credentials
                             (start); the password from
                             --basic-auth-password-file FILE, else from $OS_PASSWORD (never on
                             the command line: \`ps\` shows it to every user)
  --basic-auth-password-file FILE
                             the basic-auth password (first line of FILE)
  --ipmi-retry-timeout S     [ipmi] command_retry_timeout: seconds an unanswered BMC is retried (start)
  --deploy-kernel URL        [conductor] deploy_kernel: the ironic-python-agent kernel nodes without
                             their own deploy_kernel boot for cleaning and agent deploys (start)
  --deploy-ramdisk URL       [conductor] deploy_ramdisk: its initramfs (start; with --deploy-kernel)
  --no-install               fail instead of building the Ironic environment or installing packages (start)
  --database sqlite|postgresql
                             postgresql: a distributed Ironic (start): PostgreSQL (Debian's) under the
                             state dir (unix socket only), ironic-api and --conductors N
                             ironic-conductor processes on JSON-RPC over 127.0.0.2, 127.0.0.3, ...
                             (stop and status then cover every process; status lists the conductors)
  --conductors N             how many conductors (start; with --database postgresql, default 2)
  --heartbeat-timeout S      [conductor] heartbeat_timeout: a dead conductor's nodes are taken over
                             about this long after it stopped (start; distributed only; default 60)
`;

class UsageError extends Error {}

interface ParsedArgs {
    command: string;
    stateDir?: string;
    port?: number;
    fakeDelays?: FakeDelays;
    basicAuth?: BasicAuth;
    basicAuthUser?: string;
    basicAuthPasswordFile?: string;
    ipmiRetryTimeoutS?: number;
    deployKernel?: string;
    deployRamdisk?: string;
    install: boolean;
    noauth: boolean;
    database?: "sqlite" | "postgresql";
    conductors?: number;
    heartbeatTimeoutS?: number;
}

function parseArgs(argv: string[]): ParsedArgs {
    const [command, ...rest] = argv;
    if (!command || command === "-h" || command === "--help" || command === "help") throw new UsageError("");
    if (!["start", "stop", "status", "install"].includes(command)) throw new UsageError(`unknown command "${command}"`);
    const parsed: ParsedArgs = { command, install: true, noauth: false };
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        const eq = arg.indexOf("=");
        const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
        const value = (): string => {
            if (inline !== undefined) return inline;
            const next = rest[++i];
            if (next === undefined) throw new UsageError(`${name} needs a value`);
            return next;
        };
        switch (name) {
            case "--state-dir":
                parsed.stateDir = value();
                break;
            case "--port": {
                const v = value();
                const port = Number(v);
                if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`bad --port "${v}"`);
                parsed.port = port;
                break;
            }
            case "--fake-delays":
                try {
                    parsed.fakeDelays = parseFakeDelays(value());
                } catch (err) {
                    throw new UsageError((err as Error).message);
                }
                break;
            case "--basic-auth": {
                const v = value();
                if (v.includes(":"))
                    throw new UsageError(
                        "--basic-auth takes USER only: a password on the command line is visible to every user in `ps`; give it with --basic-auth-password-file FILE or OS_PASSWORD",
                    );
                if (!v) throw new UsageError("--basic-auth needs a user name");
                parsed.basicAuthUser = v;
                break;
            }
            case "--basic-auth-password-file":
                parsed.basicAuthPasswordFile = value();
                break;
            case "--ipmi-retry-timeout": {
                const v = value();
                const s = Number(v);
                if (!Number.isFinite(s) || s <= 0) throw new UsageError(`bad --ipmi-retry-timeout "${v}"`);
                parsed.ipmiRetryTimeoutS = s;
                break;
            }
            case "--deploy-kernel":
                parsed.deployKernel = value();
                break;
            case "--deploy-ramdisk":
                parsed.deployRamdisk = value();
                break;
            case "--no-install":
                parsed.install = false;
                break;
            case "--noauth":
                parsed.noauth = true;
                break;
            case "--database": {
                const v = value();
                if (v !== "sqlite" && v !== "postgresql") throw new UsageError(`bad --database "${v}": sqlite or postgresql`);
                parsed.database = v;
                break;
            }
            case "--conductors":
            case "--heartbeat-timeout": {
                const v = value();
                const n = Number(v);
                if (!Number.isInteger(n) || n < 1) throw new UsageError(`bad ${name} "${v}": a whole number from 1`);
                if (name === "--conductors") parsed.conductors = n;
                else parsed.heartbeatTimeoutS = n;
                break;
            }
            case "-h":
            case "--help":
                throw new UsageError("");
            default:
                throw new UsageError(`unknown option "${arg}"`);
        }
    }
    if (parsed.noauth && parsed.basicAuthUser !== undefined) throw new UsageError("--noauth and --basic-auth exclude each other");
    if (parsed.basicAuthPasswordFile !== undefined && parsed.basicAuthUser === undefined)
        throw new UsageError("--basic-auth-password-file goes with --basic-auth USER");
    if (parsed.basicAuthUser !== undefined) {
        let password = process.env.OS_PASSWORD ?? "";
        if (parsed.basicAuthPasswordFile !== undefined) {
            try {
                password = fs.readFileSync(parsed.basicAuthPasswordFile, "utf8").split("\n")[0];
            } catch (err) {
                throw new UsageError(`cannot read --basic-auth-password-file: ${(err as Error).message}`);
            }
        }
        if (!password) throw new UsageError("--basic-auth needs a password: --basic-auth-password-file FILE or OS_PASSWORD");
        parsed.basicAuth = { username: parsed.basicAuthUser, password };
    }
    if ((parsed.deployKernel === undefined) !== (parsed.deployRamdisk === undefined)) throw new UsageError("--deploy-kernel and --deploy-ramdisk go together");
    if (parsed.conductors !== undefined && parsed.database !== "postgresql") {
        throw new UsageError("--conductors needs --database postgresql (conductors share the database; sqlite is one process's)");
    }
    if (parsed.heartbeatTimeoutS !== undefined && parsed.database !== "postgresql") throw new UsageError("--heartbeat-timeout needs --database postgresql");
    return parsed;
}

/**
 * What start and status print after IRONIC_URL: where a client finds the generated credentials
 * (never the password itself), as lines a shell can export.
 */
function credentialLines(credentials: LocalIronicCredentials | undefined): string {
    if (!credentials?.cloudsFile || !credentials.cloud) return "";
    return `OS_CLIENT_CONFIG_FILE=${credentials.cloudsFile}\nOS_CLOUD=${credentials.cloud}\n`;
}

/** On stderr after a start: how to connect, or that anyone can. */
function explainAuth(credentials: LocalIronicCredentials | undefined, url: string): void {
    if (!credentials) {
        process.stderr.write(
            `[ironic] WARNING: ${url} runs without authentication (--noauth): every user of this machine can enrol, deploy and delete nodes through it and read what it holds; for generated credentials, stop it and start it without --noauth\n`,
        );
    } else if (credentials.cloudsFile) {
        process.stderr.write(
            `[ironic] the API takes user ${credentials.username} with the password in ${credentials.passwordFile} (0600); ` +
                `export OS_CLIENT_CONFIG_FILE and OS_CLOUD as printed and \`baremetal\` and programs without their own ironicUrl use them ` +
                `(stack config instead: pulumi-metal3:ironicUrl, ironicAuthType http_basic, ironicUsername ${credentials.username}, and --secret ironicPassword from that file)\n`,
        );
    }
}

/** `pulumi-metal3 ironic start|stop|status|install`; resolves to the process exit code. */
export async function ironicCommand(argv: string[]): Promise<number> {
    let args: ParsedArgs;
    try {
        args = parseArgs(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            if (err.message) process.stderr.write(`error: ${err.message}\n\n`);
            process.stderr.write(USAGE);
            return err.message ? 2 : 0;
        }
        throw err;
    }
    // Lazily: only the distributed mode needs it (a plain start does not load PostgreSQL's code).
    const cluster = require("../local/ironic-cluster") as typeof import("../local/ironic-cluster");
    const stateDir = args.stateDir ?? defaultStateDir();
    try {
        if (args.command === "start" && args.database === "postgresql") {
            const running = await cluster.startIronicCluster({
                conductors: args.conductors ?? 2,
                stateDir,
                port: args.port,
                fakeDelays: args.fakeDelays,
                ipmiRetryTimeoutS: args.ipmiRetryTimeoutS,
                heartbeatTimeoutS: args.heartbeatTimeoutS,
                basicAuth: args.basicAuth,
                noauth: args.noauth,
                ...(args.deployKernel && args.deployRamdisk ? { agentImages: { deployKernel: args.deployKernel, deployRamdisk: args.deployRamdisk } } : {}),
                install: args.install,
            });
            explainAuth(running.credentials, running.url);
            process.stdout.write(`IRONIC_URL=${running.url}\n${credentialLines(running.credentials)}`);
            return 0;
        }
        // A state dir that holds a distributed Ironic: stop and status cover all of its processes
        // (and a single-process Ironic started there later is still found by both).
        if (args.command === "stop" && cluster.readClusterRecord(stateDir)) {
            await cluster.stopIronicCluster({ stateDir });
            if ((await ironicStatus({ stateDir })).running) await stopIronic({ stateDir });
            return 0;
        }
        if (args.command === "status" && cluster.ironicClusterRunning(stateDir)) {
            const status = await cluster.ironicClusterStatus({ stateDir });
            if (!status.running) {
                process.stdout.write(`stopped (state ${status.stateDir})\n`);
                return 3;
            }
            process.stdout.write(cluster.formatClusterStatus(status));
            process.stdout.write(credentialLines(status.credentials));
            return 0;
        }
        if (args.command === "start" && cluster.ironicClusterRunning(stateDir)) {
            throw new Error(`a distributed Ironic (--database postgresql) runs in ${stateDir}: stop it first, or start it again with --database postgresql`);
        }
        switch (args.command) {
            case "install": {
                const env = await ensureIronicInstalled();
                process.stderr.write(`[ironic] Ironic ${env.ironicVersion} ${env.built ? "built" : "already built"} in ${env.root}\n`);
                process.stdout.write(`IRONIC_BIN=${env.binDir}\n`);
                return 0;
            }
            case "start": {
                const running = await startIronic({
                    stateDir: args.stateDir,
                    port: args.port,
                    fakeDelays: args.fakeDelays,
                    basicAuth: args.basicAuth,
                    noauth: args.noauth,
                    ipmiRetryTimeoutS: args.ipmiRetryTimeoutS,
                    ...(args.deployKernel && args.deployRamdisk ? { agentImages: { deployKernel: args.deployKernel, deployRamdisk: args.deployRamdisk } } : {}),
                    install: args.install,
                });
                explainAuth(running.credentials, running.url);
                process.stdout.write(`IRONIC_URL=${running.url}\n${credentialLines(running.credentials)}`);
                return 0;
            }
            case "stop":
                await stopIronic({ stateDir: args.stateDir });
                return 0;
            case "status": {
                const status = await ironicStatus({ stateDir: args.stateDir });
                if (!status.running) {
                    process.stdout.write(`stopped (state ${status.stateDir})\n`);
                    return 3;
                }
                const health = status.answering ? "" : " (not answering yet)";
                process.stdout.write(`running pid ${status.pid}${health}\nIRONIC_URL=${status.url}\n${credentialLines(status.credentials)}`);
                return 0;
            }
        }
    } catch (err) {
        process.stderr.write(`[ironic] error: ${(err as Error).message}\n`);
        return 1;
    }
    return 2;
}
