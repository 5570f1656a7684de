// A Python virtual environment from PyPI, built once per machine and cached under
// ~/.cache/pulumi-metal3/venv/<name>-<key>, where <key> hashes the pinned requirements and the
// interpreter that built it: a change of either builds a new one beside it, a rerun reuses it.
// Used for sushy-tools (the Redfish emulator of local/redfish.ts); the local Ironic's own
// environment (local/ironic-venv.ts) is built the same way but from a requirements file and with
// its commands placed on PATH. A venv is not relocatable (its scripts name its own path), so it is
// built in place and marked complete last; concurrent callers wait on local/cache-lock.ts.
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acquireCacheLock } from "./cache-lock";
import { tailFile } from "./proc";

export type Logger = (line: string) => void;

export interface PythonVenv {
    dir: string;
    /** `<dir>/bin/python`. */
    python: string;
    /** `<dir>/bin/<name>`. */
    bin(name: string): string;
}

export interface EnsureVenvOptions {
    /** Short name, e.g. "sushy-tools". */
    name: string;
    /** Every package pinned with `==`, transitive ones included (what `pip freeze` printed). */
    requirements: string[];
    /** A module imported to check the venv (e.g. "sushy_tools.emulator.main"). */
    checkImport: string;
    /** The interpreter (default: PULUMI_METAL3_PYTHON, else `python3` on PATH, else /usr/bin/python3). */
    python?: string;
    /** false: fail instead of building a missing venv. */
    install?: boolean;
    log?: Logger;
}

const COMPLETE_MARKER = ".pulumi-metal3-complete";

export function venvCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "venv");
}

/** The interpreter venvs are built with. */
export function basePython(env: NodeJS.ProcessEnv = process.env): string {
    if (env.PULUMI_METAL3_PYTHON) return env.PULUMI_METAL3_PYTHON;
    const onPath = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
    if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
    return "/usr/bin/python3";
}

/** What identifies the interpreter: version and installation prefix. */
export function pythonIdentity(python: string): string {
    const r = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0], sys.base_prefix)"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cannot run ${python} to build a Python virtual environment: ${(r.stderr || r.error?.message || "").trim()}`);
    return r.stdout.trim();
}

/** The cache key: pinned requirements (sorted) and the interpreter's identity. */
export function venvKey(requirements: string[], identity: string): string {
    for (const r of requirements)
        if (!/^[A-Za-z0-9._-]+(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!-]+$/.test(r)) throw new Error(`requirement "${r}" is not pinned with ==`);
    return createHash("sha256")
        .update([...requirements].sort().join("\n"))
        .update("\0")
        .update(identity)
        .digest("hex")
        .slice(0, 12);
}

function venvOf(dir: string): PythonVenv {
    return { dir, python: path.join(dir, "bin", "python"), bin: (name) => path.join(dir, "bin", name) };
}

function run(command: string, args: string[], logFile: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const fd = fs.openSync(logFile, "a");
        fs.writeSync(fd, `\n$ ${command} ${args.join(" ")}\n`);
        const child = spawn(command, args, { stdio: ["ignore", fd, fd], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" } });
        fs.closeSync(fd);
        child.once("error", reject);
        child.once("exit", (code) =>
            code === 0
                ? resolve()
                : reject(
                      new Error(
                          `${path.basename(command)} ${args.slice(0, 3).join(" ")} failed (exit ${code})\n--- last lines of ${logFile} ---\n${tailFile(logFile, 25)}`,
                      ),
                  ),
        );
    });
}

/** The venv for these requirements, built from PyPI the first time (about a minute). */
export async function ensurePythonVenv(opts: EnsureVenvOptions): Promise<PythonVenv> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const python = opts.python ?? basePython();
    const key = venvKey(opts.requirements, pythonIdentity(python));
    const dir = path.join(venvCacheDir(), `${opts.name}-${key}`);
    if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) return venvOf(dir);
    if (opts.install === false) throw new Error(`the ${opts.name} virtual environment is not built (${dir}); run without --no-install to build it from PyPI`);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const complete = () => fs.existsSync(path.join(dir, COMPLETE_MARKER));
    const release = await acquireCacheLock(`${dir}.lock`, complete, `the ${opts.name} virtual environment (${dir})`, log);
    if (!release) return venvOf(dir);
    try {
        if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) return venvOf(dir);
        fs.rmSync(dir, { recursive: true, force: true }); // a build that died half-way
        const logFile = `${dir}.build.log`;
        fs.writeFileSync(logFile, `pulumi-metal3: ${opts.name} venv with ${python} at ${new Date().toISOString()}\n`);
        log(`venv: building ${opts.name} from PyPI into ${dir} (once per machine; log ${logFile}) ...`);
        const started = Date.now();
        await run(python, ["-m", "venv", dir], logFile);
        const reqFile = path.join(dir, "requirements.txt");
        fs.writeFileSync(reqFile, `${opts.requirements.join("\n")}\n`);
        // --no-deps with every pin listed: exactly these versions, nothing resolved on the day.
        await run(path.join(dir, "bin", "python"), ["-m", "pip", "install", "--no-deps", "-r", reqFile], logFile);
        await run(path.join(dir, "bin", "python"), ["-m", "pip", "check"], logFile);
        await run(path.join(dir, "bin", "python"), ["-c", `import ${opts.checkImport}`], logFile);
        fs.writeFileSync(path.join(dir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
        log(`venv: built ${opts.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        return venvOf(dir);
    } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
    } finally {
        release();
    }
}
