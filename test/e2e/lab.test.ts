// End to end with the real engine and real IPMI BMCs: examples/lab (what `npm run demo -- --bmc
// ipmi` runs) through `pulumi up` / `destroy` on a file:// backend, against the test run's real
// Ironic and lab BMCs (python3-pyghmi). The live ISO is a tiny file in that Ironic's http_root,
// as the demo does it. What Pulumi claims is checked in Ironic and, for power, on the BMCs with ipmitool.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { bmcPowerState } from "../../local/bmc";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";
import { serveLiveIso, ServedIso } from "../support/live-iso";
import { TestStack } from "./stack";

describe("e2e: examples/lab on real IPMI BMCs with the real Pulumi engine", function () {
    this.timeout(240_000);
    const ns = `lab${Math.random().toString(36).slice(2, 7)}`;
    const macPrefix = `52:55:${Math.floor(Math.random() * 200 + 16).toString(16)}`;
    let client: IronicClient;
    let lab: TestBmcLab;
    let stack: TestStack;
    let iso: ServedIso | undefined;

    const nodesOfStack = async () => (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~`));

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        // The suite's own Ironic (the first this run started): its http_root serves the live ISO.
        iso = await serveLiveIso(ns);

        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        lab = await startTestBmcs(3);
        stack = await TestStack.create("lab", "e2e");
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        await stack.setConfig("namespace", ns);
        await stack.setConfig("macPrefix", macPrefix);
        await stack.setConfig("bmcAddresses", JSON.stringify(lab.bmcs.map((b) => `${b.address}?ciphersuite=3`)));
        await stack.setConfig("bmcPasswords", JSON.stringify(lab.bmcs.map((b) => b.password)), { secret: true });
        await stack.setConfig("liveIsoUrl", iso.url);
    });

    after(async function () {
        this.timeout(300_000);
        // The stack copy under .state/e2e is kept only when its resources could not be destroyed.
        if (stack && (await stack.run(["destroy", "--yes"])).code === 0) fs.rmSync(stack.dir, { recursive: true, force: true });
        iso?.remove();
        await lab?.stop();
        await client?.close();
    });

    it("`pulumi up`: host 0 active and powered on at its BMC, the others available and off; no password in state or config", async function () {
        await stack.must(["up", "--yes", "--skip-preview"]);
        const byName = new Map((await nodesOfStack()).map((n) => [String(n.name), n]));
        expect([...byName.keys()].sort()).to.deep.equal([`${ns}~lab-0`, `${ns}~lab-1`, `${ns}~lab-2`]);
        const live = byName.get(`${ns}~lab-0`)!;
        expect(live.provision_state).to.equal("active");
        expect(live.deploy_interface).to.equal("ramdisk");
        expect(live.instance_info.boot_iso).to.match(new RegExp(`/${ns}/live\\.iso$`));
        expect(bmcPowerState(lab.bmcs[0])).to.equal("on");
        for (const i of [1, 2]) {
            const n = byName.get(`${ns}~lab-${i}`)!;
            expect(n.provision_state, String(n.name)).to.equal("available");
            expect(n.driver).to.equal("ipmi");
            expect(n.driver_info.ipmi_cipher_suite).to.equal("3");
            expect(bmcPowerState(lab.bmcs[i]), `BMC of lab-${i}`).to.equal("off");
        }

        const outputs = await stack.outputs();
        expect(outputs.hostsTable.map((h: { name: string; state: string; poweredOn: boolean }) => [h.name, h.state, h.poweredOn])).to.deep.equal([
            ["lab-0", "provisioned", true],
            ["lab-1", "available", false],
            ["lab-2", "available", false],
        ]);
        const state = (await stack.exportState()).text;
        const config = fs.readFileSync(path.join(stack.dir, "Pulumi.e2e.yaml"), "utf8");
        for (const b of lab.bmcs) {
            expect(state, "stack state").to.not.include(b.password);
            expect(config, "stack config").to.not.include(b.password);
        }
    });

    it("`pulumi destroy` deletes every node (host 0 from active) and powers its BMC off", async function () {
        await stack.must(["destroy", "--yes"]);
        expect(await nodesOfStack()).to.have.length(0);
        expect(bmcPowerState(lab.bmcs[0])).to.equal("off");
    });
});
