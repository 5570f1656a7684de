// One lab VM through the real `pulumi` CLI (file:// backend) and this package's BareMetalHost and
// Machine, as an operator runs them: a TypeScript program declares the host on the lab's Redfish
// virtual-media BMC with its boot MAC, the lab's agent kernel/initramfs, agent inspection and the
// lab's OS qcow2 (sha256) with metaData (hostname) and userData (a script printing a line). The
// same Ironic options as test/lab/ironic-vmedia.test.ts (local/lab/ironic-for-lab.ts), plus three
// the provider does not set there (docs/LAB.md "Through `pulumi up`").
// Order: `up` with a wrong checksum fails naming the host, the image and Ironic's last_error (the
// host is enrolled, inspected and cleaned on the way); `up` with the right one converges, the
// `hardware` output is the VM's, the OS is on the VM's disk and boots with the config drive; an
// update moves the image to a Machine (host deprovisioned, Machine claims and deploys, boots);
// `destroy` deprovisions and deletes the node. Under TCG: ~17 min on this machine (docs/LAB.md).
import { expect } from "chai";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureHttpRootServer } from "../../local/http-root";
import { ExtraIronicConfig, RunningIronic, startIronic, stateFiles, stopIronic } from "../../local/ironic";
import { AgentImages, ensureAgentImages, ensureOsImage, OsImage } from "../../local/lab/images";
import { labIronicConfig, labAgentKernelParams, freeLoopbackPort } from "../../local/lab/ironic-for-lab";
import { Lab, readLabPassword, startLab, stopLab } from "../../local/lab/lab";
import { ensureIronicLabTools } from "../../local/lab/packages";
import { labCacheDir } from "../../local/lab/paths";
import { sleep } from "../../local/proc";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { TestStack } from "../e2e/stack";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { BareMetalHost, Machine } from "pulumi-metal3";

const cfg = new pulumi.Config();
// "host": the host's own image; "machine": the host without one, and a Machine deploying it.
const onMachine = cfg.require("imageOn") === "machine";
const image = { url: cfg.require("imageUrl"), checksum: cfg.require("imageChecksum"), checksumType: "sha256" as const, format: "qcow2" as const };
const data = { metaData: { hostname: cfg.require("hostname") }, userData: cfg.requireSecret("userData") };
const host = new BareMetalHost(cfg.require("name"), {
    namespace: cfg.require("namespace"),
    bmc: { address: cfg.require("bmcAddress"), username: cfg.require("bmcUsername"), password: cfg.requireSecret("bmcPassword") },
    bootMACAddress: cfg.require("bootMac"),
    // The lab's VMs boot SeaBIOS; the agent ISO Ironic builds and the OS image are BIOS-only.
    bootMode: "legacy",
    online: true,
    inspectionMode: "agent",
    automatedCleaningMode: "metadata",
    deployKernel: cfg.require("deployKernel"),
    deployRamdisk: cfg.require("deployRamdisk"),
    ...(onMachine ? {} : { image, ...data }),
    // Every agent boot takes minutes under TCG (docs/LAB.md).
    timeouts: { create: "90m", update: "90m", delete: "60m", inspect: "30m", clean: "30m", deploy: "40m", deprovision: "40m", power: "5m" },
});
export const nodeUuid = host.nodeUuid;
export const nodeName = host.nodeName;
export const state = host.provisioningState;
export const hardware = host.hardware;
const machine = onMachine
    ? new Machine(cfg.require("name") + "-machine", {
          namespace: cfg.require("namespace"),
          host: cfg.require("name"),
          image: { url: image.url, checksum: image.checksum, checksumType: "sha256", diskFormat: "qcow2" },
          ...data,
          timeouts: { claim: "10m", create: "60m", delete: "60m" },
      }, { dependsOn: [host] })
    : undefined;
