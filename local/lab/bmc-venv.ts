// The virtual BMCs' Python packages from PyPI, in one venv cached per machine: sushy-tools
// (Redfish with virtual media through its libvirt driver) and virtualbmc (IPMI), both driving
// libvirt through libvirt-python, which compiles against Debian's libvirt-dev.

import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { ensureLibvirt } from "./packages";
import { labCacheDir } from "./paths";

export const BMC_REQUIREMENTS = ["sushy-tools==2.2.0", "virtualbmc==3.3.0", "libvirt-python==12.8.0"];

export interface BmcVenv {
    dir: string;
    sushyEmulator: string;
    vbmcd: string;
    vbmc: string;
}

export function ensureBmcVenv(log: Logger, cacheDir = labCacheDir()): BmcVenv {
    const key = createHash("sha256").update(BMC_REQUIREMENTS.join("\n")).digest("hex").slice(0, 12);
    const dir = path.join(cacheDir, `bmc-venv-${key}`);
    const venv: BmcVenv = {
        dir,
        sushyEmulator: path.join(dir, "bin", "sushy-emulator"),
        vbmcd: path.join(dir, "bin", "vbmcd"),
        vbmc: path.join(dir, "bin", "vbmc"),
    };
    const done = path.join(dir, ".installed");
    if (fs.existsSync(done)) return venv;
    ensureLibvirt(log);
    fs.mkdirSync(cacheDir, { recursive: true });
    log(`BMC packages: installing ${BMC_REQUIREMENTS.join(", ")} into ${dir}`);
    const started = Date.now();
    // Under flock: two lab starts on one machine install once.
    const script = `[ -f "$1/.installed" ] && exit 0; rm -rf "$1" && python3 -m venv "$1" && nice -n 10 "$1/bin/pip" install --no-cache-dir ${BMC_REQUIREMENTS.map((r) => `'${r}'`).join(" ")} && touch "$1/.installed"`;
    const r = spawnSync("flock", [`${dir}.lock`, "bash", "-c", script, "install", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0 || !fs.existsSync(done)) {
        const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
        throw new Error(`installing ${BMC_REQUIREMENTS.join(", ")} failed (exit ${r.status ?? r.signal}):\n${out}`);
    }
    log(`BMC packages installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return venv;
}
