// The update plan against a real Ironic (fake hardware, and a real IPMI BMC emulator for the
// driver switch): what the preview announces is what the update does, a BMC scheme change keeps
// the node (no wipe, no re-inspection), and a reprovision whose request never reached Ironic is
// finished by the next update instead of being reported done with the old image on the disk.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";
import * as host from "../../sdk/providers/host";
import type { HostDiff } from "../../sdk/providers/host";
import { captureLogger } from "../support/capture-logger";
import { EXTRA } from "../../provider/host/lifecycle";
import type { LabBmc } from "../../local/bmc";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";
import { startFlakyProxy } from "../ironic/flaky-proxy";

const provider = bareMetalHostProvider;
let seq = 0;
function fresh(prefix: string) {
    seq++;
    const hex = (n: number) => (n % 256).toString(16).padStart(2, "0");
    return {
        name: `${prefix}-${process.pid % 1000}-${Date.now() % 100000}-${seq}`,
        mac: `52:54:02:${hex(process.pid)}:${hex(Date.now())}:${hex(seq * 7 + Math.floor(Math.random() * 256))}`,
    };
}
const image = { url: "http://127.0.0.1:1/images/plan-1.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" };
const image2 = { url: "http://127.0.0.1:1/images/plan-2.qcow2", checksum: "fedcba9876543210fedcba9876543210", format: "qcow2" };

/** diff() as the engine calls it at preview, with what it prints. */
async function preview(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ d: HostDiff; said: string }> {
    const log = captureLogger();
    const d = await host.diff(id, olds, news, log);
    return { d, said: log.text() };
}

