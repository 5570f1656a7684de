// Debian packages the local services need from the system (ipmitool, PostgreSQL, the IPMI BMC
// emulator): `apt-get install` as root when a command is missing, else the exact command to run.
// Ironic itself is not one of them: it comes from PyPI (local/ironic-venv.ts).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export type Logger = (line: string) => void;

const stderrLogger: Logger = (line) => process.stderr.write(`[apt] ${line}\n`);

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
