// The local Ironic's software: OpenStack Ironic from PyPI (with python-ironicclient's `baremetal`,
// sushy for the Redfish hardware types and psycopg2 for the distributed mode) in a Python virtual
// environment built once per machine and cached, like the Go toolchain (local/toolchain.ts).
//
// Layout under `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/ironic-venv/`:
//   <key>/venv/       the virtual environment, `pip install -r local/ironic-requirements.txt`
//   <key>/bin/        symlinks to its Ironic commands and `baremetal` only (put on PATH by tests:
//                     not the venv's python/pip)
//   <key>/build.log   what pip printed
//   <key>/complete    written last, with what was built (present = done)
//   locks/<key>       held while building (local/cache-lock.ts)
// <key> hashes the pinned requirements file and the interpreter, so a change of either builds a
// new environment beside the old one. ipmitool (for the `ipmi` hardware type) is not Python: it
// comes from Debian (local/apt.ts).

import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureDebianPackages } from "./apt";
import { acquireCacheLock } from "./cache-lock";

export type Logger = (line: string) => void;

/** The commands linked into the environment's bin dir. */
export const IRONIC_COMMANDS = ["ironic", "ironic-api", "ironic-conductor", "ironic-dbsync", "ironic-status", "baremetal"] as const;
/** The oldest CPython the pinned packages declare (ironic and python-ironicclient: `Requires-Python >= 3.11`). */
const MIN_PYTHON: [number, number] = [3, 11];

export interface IronicEnvironment {
    /** `<cache>/ironic-venv/<key>`. */
    root: string;
    /** The venv's interpreter (it has bcrypt, for htpasswd entries Ironic will accept). */
    python: string;
    /** Ironic's commands and `baremetal`, nothing else: safe to put first on PATH. */
    binDir: string;
    /** The pinned `ironic` release, e.g. "39.0.0". */
    ironicVersion: string;
    /** True when this call built it. */
    built: boolean;
}

export function ironicVenvCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "ironic-venv");
}

/** local/ironic-requirements.txt, from dist/local (built or packed) or from local/ itself. */
export function ironicRequirementsFile(): string {
    const candidates = [path.resolve(__dirname, "..", "..", "local", "ironic-requirements.txt"), path.resolve(__dirname, "ironic-requirements.txt")];
    const found = candidates.find((f) => fs.existsSync(f));
    if (!found) throw new Error(`the pinned Ironic requirements are missing (looked for ${candidates.join(", ")})`);
    return found;
}

