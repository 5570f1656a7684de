// The Python programs' environment: the `pulumi` Python SDK at the engine's version and the
// generated pulumi_metal3 package (sdk-python/), in a virtual environment built once per machine
// and cached, like the local Ironic's (local/ironic-venv.ts). A Python project points its
// Pulumi.yaml `runtime.options.virtualenv` at it (our Python host, local/toolchain/python-host.ts,
// runs the program with its interpreter).
//
// Layout under `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/python-venv/`:
//   <key>/venv/       `pip install -r local/python-requirements.txt`, then sdk-python/ (no deps)
//   <key>/build.log   what pip printed
//   <key>/complete    written last (present = done)
//   locks/<key>       held while building (local/cache-lock.ts)
// <key> hashes the pinned requirements, the interpreter and sdk-python/'s files, so a regenerated
// SDK (schema.json changed) or a new pin builds a new environment beside the old one.

import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acquireCacheLock } from "./cache-lock";
import { pinnedVersion, run } from "./ironic-venv";
import { PYTHON_SDK_DIR, pythonSdkFiles } from "./toolchain/pysdk";
import { PULUMI_VERSION, repoRoot } from "./toolchain";

export type Logger = (line: string) => void;

/** The `pulumi` wheel's `Requires-Python`. */
const MIN_PYTHON: [number, number] = [3, 10];

export interface PythonProgramEnvironment {
    /** The virtual environment: what a Pulumi.yaml's `runtime.options.virtualenv` names. */
    venv: string;
    python: string;
    /** True when this call built it. */
    built: boolean;
}

export function pythonVenvCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cache, "pulumi-metal3", "python-venv");
}

function requirementsFile(): string {
    return path.join(repoRoot(), "local", "python-requirements.txt");
}

/** `python3` (PULUMI_METAL3_PYTHON overrides): its real executable and version, checked against the wheel's minimum. */
function findPython(): { executable: string; version: string } {
    const python = process.env.PULUMI_METAL3_PYTHON || "python3";
    const r = spawnSync(python, ["-c", "import sys, venv; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(
            `Python programs need CPython >= ${MIN_PYTHON.join(".")} with its venv module (\`${python}\` ` +
                `${r.error ? `could not be run: ${r.error.message}` : `failed: ${(r.stderr || "").trim().split("\n").pop()}`}); ` +
                `on Debian: apt-get install python3 python3-venv, or set PULUMI_METAL3_PYTHON to an interpreter`,
        );
    }
    const [executable, version] = r.stdout.trim().split("\n");
    const [major, minor] = version.split(".").map(Number);
    if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
        throw new Error(
            `the pulumi ${PULUMI_VERSION} wheel needs CPython >= ${MIN_PYTHON.join(".")}; \`${python}\` is ${version} (${executable}): set PULUMI_METAL3_PYTHON to a newer one`,
        );
    }
    return { executable, version };
}

function environmentKey(requirements: string, python: { executable: string; version: string }, sdkDir: string): string {
    const hash = crypto.createHash("sha256").update(requirements).update("\0").update(python.executable).update("\0").update(python.version);
    for (const file of pythonSdkFiles(sdkDir))
        hash.update("\0")
            .update(file)
            .update("\0")
            .update(fs.readFileSync(path.join(sdkDir, file)));
    return hash.digest("hex").slice(0, 12);
}

async function build(root: string, python: string, requirements: string, sdkDir: string, log: Logger): Promise<void> {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    const logFile = path.join(root, "build.log");
    log(
        `building the Python programs' environment (pulumi ${PULUMI_VERSION} from PyPI, ${PYTHON_SDK_DIR}/) into ${root} (once per machine; log ${logFile}) ...`,
    );
    const started = Date.now();
    const venv = path.join(root, "venv");
    await run(python, ["-m", "venv", venv], logFile);
    const pip = path.join(venv, "bin", "pip");
    const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" };
    await run(pip, ["install", "--no-input", "-r", requirements], logFile, pipEnv);
    // Built from a copy: pip writes build/ and *.egg-info beside setup.py.
    const sdkCopy = path.join(root, "sdk-python");
    for (const file of pythonSdkFiles(sdkDir)) {
        fs.mkdirSync(path.dirname(path.join(sdkCopy, file)), { recursive: true });
        fs.copyFileSync(path.join(sdkDir, file), path.join(sdkCopy, file));
    }
    await run(pip, ["install", "--no-input", "--no-deps", "--no-build-isolation", sdkCopy], logFile, pipEnv);
    fs.rmSync(sdkCopy, { recursive: true, force: true });
    await run(pip, ["check"], logFile, pipEnv);
    const probe = spawnSync(path.join(venv, "bin", "python"), ["-c", "import importlib.metadata as m, pulumi, pulumi_metal3; print(m.version('pulumi'))"], {
        encoding: "utf8",
    });
    if (probe.status !== 0 || probe.stdout.trim() !== PULUMI_VERSION) {
        throw new Error(
            `the Python environment ${root} does not import as expected (want pulumi ${PULUMI_VERSION} and pulumi_metal3): ${probe.stdout}${probe.stderr}`,
        );
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(
        path.join(root, "complete"),
        `${JSON.stringify({ pulumi: PULUMI_VERSION, python, seconds, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`built the Python programs' environment in ${seconds} s`);
}

/** The environment, built when missing (under a lock: concurrent callers wait for one build). */
export async function ensurePythonEnvironment(log: Logger = (line) => process.stderr.write(`[python] ${line}\n`)): Promise<PythonProgramEnvironment> {
    const reqFile = requirementsFile();
    const requirements = fs.readFileSync(reqFile, "utf8");
    if (pinnedVersion(requirements, "pulumi") !== PULUMI_VERSION) throw new Error(`${reqFile} must pin pulumi==${PULUMI_VERSION} (the engine's version)`);
    const sdkDir = path.join(repoRoot(), PYTHON_SDK_DIR);
    const python = findPython();
    const key = environmentKey(requirements, python, sdkDir);
    const root = path.join(pythonVenvCacheDir(), key);
    const done = () => fs.existsSync(path.join(root, "complete"));
    let built = false;
    if (!done()) {
        const release = await acquireCacheLock(path.join(pythonVenvCacheDir(), "locks", key), done, `the Python environment (${root})`, log);
        if (release) {
            try {
                if (!done()) {
                    await build(root, python.executable, reqFile, sdkDir, log);
                    built = true;
                }
            } finally {
                release();
            }
        }
    }
    return { venv: path.join(root, "venv"), python: path.join(root, "venv", "bin", "python"), built };
}

if (require.main === module) {
    ensurePythonEnvironment()
        .then((env) => process.stdout.write(`${env.venv}\n`))
        .catch((err) => {
            process.stderr.write(`python-venv: ${(err as Error).message}\n`);
            process.exit(1);
        });
}
