// `pulumi-metal3 bmc start|stop|status`: the command line of the lab's virtual BMCs, IPMI
// (../local/bmc.ts) and Redfish (../local/redfish.ts); this file parses arguments and prints.
import * as path from "path";
import { BMC_BASE_PORT, bmcLine, bmcStatus, defaultBmcStateDir, startBmcs, stopBmcs } from "../local/bmc";
import { REDFISH_BASE_PORT, redfishLines, redfishStatus, startRedfish, stopRedfish } from "../local/redfish";

const USAGE = `usage: pulumi-metal3 bmc <command> [options]

commands:
  start    run N virtual IPMI BMCs on 127.0.0.1 (python3-pyghmi; installed when missing, as root)
           and print one line per BMC: BMC=ipmi://127.0.0.1:PORT USER PASSWORD
           and/or, with --redfish N, one sushy-tools Redfish emulator serving N fake systems
           (PyPI sushy-tools in a venv built once per machine) and one line per system:
           BMC=redfish+http(s)://127.0.0.1:PORT/redfish/v1/Systems/UUID USER PASSWORD BOOT_MAC=MAC
  stop     stop them all (ports, passwords and systems are kept for the next start)
  status   print each BMC's line and running/stopped (exit 0 all running, 3 otherwise)

options:
  --ipmi N           how many IPMI BMCs (start; default 1 unless --redfish is given). BMCs beyond N are stopped
  --redfish N        how many Redfish systems (start); the IPMI BMCs are left as they are
  --tls              the Redfish emulator serves HTTPS with a self-signed certificate (start)
  --base-port P      first UDP port tried for IPMI (start; default ${BMC_BASE_PORT})
  --redfish-port P   first TCP port tried for Redfish (start; default ${REDFISH_BASE_PORT})
  --state-dir DIR    records (port, user, password; mode 0600), pid files, logs
                     (default ${defaultBmcStateDir()}; Redfish in its redfish/ folder)
  --no-install       fail instead of installing missing packages or building the venv (start)
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
    let count: number | undefined;
    let redfishCount: number | undefined;
    let tls = false;
    let redfishPort: number | undefined;
    let basePort: number | undefined;
    let stateDir: string | undefined;
    let install = true;
    for (let i = 0; i < rest.length; i++) {
        const [flag, inline] =
            rest[i].startsWith("--") && rest[i].includes("=")
                ? [rest[i].slice(0, rest[i].indexOf("=")), rest[i].slice(rest[i].indexOf("=") + 1)]
                : [rest[i], undefined];
        const value = () => inline ?? rest[++i];
        switch (flag) {
            case "--ipmi":
            case "--redfish":
            case "--redfish-port":
            case "--base-port": {
                const v = value();
                const n = Number(v);
                const isCount = flag === "--ipmi" || flag === "--redfish";
                if (v === undefined || !Number.isInteger(n) || n < (isCount ? 0 : 1) || n > 65535) return usage(`bad ${flag} "${v ?? ""}"`);
                if (flag === "--ipmi") count = n;
                else if (flag === "--redfish") redfishCount = n;
                else if (flag === "--redfish-port") redfishPort = n;
                else basePort = n;
                break;
            }
            case "--tls":
                tls = true;
                break;
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
                if (tls && redfishCount === undefined) return usage("--tls is for the Redfish emulator: give --redfish N too");
                // --redfish alone leaves the IPMI BMCs as they are; --ipmi alone the Redfish emulator.
                if (count !== undefined || redfishCount === undefined) {
                    const bmcs = await startBmcs({ count: count ?? 1, basePort, stateDir, install });
                    for (const b of bmcs) process.stdout.write(`${bmcLine(b)}\n`);
                }
                if (redfishCount !== undefined) {
                    const lab = await startRedfish({ count: redfishCount, tls, basePort: redfishPort, stateDir, install });
                    if (lab) for (const line of redfishLines(lab)) process.stdout.write(`${line}\n`);
                }
                return 0;
            }
            case "stop":
                await stopBmcs({ stateDir });
                await stopRedfish({ stateDir });
                return 0;
            case "status": {
                const all = bmcStatus({ stateDir });
                for (const b of all) process.stdout.write(`${bmcLine(b)} ${b.running ? `running pid ${b.pid}` : "stopped"}\n`);
                const redfish = redfishStatus({ stateDir });
                if (redfish)
                    for (const line of redfishLines(redfish)) process.stdout.write(`${line} ${redfish.running ? `running pid ${redfish.pid}` : "stopped"}\n`);
                if (!all.length && !redfish) process.stdout.write(`no BMCs (state ${path.resolve(stateDir ?? defaultBmcStateDir())})\n`);
                return (all.length || redfish) && all.every((b) => b.running) && (!redfish || redfish.running) ? 0 : 3;
            }
        }
    } catch (err) {
        process.stderr.write(`[bmc] error: ${(err as Error).message}\n`);
        return 1;
    }
    return 2;
}
