// One lab VM through the real PyPI Ironic (local/lab/ironic-for-lab.ts on local/ironic.ts), driven
// with the `baremetal` CLI as an operator would: enrol on the lab's Redfish virtual-media BMC,
// inspection by the agent (booted from an ISO Ironic builds and sushy-tools inserts), cleaning by
// the agent (metadata erase, checked on the VM's disk), and a deploy of the lab's OS qcow2 with a
// config drive; the VM then boots the OS from its disk and prints the config drive's hostname and
// the user_data line on its serial console. Not the Pulumi engine yet (docs/LAB.md says why).
// Under TCG each agent boot takes minutes: the whole test ~15–25 min on this machine.
import { expect } from "chai";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stateFiles, stopIronic } from "../../local/ironic";
import { AgentImages, ensureAgentImages, ensureOsImage, OsImage } from "../../local/lab/images";
import { LabIronic, labAgentKernelParams, startLabIronic } from "../../local/lab/ironic-for-lab";
import { Lab, readLabPassword, startLab, stopLab } from "../../local/lab/lab";
import { sleep } from "../../local/proc";

const WAIT_S = 40 * 60;

describe("lab VM through Ironic: Redfish virtual media enrol → agent inspection → cleaning → qcow2 deploy → boot", function () {
    this.timeout(WAIT_S * 1000 + 5 * 60_000);
    let agent: AgentImages;
    let osImage: OsImage;
    let labDir: string;
    let ironicDir: string;
    let lab: Lab;
    let ironic: LabIronic;
    let node: string;
    const prefix = `irtest${process.pid % 100000}`;

    function bm(args: string[], timeoutS = 120): string {
        const r = spawnSync(path.join(ironic.binDir, "baremetal"), args, {
            encoding: "utf8",
            timeout: (timeoutS + 60) * 1000,
            env: { ...process.env, OS_ENDPOINT: ironic.url, OS_AUTH_TYPE: "none", OS_BAREMETAL_API_VERSION: "latest" },
        });
        if (r.status !== 0) {
            const shown = node
                ? spawnSync(path.join(ironic.binDir, "baremetal"), ["node", "show", node, "-f", "value", "-c", "provision_state", "-c", "last_error"], {
                      encoding: "utf8",
                      env: { ...process.env, OS_ENDPOINT: ironic.url, OS_AUTH_TYPE: "none" },
                  }).stdout
                : "";
            throw new Error(`baremetal ${args.join(" ")} failed (${r.status}): ${r.stderr}\nnode: ${shown}\nironic log: ${ironic.logFile}`);
        }
        return r.stdout;
    }
    const field = (name: string) => bm(["node", "show", node, "-f", "value", "-c", name]).trim();

    /** First `length` bytes at `offset` of a qcow2 (qemu-io; the domain must be off). */
    function readDisk(disk: string, offset: number, length: number): Buffer {
        const out = path.join(labDir, `read-${offset}-${length}.bin`);
        const r = spawnSync(
            "qemu-img",
            ["dd", "-f", "qcow2", "-O", "raw", "bs=512", `skip=${offset / 512}`, `count=${length / 512}`, `if=${disk}`, `of=${out}`],
            { encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`qemu-img dd ${disk}: ${r.stderr}`);
        const data = fs.readFileSync(out);
        fs.rmSync(out);
        return data;
    }

    async function waitForConsole(file: string, from: number, pattern: RegExp, timeoutMs: number): Promise<string> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const text = fs.existsSync(file) ? fs.readFileSync(file).subarray(from).toString("latin1") : "";
            const m = pattern.exec(text);
            if (m) return m[0];
            await sleep(5000);
        }
        throw new Error(`${file}: no ${pattern} within ${timeoutMs / 1000} s`);
    }

    before(async function () {
        this.timeout(90 * 60_000);
        agent = await ensureAgentImages();
        osImage = await ensureOsImage();
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-ironic-"));
        ironicDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-ironic-state-"));
        lab = await startLab({ vms: 1, stateDir: labDir, prefix, memoryMiB: 2048, cpus: 1, diskGiB: 8 });
        process.stderr.write(`      accelerator: ${lab.accel}${lab.accelReason ? ` (${lab.accelReason})` : ""}\n`);
        ironic = await startLabIronic({ stateDir: ironicDir, agent });
    });
    after(async () => {
        if (ironicDir) await stopIronic({ stateDir: ironicDir });
        if (labDir) await stopLab({ stateDir: labDir });
        for (const d of [labDir, ironicDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("enrols on the Redfish virtual-media BMC and reaches manageable (power read through sushy-tools)", () => {
        const vm = lab.vms[0];
        const url = new URL(vm.redfishAddress.replace(/^redfish-virtualmedia\+/, ""));
        node = bm([
            "node",
            "create",
            "--driver",
            "redfish",
            "--name",
            vm.name,
            "--driver-info",
            `redfish_address=${url.protocol}//${url.host}`,
            "--driver-info",
            `redfish_system_id=${url.pathname}`,
            "--driver-info",
            `redfish_username=${lab.username}`,
            "--driver-info",
            `redfish_password=${readLabPassword(lab.redfishPasswordFile)}`,
            "--driver-info",
            `kernel_append_params=${labAgentKernelParams(vm, ironic)}`,
            "--boot-interface",
            "redfish-virtual-media",
            "--inspect-interface",
            "agent",
            "--deploy-interface",
            "direct",
            "-f",
            "value",
            "-c",
            "uuid",
        ]).trim();
        bm(["port", "create", vm.mac, "--node", node]);
        bm(["node", "manage", node, "--wait", "300"], 300);
        expect(field("provision_state")).to.equal("manageable");
        expect(field("power_state")).to.equal("power off");
    });

    it("is inspected by the agent: the inventory holds the VM's CPU count, RAM, disk size and MAC", () => {
        bm(["node", "inspect", node, "--wait", String(WAIT_S)], WAIT_S);
        expect(field("provision_state")).to.equal("manageable");
        const inv = JSON.parse(bm(["node", "inventory", "save", node])).inventory;
        const vm = lab.vms[0];
        expect(inv.cpu.count).to.equal(vm.cpus);
        expect(inv.memory.physical_mb).to.equal(vm.memoryMiB);
        expect(inv.disks.map((d: { size: number }) => d.size)).to.include(vm.diskGiB * 1024 ** 3);
        expect(inv.interfaces.map((i: { mac_address: string }) => i.mac_address)).to.include(vm.mac);
    });

    it("is cleaned by the agent (metadata erase): a partition-table marker written to the VM's disk is gone, node available", () => {
        const vm = lab.vms[0];
        const marker = Buffer.alloc(512, 0x5a);
        const io = spawnSync("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a 0 512`, vm.disk], { encoding: "utf8" });
        expect(io.status, io.stderr).to.equal(0);
        expect(readDisk(vm.disk, 0, 512).equals(marker)).to.equal(true);
        bm(["node", "provide", node, "--wait", String(WAIT_S)], WAIT_S);
        expect(field("provision_state")).to.equal("available");
        expect(readDisk(vm.disk, 0, 512).equals(Buffer.alloc(512, 0))).to.equal(true);
    });

    it("deploys the OS qcow2 by virtual media (sha256 checked); the VM boots it and prints the config drive's hostname and the user_data line", async () => {
        const vm = lab.vms[0];
        const hostname = `lab-deployed-${randomBytes(3).toString("hex")}`;
        const line = `user-data-ran-${randomBytes(4).toString("hex")}`;
        const consoleFrom = fs.existsSync(vm.consoleLog) ? fs.statSync(vm.consoleLog).size : 0;
        // Served by Ironic's own image server (a file:// image_source fails in ironic 39.0.0's
        // images.is_source_a_path: "'str' object has no attribute 'url'"); image_download_source=local:
        // Ironic downloads it, checks the sha256, converts it to raw and serves it to the agent.
        const served = path.join(stateFiles(ironicDir).httpRoot, "lab-images");
        fs.mkdirSync(served, { recursive: true });
        fs.copyFileSync(osImage.qcow2, path.join(served, "os.qcow2"));
        const imageUrl = `http://127.0.0.1:${ironic.httpPort}/lab-images/os.qcow2`;
        bm([
            "node",
            "set",
            node,
            "--instance-info",
            `image_source=${imageUrl}`,
            "--instance-info",
            `image_checksum=${osImage.sha256}`,
            "--instance-info",
            "image_download_source=local",
        ]);
        const configDrive = JSON.stringify({ meta_data: { hostname, uuid: node }, user_data: `#!/bin/sh\necho ${line}\n` });
        bm(["node", "deploy", node, "--config-drive", configDrive, "--wait", String(WAIT_S)], WAIT_S);
        expect(field("provision_state")).to.equal("active");
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(`lab-os: hostname ${hostname} \\(config drive /dev/vda\\d+\\)`), 30 * 60_000);
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(line), 5 * 60_000);
    });
});
