// `pulumi-metal3 bmc start|stop|status`: the command line of the lab's virtual IPMI BMCs
// (../local/bmc.ts starts and stops them; this file parses arguments and prints).
import * as path from "path";
import { BMC_BASE_PORT, bmcLine, bmcStatus, defaultBmcStateDir, startBmcs, stopBmcs } from "../local/bmc";

const USAGE = `usage: pulumi-metal3 bmc <command> [options]

commands:
  start    run N virtual IPMI BMCs on 127.0.0.1 (python3-pyghmi; installed when missing, as root)
           and print one line per BMC: BMC=ipmi://127.0.0.1:PORT USER PASSWORD
  stop     stop them (ports and passwords are kept for the next start)
  status   print each BMC's line and running/stopped (exit 0 all running, 3 otherwise)

options:
  --ipmi N           how many IPMI BMCs (start; default 1). BMCs beyond N are stopped
  --base-port P      first UDP port tried (start; default ${BMC_BASE_PORT})
  --state-dir DIR    records (port, user, password; mode 0600), pid files, logs
                     (default ${defaultBmcStateDir()})
  --no-install       fail instead of installing missing packages (start)
`;

/** `pulumi-metal3 bmc start|stop|status`; resolves to the process exit code. */
export async function bmcCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usage = (message?: string) => {
    if (message) process.stderr.write(`error: ${message}\n\n`);
    process.stderr.write(USAGE);
    return message ? 2 : 0;
  };
  if (!command || ["-h", "--help", "help"].includes(command)) return usage(command ? undefined : "a command is required");
  if (!["start", "stop", "status"].includes(command)) return usage(`unknown command "${command}"`);
  let count = 1;
  let basePort: number | undefined;
  let stateDir: string | undefined;
  let install = true;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].startsWith("--") && rest[i].includes("=") ? [rest[i].slice(0, rest[i].indexOf("=")), rest[i].slice(rest[i].indexOf("=") + 1)] : [rest[i], undefined];
    const value = () => inline ?? rest[++i];
    switch (flag) {
      case "--ipmi":
      case "--base-port": {
        const v = value();
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < (flag === "--ipmi" ? 0 : 1) || n > 65535) return usage(`bad ${flag} "${v ?? ""}"`);
        if (flag === "--ipmi") count = n;
        else basePort = n;
        break;
      }
      case "--state-dir":
        stateDir = value();
        if (!stateDir) return usage("--state-dir needs a value");
        break;
      case "--no-install":
        install = false;
        break;
      case "-h":
      case "--help":
        return usage();
      default:
        return usage(`unknown option "${rest[i]}"`);
    }
  }
  try {
    switch (command) {
      case "start": {
        const bmcs = await startBmcs({ count, basePort, stateDir, install });
        for (const b of bmcs) process.stdout.write(`${bmcLine(b)}\n`);
        return 0;
      }
      case "stop":
        await stopBmcs({ stateDir });
        return 0;
      case "status": {
        const all = bmcStatus({ stateDir });
        for (const b of all) process.stdout.write(`${bmcLine(b)} ${b.running ? `running pid ${b.pid}` : "stopped"}\n`);
        if (!all.length) process.stdout.write(`no BMCs (state ${path.resolve(stateDir ?? defaultBmcStateDir())})\n`);
        return all.length && all.every((b) => b.running) ? 0 : 3;
      }
    }
  } catch (err) {
    process.stderr.write(`[bmc] error: ${(err as Error).message}\n`);
    return 1;
  }
  return 2;
}
