// `pulumi-metal3 ironic start|stop|status|install`: the command line of the local Ironic
// (../local/ironic.ts starts and stops it; this file parses arguments and prints).
import { defaultStateDir, ensureIronicInstalled, ironicStatus, parseFakeDelays, startIronic, stopIronic, type BasicAuth, type FakeDelays } from "../local/ironic";

const USAGE = `usage: pulumi-metal3 ironic <command> [options]

commands:
  start    start a local standalone Ironic (installs Debian's packages when missing, as root)
           and print IRONIC_URL=http://127.0.0.1:PORT on stdout
  stop     stop it
  status   print running/stopped and the URL (exit 0 running, 3 stopped)
  install  install Debian's Ironic packages if missing

options:
  --state-dir DIR            config, sqlite database, pid file and logs (default ${defaultStateDir()})
  --port PORT                API port on 127.0.0.1 (start; default: the port this state directory
                             had before, else 6385 if free, else any free port)
  --fake-delays SPEC         fake-hardware delays in seconds, e.g. deploy=5,inspect=2:6,power=1,boot=1
                             (kinds: deploy, inspect, power, boot, management, bios; MIN:MAX for a random range)
  --basic-auth USER:PASS     HTTP basic auth instead of noauth (start); USER alone takes the
                             password from OS_PASSWORD
  --ipmi-retry-timeout S     [ipmi] command_retry_timeout: seconds an unanswered BMC is retried (start)
  --deploy-kernel URL        [conductor] deploy_kernel: the ironic-python-agent kernel nodes without
                             their own deploy_kernel boot for cleaning and agent deploys (start)
  --deploy-ramdisk URL       [conductor] deploy_ramdisk: its initramfs (start; with --deploy-kernel)
  --no-install               fail instead of installing missing packages (start)
  --database sqlite|postgresql
                             postgresql: a distributed Ironic (start): Debian's PostgreSQL under the
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
  ipmiRetryTimeoutS?: number;
  deployKernel?: string;
  deployRamdisk?: string;
  install: boolean;
  database?: "sqlite" | "postgresql";
  conductors?: number;
  heartbeatTimeoutS?: number;
}

function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || command === "-h" || command === "--help" || command === "help") throw new UsageError("");
  if (!["start", "stop", "status", "install"].includes(command)) throw new UsageError(`unknown command "${command}"`);
  const parsed: ParsedArgs = { command, install: true };
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
        // USER:PASSWORD, or USER alone with the password in $OS_PASSWORD (kept out of `ps`).
        const v = value();
        const colon = v.indexOf(":");
        const username = colon < 0 ? v : v.slice(0, colon);
        const password = colon < 0 ? process.env.OS_PASSWORD ?? "" : v.slice(colon + 1);
        if (!username || !password) throw new UsageError("--basic-auth needs USER:PASSWORD (or USER with OS_PASSWORD set)");
        parsed.basicAuth = { username, password };
        break;
      }
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
  if ((parsed.deployKernel === undefined) !== (parsed.deployRamdisk === undefined)) throw new UsageError("--deploy-kernel and --deploy-ramdisk go together");
  if (parsed.conductors !== undefined && parsed.database !== "postgresql") {
    throw new UsageError("--conductors needs --database postgresql (conductors share the database; sqlite is one process's)");
  }
  if (parsed.database === "postgresql" && parsed.basicAuth) throw new UsageError("--basic-auth is not supported with --database postgresql yet");
  if (parsed.heartbeatTimeoutS !== undefined && parsed.database !== "postgresql") throw new UsageError("--heartbeat-timeout needs --database postgresql");
  return parsed;
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
        ...(args.deployKernel && args.deployRamdisk ? { agentImages: { deployKernel: args.deployKernel, deployRamdisk: args.deployRamdisk } } : {}),
        install: args.install,
      });
      process.stdout.write(`IRONIC_URL=${running.url}\n`);
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
      return 0;
    }
    if (args.command === "start" && cluster.ironicClusterRunning(stateDir)) {
      throw new Error(`a distributed Ironic (--database postgresql) runs in ${stateDir}: stop it first, or start it again with --database postgresql`);
    }
    switch (args.command) {
      case "install":
        ensureIronicInstalled();
        process.stderr.write("[ironic] installed: ironic, ironic-dbsync, baremetal\n");
        return 0;
      case "start": {
        const running = await startIronic({
          stateDir: args.stateDir,
          port: args.port,
          fakeDelays: args.fakeDelays,
          basicAuth: args.basicAuth,
          ipmiRetryTimeoutS: args.ipmiRetryTimeoutS,
          ...(args.deployKernel && args.deployRamdisk ? { agentImages: { deployKernel: args.deployKernel, deployRamdisk: args.deployRamdisk } } : {}),
          install: args.install,
        });
        process.stdout.write(`IRONIC_URL=${running.url}\n`);
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
        process.stdout.write(`running pid ${status.pid}${health}\nIRONIC_URL=${status.url}\n`);
        return 0;
      }
    }
  } catch (err) {
    process.stderr.write(`[ironic] error: ${(err as Error).message}\n`);
    return 1;
  }
  return 2;
}
