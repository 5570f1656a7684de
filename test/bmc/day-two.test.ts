// Day-two power requests seen on a real IPMI BMC (local/bmc.ts: python3-pyghmi's fake BMC, which
// logs every chassis command it gets: "abruptly remove power" for a hard power-off, "politely
// shut down the system" for IPMI's soft-off, "powered on"), through the real Ironic's ipmi
// hardware type: a reboot on request (hard, then soft), a soft power-off, and a detach + re-attach
// of a provisioned host during which the BMC gets no power command at all.
// Not shown here: the soft power-off's fall-back to hard. pyghmi's BMC turns the power off at once
// on a soft-off request (there is no operating system behind it that could ignore the ACPI
// request), so a soft power-off never times out on it; the fall-back is seen on the Redfish
// emulator, whose power changes land 1–11 s late (test/bmc/redfish-day-two.test.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { bmcPowerState, RunningBmc } from "../../local/bmc";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/host/lifecycle";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { startTestBmcs, TestBmcLab } from "../support/bmcs";

/** What the BMC logged from `offset` on: its power commands, one a line. */
function bmcLogSince(bmc: RunningBmc, offset: number): string[] {
    const text = fs.readFileSync(bmc.logFile, "utf8").slice(offset);
    return text.split("\n").filter((l) => /abruptly remove power|politely shut down|powered on/.test(l));
}
const logSize = (bmc: RunningBmc) => fs.statSync(bmc.logFile).size;

