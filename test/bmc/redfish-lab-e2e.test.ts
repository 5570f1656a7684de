// End to end with the real engine and Redfish BMCs: examples/lab (what `npm run demo -- --bmc
// redfish` runs) through `pulumi up` / `destroy` on a file:// backend, against the test run's real
// Ironic and the run's shared sushy-tools emulator over HTTPS (self-signed certificate, so
// disableCertificateVerification). Host 0 is `redfish-virtualmedia+https://`: its live ISO must be
// inserted in the emulator's virtual CD by Ironic, and ejected on destroy. Power is read back
// from the emulator itself.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { sleep } from "../../local/proc";
import { redfishAddress, redfishPowerState, redfishVirtualCd, RedfishSystem } from "../../local/redfish";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { TestStack } from "../e2e/stack";
import { serveLiveIso, ServedIso } from "../support/live-iso";
import { sharedRedfishLab, SharedRedfishLab } from "../support/redfish";

/** The emulator applies a power change 1–11 s after Ironic asks (fakedriver.py): wait for it there. */
async function powerAtEmulator(shared: SharedRedfishLab, system: RedfishSystem, want: string): Promise<string> {
    const deadline = Date.now() + 20_000;
    let state = await redfishPowerState(shared.lab, system);
    while (state !== want && Date.now() < deadline) {
        await sleep(500);
        state = await redfishPowerState(shared.lab, system);
    }
    return state;
}

describe("e2e: examples/lab on Redfish BMCs (sushy-tools) with the real Pulumi engine", function () {
    this.timeout(300_000);
    const ns = `rf${Math.random().toString(36).slice(2, 7)}`;
    let client: IronicClient;
    let shared: SharedRedfishLab;
    let systems: RedfishSystem[];
    let stack: TestStack;
    let iso: ServedIso | undefined;

    const nodesOfStack = async () => (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~`));

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        iso = await serveLiveIso(ns);

        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        shared = await sharedRedfishLab("https");
        systems = shared.takeSystems(2);
        stack = await TestStack.create("lab", "e2e");
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        await stack.setConfig("namespace", ns);
        await stack.setConfig(
            "bmcAddresses",
            JSON.stringify([redfishAddress(shared.lab, systems[0], "redfish-virtualmedia+https"), redfishAddress(shared.lab, systems[1])]),
        );
        await stack.setConfig("bootMacs", JSON.stringify(systems.map((s) => s.mac)));
        await stack.setConfig("disableCertificateVerification", "true");
        await stack.setConfig("bmcPasswords", JSON.stringify(systems.map(() => shared.lab.password)), { secret: true });
        await stack.setConfig("liveIsoUrl", iso.url);
    });

    after(async function () {
        this.timeout(300_000);
        if (stack && (await stack.run(["destroy", "--yes"])).code === 0) fs.rmSync(stack.dir, { recursive: true, force: true });
        iso?.remove();
        await client?.close();
    });

    it("`pulumi up`: host 0 active through virtual media (ISO in the emulator's virtual CD, power On there), host 1 available and Off", async function () {
        await stack.must(["up", "--yes", "--skip-preview"]);
        const byName = new Map((await nodesOfStack()).map((n) => [String(n.name), n]));
        expect([...byName.keys()].sort()).to.deep.equal([`${ns}~lab-0`, `${ns}~lab-1`]);
        const live = byName.get(`${ns}~lab-0`)!;
        expect(live.provision_state).to.equal("active");
        expect(live.driver).to.equal("redfish");
        expect(live.boot_interface).to.equal("redfish-virtual-media");
        expect(live.deploy_interface).to.equal("ramdisk");
        expect(live.driver_info.redfish_system_id).to.equal(`/redfish/v1/Systems/${systems[0].uuid}`);
        expect(live.driver_info.redfish_verify_ca).to.equal(false);
        const cd = await redfishVirtualCd(shared.lab, systems[0]);
        expect(cd.Inserted, JSON.stringify(cd)).to.equal(true);
        expect(cd.Image, "the ISO Ironic put in the virtual CD").to.be.a("string").and.not.equal("");
        expect(await powerAtEmulator(shared, systems[0], "On")).to.equal("On");

        const spare = byName.get(`${ns}~lab-1`)!;
        expect(spare.provision_state).to.equal("available");
        expect(spare.boot_interface).to.not.equal("redfish-virtual-media");
        expect(await powerAtEmulator(shared, systems[1], "Off")).to.equal("Off");
        expect((await redfishVirtualCd(shared.lab, systems[1])).Inserted).to.equal(false);

        const outputs = await stack.outputs();
        expect(outputs.hostsTable.map((h: { name: string; state: string; poweredOn: boolean }) => [h.name, h.state, h.poweredOn])).to.deep.equal([
            ["lab-0", "provisioned", true],
            ["lab-1", "available", false],
        ]);
        const state = (await stack.exportState()).text;
        expect(state, "stack state").to.not.include(shared.lab.password);
        expect(fs.readFileSync(path.join(stack.dir, "Pulumi.e2e.yaml"), "utf8"), "stack config").to.not.include(shared.lab.password);
    });

    it("`pulumi destroy` deletes both nodes, ejects host 0's ISO from the virtual CD and powers it Off", async function () {
        await stack.must(["destroy", "--yes"]);
        expect(await nodesOfStack()).to.have.length(0);
        const cd = await redfishVirtualCd(shared.lab, systems[0]);
        expect(cd.Inserted, JSON.stringify(cd)).to.equal(false);
        expect(cd.Image ?? "").to.equal("");
        expect(await powerAtEmulator(shared, systems[0], "Off")).to.equal("Off");
    });
});
