// The agent's deploy images and the OS image, built once per machine by local/lab/build-*.sh and
// cached under <cache>/lab/<kind>-<key>, where the key is a hash of the build's pinned inputs
// (the scripts themselves and the ironic-python-agent version). Concurrent callers wait on the
// same lock (flock) and the second one finds the finished build.

import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { ensureImageTools } from "./packages";
import { labCacheDir, labScriptDir } from "./paths";

/** The agent release the lab's ramdisk runs (PyPI's ironic-python-agent). */
export const IPA_VERSION = "13.0.0";

export interface AgentImages {
    dir: string;
    kernel: string;
    ramdisk: string;
    iso: string;
    manifest: string;
}

export interface OsImage {
    dir: string;
    qcow2: string;
    /** Hex sha256 of the qcow2 (the checksum a Machine declares). */
    sha256: string;
    manifest: string;
}

export interface BuildOptions {
    cacheDir?: string;
    log?: Logger;
}

const stderrLogger: Logger = (line) => process.stderr.write(`[lab] ${line}\n`);

/** Hash of what decides a build's output: its scripts and extra pinned inputs. */
export function buildKey(scripts: string[], inputs: string[]): string {
    const h = createHash("sha256");
    for (const s of scripts) h.update(path.basename(s)).update("\0").update(fs.readFileSync(s)).update("\0");
    for (const i of inputs) h.update(i).update("\0");
    return h.digest("hex").slice(0, 16);
}

function runBuild(script: string, args: string[], dir: string, doneMarker: string, what: string, log: Logger): Promise<void> {
    const logFile = `${dir}.log`;
    const lockFile = `${dir}.lock`;
    return new Promise((resolve, reject) => {
        log(`${what}: building into ${dir} (log ${logFile}); waits on ${lockFile} if another build runs`);
        const started = Date.now();
        const out = fs.openSync(logFile, "a");
        // The script runs under flock and checks again inside the lock: a build finished by another process is not redone.
        const child = spawn(
            "flock",
            [lockFile, "bash", "-c", `[ -f "$1" ] && exit 0; shift; exec nice -n 10 bash "$@"`, "build", path.join(dir, doneMarker), script, ...args],
            { stdio: ["ignore", out, out], env: { ...process.env, LAB_DEB_CACHE: path.join(path.dirname(dir), "debs") } },
        );
        fs.closeSync(out);
        child.once("error", (err) => reject(new Error(`${what}: cannot run flock: ${err.message}`)));
        child.once("exit", (code, signal) => {
            if (code === 0 && fs.existsSync(path.join(dir, doneMarker))) {
                log(`${what}: ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
                resolve();
                return;
            }
            const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
            reject(new Error(`${what}: build failed (exit ${code ?? signal}); last lines of ${logFile}:\n${tail}`));
        });
    });
}

/** Kernel, initramfs and ISO running ironic-python-agent IPA_VERSION; built on first use. */
export async function ensureAgentImages(opts: BuildOptions = {}): Promise<AgentImages> {
    const log = opts.log ?? stderrLogger;
    const scripts = labScriptDir();
    const script = path.join(scripts, "build-agent.sh");
    const key = buildKey([script, path.join(scripts, "rootfs.sh")], [`ironic-python-agent==${IPA_VERSION}`, "bookworm"]);
    const cache = opts.cacheDir ?? labCacheDir();
    const dir = path.join(cache, `agent-${key}`);
    const images: AgentImages = {
        dir,
        kernel: path.join(dir, "vmlinuz"),
        ramdisk: path.join(dir, "initramfs"),
        iso: path.join(dir, "agent.iso"),
        manifest: path.join(dir, "manifest.txt"),
    };
    if (fs.existsSync(path.join(dir, "SHA256SUMS"))) return images;
    ensureImageTools(log);
    fs.mkdirSync(cache, { recursive: true });
    await runBuild(script, [dir, IPA_VERSION], dir, "SHA256SUMS", `agent images (ironic-python-agent ${IPA_VERSION})`, log);
    return images;
}

/** The whole-disk OS qcow2 and its sha256; built on first use. */
export async function ensureOsImage(opts: BuildOptions = {}): Promise<OsImage> {
    const log = opts.log ?? stderrLogger;
    const scripts = labScriptDir();
    const script = path.join(scripts, "build-os-image.sh");
    const key = buildKey([script, path.join(scripts, "rootfs.sh")], ["bookworm"]);
    const cache = opts.cacheDir ?? labCacheDir();
    const dir = path.join(cache, `os-${key}`);
    const sumFile = path.join(dir, "os.qcow2.sha256");
    if (!fs.existsSync(sumFile)) {
        ensureImageTools(log);
        fs.mkdirSync(cache, { recursive: true });
        await runBuild(script, [dir], dir, "os.qcow2.sha256", "OS image", log);
    }
    const sha256 = fs.readFileSync(sumFile, "utf8").split(/\s+/)[0];
    return { dir, qcow2: path.join(dir, "os.qcow2"), sha256, manifest: path.join(dir, "manifest.txt") };
}
