// Firmware (BIOS) settings under the real `pulumi` CLI against the real Ironic and a Redfish BMC
// that has BIOS: sushy-tools' libvirt driver over a small libvirt domain (local/lab/bios-bmc.ts;
// the fake driver the other Redfish tests use has no BIOS). One host, driven as a program would:
//   1. available: `firmware.settings` applied by manual cleaning (bios.apply_configuration, no
//      agent), the preview saying WILL CLEAN, the outputs and the BMC itself showing the value;
//   2. a read-only setting and a value not allowed refused at preview, naming the property, from
//      the registry Ironic reported on the last run;
//   3. provisioned (active, adopted as externally provisioned: nothing here can deploy an OS):
//      applied by servicing, the preview saying WILL SERVICE (no wipe), the node active again
//      with its instance_info as it was, and the VM's disk still carrying the mark written on it.
// Needs libvirtd, QEMU and the BMC venv (installed on first use, as the lab does): outside
// `npm test`, run by scripts/test-lab.sh, or alone with the suite's hooks (they start Ironic).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/extra-keys";
import { ensureToolchain } from "../../local/toolchain";
import { startIronic, stopIronic } from "../../local/ironic";
import { BiosBmc, diskStillMarked, redfishBiosAttributes, startBiosBmc } from "../../local/lab/bios-bmc";
import { TestStack } from "../e2e/stack";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const host = new BareMetalHost(cfg.require("host"), {
    bmc: { address: cfg.require("bmcAddress"), username: "admin", password: cfg.requireSecret("bmcPassword") },
    bootMACAddress: cfg.require("mac"),
    online: false,
    inspectionMode: "disabled",
    automatedCleaningMode: "disabled",
    externallyProvisioned: cfg.getBoolean("external") || undefined,
    firmware: cfg.getObject("firmware"),
    // Servicing a provisioned host is what this test checks: allowed as Metal³'s HostUpdatePolicy does.
    updatePolicy: { firmwareSettings: "onReboot" },
    timeouts: { clean: "15m" },
});
exports.nodeUuid = host.nodeUuid;
exports.firmwareSettings = host.firmwareSettings;
exports.state = host.ironicProvisionState;
`;

const log = (line: string) => process.stderr.write(`[firmware] ${line}\n`);

describe("firmware settings through the real engine, Ironic and a libvirt-backed Redfish BMC", function () {
    this.timeout(1_800_000);
    let bmc: BiosBmc;
    let client: IronicClient;
    let stack: TestStack;
    let ownIronic: string | undefined;
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const host = `fw-${process.pid % 1000}-${Date.now() % 100000}`;
    const label = `default~${host}`;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-firmware-"));

    before(async function () {
        this.timeout(3_600_000);
        bmc = await startBiosBmc(stateDir, `fw-vm-${process.pid % 10000}`, log);
        if (!process.env.IRONIC_URL) {
            // Alone (scripts/test-lab.sh): an Ironic of its own, as the lab's tests start theirs.
            ownIronic = path.join(stateDir, "ironic");
            const ironic = await startIronic({ stateDir: ownIronic, noauth: true, log });
            process.env.IRONIC_URL = ironic.url;
            process.env.OS_AUTH_TYPE = "none";
        }
        const tc = await ensureToolchain({ skipKubeApiserver: true, log });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        stack = await TestStack.nodeProgram("firmware", PROGRAM);
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL!);
        await stack.setConfig("host", host);
        await stack.setConfig("bmcAddress", bmc.address);
        await stack.setConfig("bmcPassword", bmc.password, { secret: true });
        await stack.setConfig("mac", bmc.mac);
        await stack.must(["up", "--yes", "--skip-preview"]);
    });
    after(async () => {
        if (stack) await stack.run(["destroy", "--yes", "--skip-preview"]);
        await client?.close();
        await bmc?.stop();
        if (ownIronic) await stopIronic({ stateDir: ownIronic, log });
        if (process.env.PULUMI_METAL3_KEEP_IRONIC_STATE !== "1") fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("an available host: the BIOS registry is recorded; a setting is applied by manual cleaning (preview: WILL CLEAN), outputs and BMC show it", async () => {
        const first = await stack.outputs();
        expect(first.state).to.equal("available");
        expect(first.firmwareSettings.ProcTurboMode, JSON.stringify(first.firmwareSettings)).to.equal("Enabled");
        expect(first.firmwareSettings, "password attributes are never shown").to.not.have.property("SysPassword");

        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Disabled" } }));
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(`WILL CLEAN (manual cleaning for firmware settings, no agent; reboots the host) host ${label}: firmware settings changed`);
        expect(preview).to.not.contain("REPROVISION");
        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain("manual cleaning (firmware settings ProcTurboMode; no agent, the host reboots)");
        const outs = await stack.outputs();
        expect(outs.state).to.equal("available");
        expect(outs.firmwareSettings.ProcTurboMode).to.equal("Disabled");
        expect((await redfishBiosAttributes(bmc)).ProcTurboMode, "the BMC's own BIOS resource").to.equal("Disabled");
        // Done: the same settings ask for nothing more.
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL CLEAN");
    });

    it("a read-only setting and a value the registry does not allow fail the preview, naming the property", async () => {
        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Disabled", NumCores: "12" } }));
        const readOnly = await stack.run(["preview", "--diff"]);
        expect(readOnly.code).to.not.equal(0);
        expect(said(readOnly)).to.match(/firmware\.settings\.NumCores/);
        expect(said(readOnly)).to.contain('BIOS setting "NumCores" is read-only on this host');

        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Maybe" } }));
        const disallowed = await stack.run(["preview", "--diff"]);
        expect(disallowed.code).to.not.equal(0);
        expect(said(disallowed)).to.match(/firmware\.settings\.ProcTurboMode/);
        expect(said(disallowed)).to.contain('"Maybe" is not an allowed value of BIOS setting "ProcTurboMode" (allowed: Enabled, Disabled)');
        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Disabled" } }));
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL CLEAN");
    });

    it("a provisioned (active) host: applied by servicing (preview: WILL SERVICE, no wipe); the node stays active, its disk untouched", async () => {
        await stack.setConfig("external", "true");
        await stack.must(["up", "--yes", "--skip-preview"]);
        const before = await client.getNode(label);
        expect(before.provision_state).to.equal("active");
        expect(diskStillMarked(bmc.disk), "the disk carries its mark before").to.equal(true);

        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Enabled", NicBoot1: "Disabled" } }));
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(`WILL SERVICE (no wipe; reboots the host) host ${label}: firmware settings changed`);
        expect(preview).to.not.contain("REPROVISION");
        expect(preview).to.not.contain("DEPROVISION");
        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain("servicing (firmware settings NicBoot1, ProcTurboMode; no wipe, the host reboots)");
        expect(up).to.not.match(/rebuild|undeploy|deprovision/i);

        const after = await client.getNode(before.uuid);
        expect(after.provision_state).to.equal("active");
        expect(after.instance_info, "no new deployment").to.deep.equal(before.instance_info);
        expect(after.extra[EXTRA.firmware]).to.be.a("string");
        expect(diskStillMarked(bmc.disk), "the disk still carries its mark: not wiped").to.equal(true);
        const attrs = await redfishBiosAttributes(bmc);
        expect([attrs.ProcTurboMode, attrs.NicBoot1]).to.deep.equal(["Enabled", "Disabled"]);
        const outs = await stack.outputs();
        expect(outs.state).to.equal("active");
        expect([outs.firmwareSettings.ProcTurboMode, outs.firmwareSettings.NicBoot1]).to.deep.equal(["Enabled", "Disabled"]);
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL SERVICE");
    });
});
