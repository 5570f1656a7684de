// The lab's images, booted in real QEMU VMs (KVM where Linux boots under it, else TCG): the
// agent's kernel + initramfs start ironic-python-agent 13, whose lookup reaches a loopback HTTP
// listener through user-mode networking (10.0.2.2) carrying the VM's MAC; the agent ISO boots the
// same agent; the OS qcow2 boots from its disk, reads a config drive's hostname and runs its
// user_data. The images are built by the test command (scripts/test.sh, `lab images`) and cached.
import { expect } from "chai";
import { spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { probeAccel } from "../../local/lab/accel";
import { AgentImages, ensureAgentImages, ensureOsImage, IPA_VERSION, OsImage } from "../../local/lab/images";
import { randomMac } from "../../local/lab/lab";
import { QemuVm, startQemuVm } from "../../local/lab/qemu-vm";

// Under TCG on a loaded 2-core machine the agent needs minutes to start; KVM takes seconds.
const BOOT_TIMEOUT_MS = 25 * 60_000;

describe("lab images boot in VMs", function () {
    this.timeout(BOOT_TIMEOUT_MS + 5 * 60_000);
    let agent: AgentImages;
    let osImage: OsImage;
    let work: string;
    let vm: QemuVm | undefined;

    before(async function () {
        this.timeout(60 * 60_000);
        agent = await ensureAgentImages();
        osImage = await ensureOsImage();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "lab-images-"));
        const probe = probeAccel(agent.kernel);
        process.stderr.write(`      accelerator: ${probe.accel}${probe.reason ? ` (${probe.reason})` : ""}\n`);
    });
    afterEach(async () => {
        await vm?.stop();
        vm = undefined;
    });
    after(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it(`the agent's kernel + initramfs start ironic-python-agent ${IPA_VERSION}, whose lookup reaches loopback through 10.0.2.2 with the VM's MAC`, async () => {
        const requests: string[] = [];
        const server = http.createServer((req, res) => {
            requests.push(`${req.method} ${req.url}`);
            // Not Ironic: this listener only records what the agent asks; 404 makes the agent retry.
            res.writeHead(404, { "Content-Type": "application/json" });
            res.end("{}");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as { port: number }).port;
        const mac = randomMac();
        try {
            vm = await startQemuVm({
                name: "lab-test-agent",
                consoleLog: path.join(work, "agent.console"),
                kernel: agent.kernel,
                initrd: agent.ramdisk,
                append: `console=ttyS0,115200 ipa-api-url=http://10.0.2.2:${port} ipa-insecure=1`,
                mac,
                memoryMiB: 2048,
            });
            const line = await vm.waitForConsole(/lab-agent: starting ironic-python-agent/, BOOT_TIMEOUT_MS);
            expect(line).to.contain(`ironic-python-agent ${IPA_VERSION}`);
            const deadline = Date.now() + 10 * 60_000;
            while (!requests.some((r) => r.includes("/v1/lookup")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
            const lookup = requests.find((r) => r.includes("/v1/lookup"));
            expect(lookup, `no lookup from the agent; requests seen: ${JSON.stringify(requests)}; console ${vm.consoleLog}`).to.be.a("string");
            expect(decodeURIComponent(lookup as string).toLowerCase()).to.contain(mac);
        } finally {
            server.close();
        }
    });

    it("the agent ISO (virtual media) boots the same agent from a CD", async () => {
        vm = await startQemuVm({
            name: "lab-test-agent-iso",
            consoleLog: path.join(work, "iso.console"),
            cdrom: agent.iso,
            memoryMiB: 2048,
            accel: probeAccel(agent.kernel).accel,
        });
        const line = await vm.waitForConsole(/lab-agent: starting ironic-python-agent/, BOOT_TIMEOUT_MS);
        expect(line).to.contain(IPA_VERSION);
    });

    it("the OS qcow2 matches its sha256, boots from its disk, takes the hostname from a config drive and runs its user_data", async () => {
        const actual = createHash("sha256").update(fs.readFileSync(osImage.qcow2)).digest("hex");
        expect(actual).to.equal(osImage.sha256);
        const hostname = `lab-os-${randomBytes(3).toString("hex")}`;
        const marker = `user-data-ran-${randomBytes(4).toString("hex")}`;
        // A config drive as Ironic's agent writes one: an ISO 9660 volume labelled config-2.
        const tree = path.join(work, "configdrive", "openstack", "latest");
        fs.mkdirSync(tree, { recursive: true });
        fs.writeFileSync(path.join(tree, "meta_data.json"), JSON.stringify({ uuid: "00000000-0000-0000-0000-000000000001", hostname, name: hostname }));
        fs.writeFileSync(path.join(tree, "user_data"), `#!/bin/sh\necho ${marker} from $(hostname)\n`);
        const iso = path.join(work, "configdrive.iso");
        const mk = spawnSync("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-J", "-V", "config-2", "-o", iso, path.join(work, "configdrive")], {
            encoding: "utf8",
        });
        expect(mk.status, mk.stderr).to.equal(0);
        vm = await startQemuVm({
            name: "lab-test-os",
            consoleLog: path.join(work, "os.console"),
            // snapshot: the cached image is never written.
            disks: [{ file: osImage.qcow2, snapshot: true }, { file: iso }],
            memoryMiB: 1024,
            accel: probeAccel(agent.kernel).accel,
        });
        await vm.waitForConsole(new RegExp(`lab-os: hostname ${hostname} \\(config drive /dev/vdb\\)`), BOOT_TIMEOUT_MS);
        const ran = await vm.waitForConsole(new RegExp(marker), 5 * 60_000);
        expect(ran).to.contain(`${marker} from ${hostname}`);
    });
});