describe("day two on a real IPMI BMC (virtual-BMC lab)", function () {
    this.timeout(600_000);
    let lab: TestBmcLab;
    let client: IronicClient;
    let server: http.Server;
    let filesUrl: string;
    let nodeId: string | undefined;

    before(async () => {
        lab = await startTestBmcs(1);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        // The live ISO the ramdisk deploy "boots": a tiny file; nothing boots it (no server behind the BMC).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-day-two-"));
        fs.writeFileSync(path.join(dir, "live.iso"), "live.iso\n");
        server = http.createServer((req, res) => {
            const file = path.join(dir, path.basename(req.url ?? ""));
            if (!fs.existsSync(file)) return void res.writeHead(404).end();
            const body = fs.readFileSync(file);
            res.writeHead(200, { "Content-Length": body.length, "Content-Type": "application/octet-stream" });
            res.end(req.method === "HEAD" ? undefined : body);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        filesUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        if (nodeId) {
            const n = await client.findNode(nodeId).catch(() => undefined);
            if (n) {
                if (!n.maintenance) await client.setMaintenance(n.uuid, "test cleanup").catch(() => undefined);
                await client.deleteNode(n.uuid).catch(() => undefined);
            }
        }
        await client?.close();
        server?.close();
        await lab?.stop();
    });

    it("reboot (hard, then soft), detach and re-attach with no power command, a soft power-off, delete of a detached host: each seen on the BMC", async () => {
        const bmc = lab.bmcs[0];
        const mac = `52:54:0e:${(process.pid % 256).toString(16).padStart(2, "0")}:${(Date.now() % 256).toString(16).padStart(2, "0")}:01`;
        const host: Record<string, unknown> = {
            name: `day2-ipmi-${process.pid % 1000}-${Date.now() % 100000}`,
            bmc: { address: `${bmc.address}?ciphersuite=3`, username: bmc.username, password: bmc.password },
            bootMACAddress: mac,
            online: true,
            automatedCleaningMode: "disabled",
            inspectionMode: "disabled",
            image: { url: `${filesUrl}/live.iso`, format: "live-iso" },
            rebootRequest: "boot-0",
            timeouts: { softPowerOff: "30s" },
        };
        let from = logSize(bmc);
        const created = await provider.create(host);
        nodeId = created.id;
        expect((await client.getNode(nodeId)).provision_state).to.equal("active");
        expect(bmcPowerState(bmc)).to.equal("on");
        // A token given at create is not a request: one power-on for the deploy, no reboot after it.
        const atCreate = bmcLogSince(bmc, from);
        expect(atCreate.filter((l) => /powered on/.test(l)).length, atCreate.join("\n")).to.be.greaterThan(0);
        const provisioned = (await client.getNode(nodeId)).provision_updated_at;

        // Hard reboot: Ironic's ipmitool reboot is power off, then on.
        from = logSize(bmc);
        const hard = await provider.update(nodeId, created.outs, { ...host, rebootRequest: "boot-1" });
        let seen = bmcLogSince(bmc, from);
        expect(
            seen.map((l) => (/abruptly/.test(l) ? "off" : /politely/.test(l) ? "soft-off" : "on")),
            seen.join("\n"),
        ).to.deep.equal(["off", "on"]);
        let node = await client.getNode(nodeId);
        expect(node.provision_state).to.equal("active");
        expect(node.provision_updated_at, "no provision state change").to.equal(provisioned);
        expect(node.extra[EXTRA.reboot]).to.equal("boot-1");
        expect(bmcPowerState(bmc)).to.equal("on");

        // Soft reboot: IPMI soft-off (chassis control 5), then on; no hard power-off.
        from = logSize(bmc);
        const soft = await provider.update(nodeId, hard.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft" });
        seen = bmcLogSince(bmc, from);
        expect(
            seen.map((l) => (/abruptly/.test(l) ? "off" : /politely/.test(l) ? "soft-off" : "on")),
            seen.join("\n"),
        ).to.deep.equal(["soft-off", "on"]);
        expect(bmcPowerState(bmc)).to.equal("on");

        // Detach: the node goes, the BMC gets no power command, the server stays on.
        from = logSize(bmc);
        const detached = await provider.update(nodeId, soft.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft", detached: true });
        expect(await client.findNode(nodeId)).to.equal(undefined);
        expect(bmcLogSince(bmc, from)).to.deep.equal([]);
        expect(bmcPowerState(bmc)).to.equal("on");
        expect(detached.outs!.detached).to.equal(true);
        expect(detached.outs!.ironicProvisionState).to.equal("active");
        // Deleting a detached host touches nothing either (nothing is called here: refresh keeps it).
        const refreshed = await provider.read!(nodeId, detached.outs!);
        expect(refreshed.id).to.equal(nodeId);

        // Re-attach: the same UUID, adopted with its live ISO, no deploy, no power command.
        from = logSize(bmc);
        const back = await provider.update(nodeId, detached.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft", detached: false });
        node = await client.getNode(nodeId);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_info.boot_iso).to.equal(`${filesUrl}/live.iso`);
        expect(node.deploy_interface).to.equal("ramdisk");
        expect(node.extra[EXTRA.reattach]).to.equal(undefined);
        expect(bmcLogSince(bmc, from), "no power command while re-attaching").to.deep.equal([]);
        expect(bmcPowerState(bmc)).to.equal("on");

        // online: false with powerOffMode soft: a soft-off, no hard one.
        from = logSize(bmc);
        const off = await provider.update(nodeId, back.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft", online: false });
        seen = bmcLogSince(bmc, from);
        expect(
            seen.map((l) => (/abruptly/.test(l) ? "off" : /politely/.test(l) ? "soft-off" : "on")),
            seen.join("\n"),
        ).to.deep.equal(["soft-off"]);
        expect(bmcPowerState(bmc)).to.equal("off");

        // Back on, detached again, then deleted: as BMO deletes a detached host, nothing reaches the BMC.
        const on = await provider.update(nodeId, off.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft" });
        expect(bmcPowerState(bmc)).to.equal("on");
        const again = await provider.update(nodeId, on.outs!, { ...host, rebootRequest: "boot-2", powerOffMode: "soft", detached: true });
        expect(await client.findNode(nodeId)).to.equal(undefined);
        from = logSize(bmc);
        await provider.delete(nodeId, again.outs!);
        expect(bmcLogSince(bmc, from), "deleting a detached host sends no power command").to.deep.equal([]);
        expect(bmcPowerState(bmc)).to.equal("on");
        nodeId = undefined;
    });
});
