// Firmware settings under the real `pulumi` CLI against the real Ironic on fake hardware (cheap:
// in `npm test`): an available host's settings applied by manual cleaning through Ironic's fake
// BIOS interface (its bios.apply_configuration clean step records them in Ironic's BIOS table,
// ironic/drivers/modules/fake.py FakeBIOS), the preview saying WILL CLEAN, the outputs showing
// what Ironic then reports, and the same settings asking for nothing more. Fake BIOS has no
// registry and no service step: the check at preview and servicing of a provisioned host are
// tested on a Redfish BMC with BIOS (test/lab/firmware-engine.test.ts).
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/extra-keys";
import { ensureToolchain } from "../../local/toolchain";
import { randomMac, TestStack } from "../e2e/stack";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const host = new BareMetalHost(cfg.require("host"), {
    bmc: { address: "fake://firmware" },
    online: false,
    bootMACAddress: cfg.require("mac"),
    firmware: cfg.getObject("firmware"),
});
exports.firmwareSettings = host.firmwareSettings;
exports.state = host.ironicProvisionState;
`;

describe("firmware settings under the real pulumi engine (fake hardware): manual cleaning of an available host", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let stack: TestStack;
    const host = `fw-fake-${process.pid % 1000}-${Date.now() % 100000}`;
    const mac = randomMac("52:54:0f");
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        stack = await TestStack.nodeProgram("firmware-fake", PROGRAM);
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL!);
        await stack.setConfig("host", host);
        await stack.setConfig("mac", mac);
        await stack.must(["up", "--yes", "--skip-preview"]);
    });
    after(async () => {
        if (stack) await stack.run(["destroy", "--yes", "--skip-preview"]);
        await client?.close();
    });

    it("the preview says WILL CLEAN; up applies the settings by manual cleaning; outputs show what Ironic reports; done once", async () => {
        const before = await client.getNode(`default~${host}`);
        expect(before.provision_state).to.equal("available");
        await stack.setConfig("firmware", JSON.stringify({ settings: { ProcTurboMode: "Disabled", NumCores: 12 } }));
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(
            `WILL CLEAN (manual cleaning for firmware settings, no agent; reboots the host) host default~${host}: firmware settings changed`,
        );
        expect(preview).to.not.contain("REPROVISION");
        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain("manual cleaning (firmware settings NumCores, ProcTurboMode; no agent, the host reboots)");
        const node = await client.getNode(before.uuid);
        expect(node.provision_state).to.equal("available");
        expect(node.extra[EXTRA.firmware]).to.be.a("string");
        const bios = await client.getBiosSettings(before.uuid);
        expect(Object.fromEntries(bios.map((s) => [s.name, s.value]))).to.deep.equal({ NumCores: "12", ProcTurboMode: "Disabled" });
        const outs = await stack.outputs();
        expect(outs.state).to.equal("available");
        expect(outs.firmwareSettings).to.deep.equal({ NumCores: "12", ProcTurboMode: "Disabled" });
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL CLEAN");
    });
});