/** The `==` pin of `name` in a requirements text. */
export function pinnedVersion(requirements: string, name: string): string | undefined {
    const norm = (s: string) => s.toLowerCase().replace(/[-_.]+/g, "-");
    for (const line of requirements.split("\n")) {
        const m = /^\s*([A-Za-z0-9._-]+)\s*==\s*([^\s;#]+)/.exec(line);
        if (m && norm(m[1]) === norm(name)) return m[2];
    }
    return undefined;
}

interface PythonInfo {
    executable: string;
    version: string;
}

/** The `python3` on PATH (PULUMI_METAL3_PYTHON overrides), with its real executable and version. */
function findPython(env: NodeJS.ProcessEnv = process.env): PythonInfo {
    const python = env.PULUMI_METAL3_PYTHON || "python3";
    const r = spawnSync(python, ["-c", "import sys, venv; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(
            `the local Ironic needs CPython >= ${MIN_PYTHON.join(".")} with its venv module (\`${python}\` ` +
                `${r.error ? `could not be run: ${r.error.message}` : `failed: ${(r.stderr || "").trim().split("\n").pop()}`}); ` +
                `on Debian: apt-get install python3 python3-venv, or set PULUMI_METAL3_PYTHON to an interpreter`,
        );
    }
    const [executable, version] = r.stdout.trim().split("\n");
    const [major, minor] = version.split(".").map(Number);
    if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
        throw new Error(
            `the local Ironic's pinned packages need CPython >= ${MIN_PYTHON.join(".")}; \`${python}\` is ${version} (${executable}): set PULUMI_METAL3_PYTHON to a newer one`,
        );
    }
    return { executable, version };
}

function environmentKey(requirements: string, python: PythonInfo): string {
    return crypto
        .createHash("sha256")
        .update(requirements)
        .update("\0")
        .update(python.executable)
        .update("\0")
        .update(python.version)
        .digest("hex")
        .slice(0, 12);
}

export function run(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    fs.appendFileSync(logFile, `\n$ ${command} ${args.join(" ")}\n`);
    return new Promise((resolve, reject) => {
        const out = fs.openSync(logFile, "a");
        const child = spawn(command, args, { stdio: ["ignore", out, out], env });
        fs.closeSync(out);
        child.once("error", (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
        child.once("close", (code, signal) => {
            if (code === 0) return resolve();
            const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
            reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(" ")} ... failed (exit ${code ?? signal}); full log ${logFile}:\n${tail}`));
        });
    });
}

function placeCommands(root: string): void {
    const binDir = path.join(root, "bin");
    fs.mkdirSync(binDir, { recursive: true });
    for (const name of IRONIC_COMMANDS) {
        const target = path.join(root, "venv", "bin", name);
        if (!fs.existsSync(target)) throw new Error(`the Ironic environment ${root} has no ${name}`);
        fs.rmSync(path.join(binDir, name), { force: true });
        fs.symlinkSync(target, path.join(binDir, name));
    }
}

async function build(root: string, python: PythonInfo, requirementsFile: string, ironicVersion: string, log: Logger): Promise<void> {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    const logFile = path.join(root, "build.log");
    log(`building Ironic ${ironicVersion} from PyPI into ${root} with Python ${python.version} (once per machine; log ${logFile}) ...`);
    const started = Date.now();
    await run(python.executable, ["-m", "venv", path.join(root, "venv")], logFile);
    const pip = path.join(root, "venv", "bin", "pip");
    // Exactly the pinned set; a stray PIP_REQUIRE_VIRTUALENV / user config does not change what lands.
    const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" };
    await run(pip, ["install", "--no-input", "-r", requirementsFile], logFile, pipEnv);
    await run(pip, ["check"], logFile, pipEnv);
    const venvPython = path.join(root, "venv", "bin", "python");
    const probe = spawnSync(venvPython, ["-c", "import importlib.metadata as m, ironic, sushy, psycopg2, bcrypt; print(m.version('ironic'))"], {
        encoding: "utf8",
    });
    if (probe.status !== 0 || probe.stdout.trim() !== ironicVersion) {
        throw new Error(`the Ironic environment ${root} does not import as expected (want ironic ${ironicVersion}): ${probe.stdout}${probe.stderr}`);
    }
    placeCommands(root);
    const seconds = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(
        path.join(root, "complete"),
        `${JSON.stringify({ ironic: ironicVersion, python: python.version, pythonExecutable: python.executable, requirements: requirementsFile, seconds, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`built Ironic ${ironicVersion} in ${seconds} s`);
}

export interface EnsureIronicEnvironmentOptions {
    log?: Logger;
    /** false: fail when the environment is not built yet instead of building it (`--no-install`). */
    install?: boolean;
}

/**
 * The local Ironic's environment, built when missing (under a lock: concurrent callers wait for
 * one build), plus ipmitool from Debian for the `ipmi` hardware type.
 */
export async function ensureIronicEnvironment(opts: EnsureIronicEnvironmentOptions = {}): Promise<IronicEnvironment> {
    const log = opts.log ?? ((line: string) => process.stderr.write(`[ironic] ${line}\n`));
    const requirementsFile = ironicRequirementsFile();
    const requirements = fs.readFileSync(requirementsFile, "utf8");
    const ironicVersion = pinnedVersion(requirements, "ironic");
    if (!ironicVersion) throw new Error(`${requirementsFile} pins no ironic release`);
    const python = findPython();
    const key = environmentKey(requirements, python);
    const root = path.join(ironicVenvCacheDir(), key);
    const done = () => fs.existsSync(path.join(root, "complete"));
    let built = false;
    if (!done()) {
        if (opts.install === false)
            throw new Error(`Ironic ${ironicVersion} is not installed (no ${root}) and installing was disabled: run \`pulumi-metal3 ironic install\``);
        const release = await acquireCacheLock(path.join(ironicVenvCacheDir(), "locks", key), done, `Ironic ${ironicVersion} (${root})`, log);
        if (release) {
            try {
                if (!done()) {
                    await build(root, python, requirementsFile, ironicVersion, log);
                    built = true;
                }
            } finally {
                release();
            }
        }
    }
    if (opts.install === false) {
        if (!fs.existsSync("/usr/bin/ipmitool") && spawnSync("ipmitool", ["-V"]).status !== 0)
            throw new Error("ipmitool is not installed and installing was disabled");
    } else {
        ensureDebianPackages({ packages: ["ipmitool"], commands: ["ipmitool"], what: "Ironic's ipmi hardware type" }, log);
    }
    return { root, python: path.join(root, "venv", "bin", "python"), binDir: path.join(root, "bin"), ironicVersion, built };
}