export const machineState = machine?.provisioningState;
export const machineNode = machine?.nodeUuid;
`;

/** Bytes of a qcow2 (a running VM's: -U, no lock taken). qemu-img dd's count includes the skipped blocks (QEMU 7.2). */
function readDisk(disk: string, offset: number, length: number, dir: string): Buffer {
    const out = path.join(dir, `read-${process.pid}-${offset}.bin`);
    const r = spawnSync(
        "qemu-img",
        [
            "dd",
            "-U",
            "-f",
            "qcow2",
            "-O",
            "raw",
            "bs=512",
            `skip=${offset / 512}`,
            `count=${offset / 512 + Math.ceil(length / 512)}`,
            `if=${disk}`,
            `of=${out}`,
        ],
        { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`qemu-img dd ${disk}: ${r.stderr}`);
    const data = fs.readFileSync(out).subarray(0, length);
    fs.rmSync(out);
    return data;
}

/** MBR partition entries (start sector, sectors, type) of a 512-byte sector 0. */
function partitions(mbr: Buffer): { start: number; sectors: number; type: number }[] {
    const parts = [];
    for (let i = 0; i < 4; i++) {
        const e = mbr.subarray(446 + 16 * i, 462 + 16 * i);
        if (e[4] !== 0) parts.push({ type: e[4], start: e.readUInt32LE(8), sectors: e.readUInt32LE(12) });
    }
    return parts;
}

/** The provision states Ironic's conductor log shows the node moving to, from byte `from` of the log on. */
function transitions(logFile: string, from: number): string[] {
    const text = fs.readFileSync(logFile).subarray(from).toString("utf8");
    return [...text.matchAll(/moved to provision state "([^"]+)" from state "[^"]+"/g)].map((m) => m[1]);
}

/** `wanted` occurs in `seen` in this order (other states may come between). */
function inOrder(seen: string[], wanted: string[]): boolean {
    let i = 0;
    for (const s of seen) if (s === wanted[i]) i++;
    return i === wanted.length;
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

describe("lab VM through `pulumi up`: BareMetalHost on Redfish virtual media, agent inspection, cleaning, qcow2 deploy, boot, destroy", function () {
    this.timeout(100 * 60_000);
    // Each step needs the one before (one VM, one stack): stop at the first failure.
    this.bail(true);
    const prefix = `engvm${process.pid % 100000}`;
    const ns = `lab${randomBytes(3).toString("hex")}`;
    const hostName = "vm0";
    const hostname = `lab-engine-${randomBytes(3).toString("hex")}`;
    const line = `user-data-line-${randomBytes(4).toString("hex")}`;
    let agent: AgentImages;
    let osImage: OsImage;
    let labDir: string;
    let ironicDir: string;
    let lab: Lab;
    let ironic: RunningIronic;
    let httpPort: number;
    let imageUrl: string;
    let client: IronicClient;
    let stack: TestStack;
    let consoleFrom = 0;
    const t0 = Date.now();
    const elapsed = () => `${Math.round((Date.now() - t0) / 1000)} s`;
    const note = (s: string) => process.stderr.write(`      [${elapsed()}] ${s}\n`);

    const node = async () => (await client.listNodes()).find((n) => n.name === `${ns}~${hostName}`);

    before(async function () {
        this.timeout(120 * 60_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        agent = await ensureAgentImages();
        osImage = await ensureOsImage();
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-engine-"));
        ironicDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-engine-ironic-"));
        lab = await startLab({ vms: 1, stateDir: labDir, prefix, memoryMiB: 2048, cpus: 1, diskGiB: 8 });
        note(`accelerator: ${lab.accel}${lab.accelReason ? ` (${lab.accelReason})` : ""}`);
        const vm = lab.vms[0];

        // startLabIronic's Ironic, with the kernel parameters a node's driver_info carried in
        // ironic-vmedia.test.ts as Ironic's [redfish] default instead (a BareMetalHost has no
        // driver_info of its own, as in Metal³, whose Ironic image sets the same option): the image
        // server is started first so its port is known for lab-loopback-ports.
        ensureIronicLabTools();
        const port = await freeLoopbackPort();
        const httpUrl = await ensureHttpRootServer(stateFiles(ironicDir).httpRoot, ironicDir, (s) => process.stderr.write(`[http] ${s}\n`));
        httpPort = Number(new URL(httpUrl).port);
        const lab0: ExtraIronicConfig = labIronicConfig(port, [labCacheDir()]);
        ironic = await startIronic({
            stateDir: ironicDir,
            port,
            // noauth like the lab's own Ironic (local/lab/ironic-for-lab.ts): loopback only, one test's.
            noauth: true,
            agentImages: { deployKernel: `file://${agent.kernel}`, deployRamdisk: `file://${agent.ramdisk}` },
            extraConfig: {
                ...lab0,
                // inspectionMode "agent" leaves the inspect interface to Ironic's default: with agent
                // images the local Ironic makes it `agent`, as a Metal³ Ironic does (local/ironic.ts).
                redfish: { kernel_append_params: labAgentKernelParams(vm, { httpPort }) },
                // Ironic downloads the image, checks its checksum and serves it raw to the agent
                // from http_url (as ironic-vmedia.test.ts's instance_info did).
                agent: { image_download_source: "local" },
            },
            readyTimeoutMs: 180_000,
        });
        note(`ironic ${ironic.ironicVersion} at ${ironic.url}, image server ${httpUrl}`);
        // The OS image from Ironic's own image server (a file:// image_source fails in ironic 39.0.0, docs/LAB.md).
        const served = path.join(stateFiles(ironicDir).httpRoot, "lab-images");
        fs.mkdirSync(served, { recursive: true });
        fs.copyFileSync(osImage.qcow2, path.join(served, "os.qcow2"));
        imageUrl = `http://127.0.0.1:${httpPort}/lab-images/os.qcow2`;
        client = await IronicClient.connect({ url: ironic.url });

        stack = await TestStack.inline(
            "labvm",
            {
                "Pulumi.yaml": "name: labvm\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
                "package.json": '{"name":"labvm","main":"index.ts"}\n',
                "index.ts": PROGRAM,
            },
            "lab",
        );
        await stack.setConfig("pulumi-metal3:ironicUrl", ironic.url);
        // The stack's owner key: the Machine (step 4) claims only hosts keyed under it (README "Ownership").
        await stack.setOwnerKey();
        await stack.setConfig("name", hostName);
        await stack.setConfig("namespace", ns);
        await stack.setConfig("bmcAddress", vm.redfishAddress);
        await stack.setConfig("bmcUsername", lab.username);
        await stack.setConfig("bmcPassword", readLabPassword(lab.redfishPasswordFile), { secret: true });
        await stack.setConfig("bootMac", vm.mac);
        await stack.setConfig("deployKernel", `file://${agent.kernel}`);
        await stack.setConfig("deployRamdisk", `file://${agent.ramdisk}`);
        await stack.setConfig("imageUrl", imageUrl);
        await stack.setConfig("hostname", hostname);
        await stack.setConfig("userData", `#!/bin/sh\necho ${line}\n`, { secret: true });
        await stack.setConfig("imageOn", "host");
    });

    after(async function () {
        this.timeout(60 * 60_000);
        // The stack copy stays under .state/e2e when its resources could not be destroyed.
        if (stack && (await stack.run(["destroy", "--yes", "--skip-preview"])).code === 0) fs.rmSync(stack.dir, { recursive: true, force: true });
        await client?.close();
        if (ironicDir) await stopIronic({ stateDir: ironicDir });
        if (labDir) await stopLab({ stateDir: labDir });
        for (const d of [labDir, ironicDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("`pulumi up` with a wrong checksum: enrolled, inspected and cleaned, then fails naming the host, the image and Ironic's last_error", async () => {
        const wrong = "0".repeat(64);
        expect(wrong).to.not.equal(osImage.sha256);
        await stack.setConfig("imageChecksum", wrong);
        const logFrom = fs.statSync(ironic.logFile).size;
        const r = await stack.run(["up", "--yes", "--skip-preview"]);
        note(`up (wrong checksum) exit ${r.code}`);
        const seen = transitions(ironic.logFile, logFrom);
        note(`provision states: ${seen.join(" → ")}`);
        // Inspection and cleaning waited for the agent (the "wait" states), then the deploy failed.
        expect(inOrder(seen, ["inspect wait", "manageable", "clean wait", "available", "deploy failed"]), seen.join(" → ")).to.equal(true);
        const out = r.stdout + r.stderr;
        note(
            `pulumi's error:\n${out
                .split("\n")
                .filter((l) => /error/i.test(l))
                .join("\n")}`,
        );
        expect(r.code, out).to.not.equal(0);
        const n = await node();
        expect(n, "the node was enrolled").to.not.equal(undefined);
        note(`node ${n!.uuid}: ${n!.provision_state}, last_error: ${n!.last_error}`);
        expect(String(n!.last_error ?? ""), "Ironic's last_error").to.match(/checksum/i);
        expect(out).to.include(`${ns}~${hostName}`);
        expect(out).to.include(imageUrl);
        // Ironic's last_error as Ironic has it (its first line: the output may wrap what follows).
        expect(out).to.include(String(n!.last_error).split("\n")[0].slice(0, 120));
        // The agent's inventory reached Ironic on the way (inspection by the agent in the VM).
        const inv = await client.getInventory(n!.uuid);
        expect(inv?.inventory?.interfaces?.map((i: { mac_address: string }) => i.mac_address)).to.include(lab.vms[0].mac);
    });

    it("`pulumi up` with the right checksum converges: provisioned, `hardware` shows the VM's CPUs, RAM, disk and MAC as the agent found them", async () => {
        const vm = lab.vms[0];
        consoleFrom = fs.existsSync(vm.consoleLog) ? fs.statSync(vm.consoleLog).size : 0;
        await stack.setConfig("imageChecksum", osImage.sha256);
        const r = await stack.run(["up", "--yes", "--skip-preview"]);
        note(`up (right checksum) exit ${r.code}`);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        const out = await stack.outputs();
        expect(out.state).to.equal("provisioned");
        const n = await node();
        expect(n!.provision_state).to.equal("active");
        expect(out.nodeUuid).to.equal(n!.uuid);
        const hw = out.hardware;
        expect(hw.source).to.equal("inventory");
        expect(hw.cpu.count).to.equal(vm.cpus);
        expect(hw.ramMebibytes).to.equal(vm.memoryMiB);
        expect(hw.storage.map((d: { sizeBytes: number }) => d.sizeBytes)).to.include(vm.diskGiB * 1024 ** 3);
        expect(hw.nics.map((i: { mac: string }) => i.mac)).to.include(vm.mac);
    });

    it("the OS image is on the VM's disk and the VM boots it: the config drive's hostname and the userData line on its serial console", async () => {
        const vm = lab.vms[0];
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(`lab-os: hostname ${hostname} \\(config drive /dev/vda\\d+\\)`), 30 * 60_000);
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(line), 5 * 60_000);
        note("console: hostname and user_data line seen");
        // The image's boot code and its two partitions, as in the qcow2; the agent added the
        // config drive as a third. The root file system's ext4 label (superblock s_volume_name).
        const img = spawnSync(
            "qemu-img",
            ["dd", "-f", "qcow2", "-O", "raw", "bs=512", "count=1", `if=${osImage.qcow2}`, `of=${path.join(labDir, "os-mbr.bin")}`],
            { encoding: "utf8" },
        );
        expect(img.status, img.stderr).to.equal(0);
        const imageMbr = fs.readFileSync(path.join(labDir, "os-mbr.bin"));
        const diskMbr = readDisk(vm.disk, 0, 512, labDir);
        expect(diskMbr.subarray(0, 440).equals(imageMbr.subarray(0, 440)), "boot code").to.equal(true);
        const onDisk = partitions(diskMbr);
        const inImage = partitions(imageMbr);
        expect(onDisk.slice(0, inImage.length)).to.deep.equal(inImage);
        expect(onDisk.length, "config drive partition").to.equal(inImage.length + 1);
        const root = inImage[1];
        const sb = readDisk(vm.disk, root.start * 512 + 1024, 1024, labDir);
        expect(sb.readUInt16LE(0x38), "ext4 magic").to.equal(0xef53);
        expect(sb.subarray(0x78, 0x88).toString("latin1").replace(/\0+$/, "")).to.equal("lab-root");
    });

    it("an update moves the image to a Machine: the host deprovisions (cleaning), the Machine claims it and deploys the qcow2, the VM boots it with the Machine's metaData and userData", async () => {
        const vm = lab.vms[0];
        const hostname2 = `lab-machine-${randomBytes(3).toString("hex")}`;
        const line2 = `machine-user-data-${randomBytes(4).toString("hex")}`;
        consoleFrom = fs.existsSync(vm.consoleLog) ? fs.statSync(vm.consoleLog).size : 0;
        await stack.setConfig("imageOn", "machine");
        await stack.setConfig("hostname", hostname2);
        await stack.setConfig("userData", `#!/bin/sh\necho ${line2}\n`, { secret: true });
        const logFrom = fs.statSync(ironic.logFile).size;
        const r = await stack.run(["up", "--yes", "--skip-preview"]);
        note(`up (image on a Machine) exit ${r.code}`);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        const seen = transitions(ironic.logFile, logFrom);
        note(`provision states: ${seen.join(" → ")}`);
        // Undeployed and cleaned by the agent, then deployed again by the Machine.
        expect(inOrder(seen, ["deleting", "clean wait", "available", "deploying", "wait call-back", "active"]), seen.join(" → ")).to.equal(true);
        const out = await stack.outputs();
        const n = await node();
        expect(n!.provision_state).to.equal("active");
        expect(out.machineNode).to.equal(n!.uuid);
        expect(out.machineState).to.equal("provisioned");
        expect(n!.allocation_uuid, "the Machine's claim").to.be.a("string");
        expect(n!.instance_info?.image_source).to.equal(imageUrl);
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(`lab-os: hostname ${hostname2} \\(config drive /dev/vda\\d+\\)`), 30 * 60_000);
        await waitForConsole(vm.consoleLog, consoleFrom, new RegExp(line2), 5 * 60_000);
        note("console: the Machine's hostname and user_data line seen");
    });

    it("`pulumi destroy` deprovisions (cleaning by the agent) and deletes the node", async () => {
        const logFrom = fs.statSync(ironic.logFile).size;
        const r = await stack.run(["destroy", "--yes", "--skip-preview"]);
        note(`destroy exit ${r.code}`);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        const seen = transitions(ironic.logFile, logFrom);
        note(`provision states: ${seen.join(" → ")}`);
        expect(inOrder(seen, ["deleting", "clean wait", "available"]), seen.join(" → ")).to.equal(true);
        expect(await node()).to.equal(undefined);
        // Cleaning erased the partition table the deploy wrote (erase_devices_metadata).
        expect(partitions(readDisk(lab.vms[0].disk, 0, 512, labDir))).to.deep.equal([]);
    });
});