describe("BareMetalHost update plan against real Ironic", function () {
    this.timeout(600_000);
    let client: IronicClient;
    const cleanup: string[] = [];
    let lab: TestBmcLab | undefined;
    let bmc: LabBmc;

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
        // A real IPMI 2.0 BMC (python3-pyghmi) for the ipmi driver.
        lab = await startTestBmcs(1);
        bmc = lab.bmcs[0];
    });
    after(async () => {
        for (const id of cleanup) {
            const n = await client.findNode(id);
            if (n) {
                if (!n.maintenance) await client.setMaintenance(n.uuid, "test cleanup").catch(() => undefined);
                await client.deleteNode(n.uuid).catch(() => undefined);
            }
        }
        await lab?.stop();
        await client.close();
    });

    it("a reprovision whose request never reached Ironic is not reported done: the next update rebuilds", async () => {
        const proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        try {
            const { name, mac } = fresh("lost");
            // This host speaks to Ironic through the proxy (its own `ironic` input), the test directly.
            const inputs = { name, bmc: { address: "fake://lost" }, online: true, bootMACAddress: mac, image, ironic: { url: proxy.url } };
            const created = await provider.create(inputs);
            cleanup.push(created.id);
            const before = await client.getNode(created.id);
            const fp1 = before.extra[EXTRA.deployment];
            expect([before.provision_state, fp1]).to.satisfy(
                ([s, fp]: [string, unknown]) => s === "active" && typeof fp === "string" && !String(fp).startsWith("pending:"),
            );

            // The rebuild request is cut on its way to Ironic: it never takes effect.
            const withImage2 = { ...inputs, image: image2 };
            proxy.dropRequests(/^PUT \/v1\/nodes\/[^/]+\/states\/provision /);
            let failure: Error | undefined;
            await provider.update!(created.id, created.outs, withImage2).catch((e: Error) => (failure = e));
            expect(proxy.dropped).to.equal(1);
            expect(failure?.message, "the update must not report success").to.match(/connection|provision/i);
            let node = await client.getNode(created.id);
            // Nothing was deployed: the old image is on the disk, and the node does not claim otherwise.
            expect(node.provision_updated_at).to.equal(before.provision_updated_at);
            expect(node.provision_state).to.equal("active");
            expect(String(node.extra[EXTRA.deployment])).to.match(/^pending:/);

            // The next update (the next `pulumi up`) finishes the reprovision.
            const again = await provider.update!(created.id, created.outs, withImage2);
            node = await client.getNode(created.id);
            expect(node.provision_state).to.equal("active");
            expect(node.instance_info.image_source).to.equal(image2.url);
            expect(node.provision_updated_at, "a rebuild happened").to.not.equal(before.provision_updated_at);
            const fp2 = node.extra[EXTRA.deployment];
            expect(fp2)
                .to.be.a("string")
                .and.not.match(/^pending:/);
            expect(fp2).to.not.equal(fp1);
            expect(again.outs.provisioningState).to.equal("provisioned");
            // Settled: the same inputs once more change nothing on the node.
            await provider.update!(created.id, again.outs, withImage2);
            expect((await client.getNode(created.id)).provision_updated_at).to.equal(node.provision_updated_at);
        } finally {
            await proxy.close();
        }
    });

    it("a deploy Ironic took but the run did not see finish is recorded by the next update, not done twice", async () => {
        const { name, mac } = fresh("outlived");
        const inputs = { name, bmc: { address: "fake://outlived" }, online: true, bootMACAddress: mac };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        // A deploy deadline far shorter than the (fake, ~1 s) deploy: the run gives up while Ironic deploys.
        const hurried = { ...inputs, image, timeouts: { deploy: "120ms" } };
        let failure: Error | undefined;
        await provider.update!(created.id, created.outs, hurried).catch((e: Error) => (failure = e));
        expect(failure?.message).to.match(/timed out|deadline|did not reach/i);
        let node = await client.waitForProvisionState(created.id, "active", { timeoutMs: 120_000 });
        expect(String(node.extra[EXTRA.deployment])).to.match(/^pending:/);
        const deployedAt = node.provision_updated_at;

        const u = await provider.update!(created.id, created.outs, { ...inputs, image });
        node = await client.getNode(created.id);
        expect(node.provision_updated_at, "no second deploy").to.equal(deployedAt);
        expect(String(node.extra[EXTRA.deployment])).to.not.match(/^pending:/);
        expect(u.outs.provisioningState).to.equal("provisioned");
    });

    it("BMC scheme fake → ipmi on an available host: the same node switches driver in place and its BMC answers", async () => {
        const { name, mac } = fresh("scheme");
        const inputs = { name, bmc: { address: "fake://scheme" }, online: true, bootMACAddress: mac };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        const inspectedAt = (await client.getNode(created.id)).inspection_finished_at;

        const toIpmi = { ...inputs, bmc: { address: bmc.address, username: bmc.username, password: bmc.password } };
        const { d, said } = await preview(created.id, created.outs, toIpmi);
        expect(d.replaces, "a scheme change must not be a replace").to.deep.equal([]);
        expect(d.changed).to.include("bmc.address");
        expect(said).to.not.match(/WILL (REPLACE|REPROVISION|DEPROVISION)/);

        const u = await provider.update!(created.id, created.outs, toIpmi);
        const node = await client.getNode(created.id);
        expect(node.uuid).to.equal(created.id);
        expect(u.outs.nodeUuid).to.equal(created.id);
        expect([node.driver, node.power_interface, node.management_interface, node.boot_interface]).to.deep.equal(["ipmi", "ipmitool", "ipmitool", "ipxe"]);
        expect(node.driver_info).to.include({ ipmi_address: "127.0.0.1", ipmi_port: String(bmc.port), ipmi_username: bmc.username });
        expect(node.driver_info).to.not.have.property("fake_address");
        expect([node.provision_state, node.maintenance]).to.deep.equal(["available", false]);
        expect(node.inspection_finished_at, "no re-inspection").to.equal(inspectedAt);
        // The new driver really drives the BMC.
        await client.setPowerState(node.uuid, "power on");
        expect((await client.waitForPowerState(node.uuid, "power on", { timeoutMs: 120_000 })).power_state).to.equal("power on");
    });

    it("BMC scheme fake → ipmi on a provisioned host: switched in maintenance, no rebuild, deployment untouched", async () => {
        const { name, mac } = fresh("scheme-active");
        const inputs = { name, bmc: { address: "fake://scheme-active" }, online: true, bootMACAddress: mac, image };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        const before = await client.getNode(created.id);
        expect(before.provision_state).to.equal("active");

        const toIpmi = { ...inputs, bmc: { address: bmc.address, username: bmc.username, password: bmc.password } };
        const { d, said } = await preview(created.id, created.outs, toIpmi);
        expect(d.replaces).to.deep.equal([]);
        expect(d.reprovision).to.equal(undefined);
        expect(said).to.equal("");
        expect(d.plan!.steps.map((s) => (s.kind === "patch" && s.inMaintenance ? "patch-in-maintenance" : s.kind))).to.deep.equal(["patch-in-maintenance"]);

        await provider.update!(created.id, created.outs, toIpmi);
        const node = await client.getNode(created.id);
        expect([node.uuid, node.driver, node.power_interface, node.provision_state, node.maintenance]).to.deep.equal([
            created.id,
            "ipmi",
            "ipmitool",
            "active",
            false,
        ]);
        expect(node.provision_updated_at, "no rebuild, no undeploy").to.equal(before.provision_updated_at);
        expect(node.extra[EXTRA.deployment]).to.equal(before.extra[EXTRA.deployment]);
        expect(node.instance_info.image_source).to.equal(image.url);
    });

    it("online: false with an image change: the preview says DEPROVISION, and the update deprovisions", async () => {
        const { name, mac } = fresh("offline");
        const inputs = { name, bmc: { address: "fake://offline" }, online: true, bootMACAddress: mac, image };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        const next = { ...inputs, online: false, image: image2 };
        const { d, said } = await preview(created.id, created.outs, next);
        expect(said).to.contain(`WILL DEPROVISION (wipe) host default~${name}: online, image changed: undeploy (image or data changed while offline`);
        expect(d.plan!.ends).to.deep.equal({ provisionState: "available", powerState: "power off" });
        const u = await provider.update!(created.id, created.outs, next);
        const node = await client.getNode(created.id);
        expect({ provisionState: node.provision_state, powerState: node.power_state }).to.deep.equal(d.plan!.ends);
        expect(node.extra[EXTRA.deployment]).to.equal(undefined);
        expect(u.outs.provisioningState).to.equal("available");
    });

    it("RAID added on a provisioned host: announced as a reprovision, then applied (not accepted and ignored)", async () => {
        const { name, mac } = fresh("raid-active");
        const inputs = { name, bmc: { address: "fake://raid-active" }, online: true, bootMACAddress: mac, image };
        const created = await provider.create(inputs);
        cleanup.push(created.id);
        const before = await client.getNode(created.id);
        const withRaid = { ...inputs, raid: { hardwareRAIDVolumes: [{ level: "1", name: "root" }] } };
        const { d, said } = await preview(created.id, created.outs, withRaid);
        expect(said).to.contain(`WILL REPROVISION (wipe) host default~${name}: raid changed`);
        expect(d.plan!.steps.map((s) => s.kind)).to.include.members(["undeploy", "configure-raid", "deploy"]);
        await provider.update!(created.id, created.outs, withRaid);
        const node = await client.getNode(created.id);
        expect([node.provision_state, node.power_state]).to.deep.equal([d.plan!.ends.provisionState, d.plan!.ends.powerState]);
        expect(
            (node as unknown as { target_raid_config: { logical_disks: Array<{ raid_level: string }> } }).target_raid_config.logical_disks.map(
                (l) => l.raid_level,
            ),
        ).to.deep.equal(["1"]);
        expect(node.extra[EXTRA.raid]).to.be.a("string");
        expect(node.provision_updated_at).to.not.equal(before.provision_updated_at);
    });
});
