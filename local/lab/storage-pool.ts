// The libvirt storage pool sushy-tools' libvirt driver uploads virtual-media ISOs into: its
// InsertMedia downloads the ISO and copies it into a volume of the pool named by
// SUSHY_EMULATOR_STORAGE_POOL (sushy-tools emulator/resources/systems/libvirtdriver.py
// _upload_image; default "default", which a fresh libvirt does not have). The lab defines its own
// directory pool inside its state directory, named after its prefix, and removes it on `lab stop`.

import * as fs from "fs";
import * as path from "path";
import { Logger } from "../ironic";
import { virsh } from "./libvirtd";

function recordFile(stateDir: string): string {
    return path.join(stateDir, "vmedia-pool.name");
}

/** Defines (if needed) and starts the lab's directory pool; returns its name. */
export function ensureVmediaPool(stateDir: string, prefix: string, log: Logger): string {
    const name = `${prefix}-vmedia`;
    const dir = path.join(stateDir, "vmedia-pool");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (virsh(["pool-info", name]).code !== 0) {
        const r = virsh(["pool-define-as", name, "dir", "--target", dir]);
        if (r.code !== 0) throw new Error(`virsh pool-define-as ${name} failed: ${r.output}`);
    }
    const info = virsh(["pool-info", name]).output;
    if (!/State:\s+running/.test(info)) {
        const r = virsh(["pool-start", name]);
        if (r.code !== 0) throw new Error(`virsh pool-start ${name} failed: ${r.output}`);
    }
    fs.writeFileSync(recordFile(stateDir), `${name}\n`);
    log(`virtual-media storage pool ${name} (${dir})`);
    return name;
}

/** Stops and undefines the pool `ensureVmediaPool` made (its ISO volumes stay in the state dir). */
export function removeVmediaPool(stateDir: string, log: Logger): void {
    let name: string;
    try {
        name = fs.readFileSync(recordFile(stateDir), "utf8").trim();
    } catch {
        return;
    }
    if (virsh(["pool-info", name]).code !== 0) return;
    virsh(["pool-destroy", name]);
    virsh(["pool-undefine", name]);
    log(`removed storage pool ${name}`);
}
