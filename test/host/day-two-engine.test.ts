// Day-two requests under the real `pulumi` CLI (file:// backend) against the real Ironic on fake
// hardware: a reboot on request (hard, then soft) seen in Ironic's conductor log with no provision
// state change, re-inspection on request of an available host, its refusal at preview on a
// provisioned one, and detach + re-attach of a provisioned host with the node gone from Ironic in
// between and back under the same UUID, adopted (no deploy) with its deployment record. The
// preview's words are checked before each `up`. Power seen on a real BMC: test/bmc/day-two.test.ts.
import { expect } from "chai";
import * as fs from "fs";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/host/lifecycle";
import { ensureToolchain } from "../../local/toolchain";
import { randomMac, TestStack } from "../e2e/stack";
import { ironicsStartedByThisRun } from "../support/hooks";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const opt = (k) => cfg.get(k) || undefined;
const a = new BareMetalHost(cfg.require("hostA"), {
    bmc: { address: "fake://day-two-a" },
    online: true,
    bootMACAddress: cfg.require("macA"),
    image: { url: "http://127.0.0.1:1/day-two.qcow2", checksum: "0123456789abcdef", format: "qcow2" },
    rebootRequest: opt("rebootA"),
    powerOffMode: opt("powerOffMode"),
    inspectRequest: opt("inspectA"),
    detached: cfg.getBoolean("detachedA"),
    timeouts: { softPowerOff: "20s" },
});
const b = new BareMetalHost(cfg.require("hostB"), {
    bmc: { address: "fake://day-two-b" },
    online: false,
    bootMACAddress: cfg.require("macB"),
    inspectRequest: opt("inspectB"),
});
exports.a = a.nodeUuid;
exports.b = b.nodeUuid;
`;

/** Ironic's log from `offset` on (the conductor logs each power change it made and each provision state change). */
function ironicLogSince(offset: number): string {
    const file = ironicsStartedByThisRun()[0]?.logFile;
    if (!file) throw new Error("this test needs the Ironic the suite's hooks start (its log is read)");
    return fs.readFileSync(file, "utf8").slice(offset);
}
function ironicLogSize(): number {
    return fs.statSync(ironicsStartedByThisRun()[0].logFile).size;
}

describe("day two under the real pulumi engine (fake hardware)", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let stack: TestStack;
    const tag = `${process.pid % 1000}-${Date.now() % 100000}`;
    const hostA = `day2-a-${tag}`;
    const hostB = `day2-b-${tag}`;
    const macA = randomMac("52:54:0d");
    const macB = randomMac("52:54:0d");
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        stack = await TestStack.nodeProgram("day-two", PROGRAM);
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL!);
        for (const [k, v] of Object.entries({ hostA, hostB, macA, macB })) await stack.setConfig(k, v);
        await stack.must(["up", "--yes", "--skip-preview"]);
    });
    after(async () => {
        if (stack) await stack.run(["destroy", "--yes", "--skip-preview"]);
        await client?.close();
    });

    it("rebootRequest: the preview says WILL REBOOT (hard); up reboots through Ironic, no provision state change", async () => {
        const before = await client.getNode(`default~${hostA}`);
        expect(before.provision_state).to.equal("active");
        await stack.setConfig("rebootA", "2026-12-07T21:00");
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(`WILL REBOOT (hard) host default~${hostA}: rebootRequest changed: reboot (hard); ends active, power on`);
        expect(preview).to.not.contain("WILL REPROVISION");
        const from = ironicLogSize();
        const up = said(await stack.must(["up", "--yes", "--skip-preview"]));
        expect(up).to.contain("rebooting (hard; rebootRequest");
        const log = ironicLogSince(from);
        expect(log).to.contain(`Successfully set node ${before.uuid} power state to power on by rebooting`);
        const after = await client.getNode(before.uuid);
        expect(after.provision_state).to.equal("active");
        expect(after.provision_updated_at, "no provision state change").to.equal(before.provision_updated_at);
        expect(after.power_state).to.equal("power on");
        expect(after.extra[EXTRA.reboot]).to.equal("2026-12-07T21:00");
        // Done: the same token asks for nothing more.
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL REBOOT");
    });

    it("powerOffMode soft: the preview says soft; up powers off by Ironic's soft power off, then on", async () => {
        const uuid = (await client.getNode(`default~${hostA}`)).uuid;
        await stack.setConfig("powerOffMode", "soft");
        await stack.setConfig("rebootA", "2026-12-07T21:05");
        expect(said(await stack.must(["preview", "--diff"]))).to.contain(
            `WILL REBOOT (soft) host default~${hostA}: rebootRequest changed: reboot (soft, hard if it does not go off in time)`,
        );
        const from = ironicLogSize();
        await stack.must(["up", "--yes", "--skip-preview"]);
        const log = ironicLogSince(from);
        const off = log.indexOf(`Successfully set node ${uuid} power state to power off by soft power off`);
        const on = log.indexOf(`Successfully set node ${uuid} power state to power on by power on`);
        expect(off, log.slice(-3000)).to.be.greaterThan(-1);
        expect(on, "powered on after the soft power-off").to.be.greaterThan(off);
        expect(log).to.not.contain(`Successfully set node ${uuid} power state to power off by power off`);
        const node = await client.getNode(uuid);
        expect(node.provision_state).to.equal("active");
        expect(node.power_state).to.equal("power on");
    });

    it("inspectRequest on the provisioned host: the preview refuses, naming inspectRequest and why; nothing changes", async () => {
        await stack.setConfig("inspectA", "i1");
        const r = await stack.run(["preview", "--diff"]);
        expect(r.code).to.not.equal(0);
        expect(said(r)).to.contain('inspectRequest "i1": a provisioned host cannot be inspected (Ironic inspects only manageable nodes');
        await stack.must(["config", "rm", "inspectA"]);
    });

    it("inspectRequest on an available host: manage → inspect → provide, said at preview, carried out", async () => {
        const before = await client.getNode(`default~${hostB}`);
        expect(before.provision_state).to.equal("available");
        await stack.setConfig("inspectB", "again-1");
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(`WILL RE-INSPECT host default~${hostB}: inspectRequest changed: manage → inspect → provide; ends available, power off`);
        const from = ironicLogSize();
        await stack.must(["up", "--yes", "--skip-preview"]);
        const after = await client.getNode(before.uuid);
        expect(after.provision_state).to.equal("available");
        expect(after.extra[EXTRA.inspect]).to.equal("again-1");
        expect(after.inspection_finished_at).to.be.a("string").and.not.equal(before.inspection_finished_at);
        expect(ironicLogSince(from)).to.match(new RegExp(`${before.uuid}[^\\n]*inspect`));
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL RE-INSPECT");
    });

    it("detached: true removes the node and touches nothing; refresh keeps the host; detached: false adopts it back under the same UUID without a deploy", async () => {
        const before = await client.getNode(`default~${hostA}`);
        const record = before.extra[EXTRA.deployment];
        await stack.setConfig("detachedA", "true");
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(
            `WILL DETACH host default~${hostA} (no server change): its Ironic node is removed (set-maintenance → delete the Ironic node; ends active, power on)`,
        );
        expect(preview).to.not.match(/WILL (REPROVISION|DEPROVISION)/);
        const from = ironicLogSize();
        await stack.must(["up", "--yes", "--skip-preview"]);
        expect(await client.findNode(before.uuid), "the node is gone from Ironic").to.equal(undefined);
        const detachLog = ironicLogSince(from);
        expect(detachLog).to.not.match(new RegExp(`${before.uuid}[^\\n]*(power off|deleting|cleaning)`));
        // A refresh must not take the missing node for a deleted host.
        await stack.must(["refresh", "--yes", "--skip-preview"]);
        const outs = (await stack.exportState()).json.deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${hostA}`));
        expect(outs.outputs.detached).to.equal(true);
        expect(outs.outputs.ironicProvisionState).to.equal("active");
        expect(outs.outputs.detachedDeploymentRecord).to.equal(record);
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL");
        // An update while detached (a new reboot token) touches no Ironic node and creates none; the
        // state takes the new inputs whole, so the next preview is clean.
        await stack.setConfig("rebootA", "while-detached");
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL");
        await stack.must(["up", "--yes", "--skip-preview"]);
        expect(await client.findNode(before.uuid)).to.equal(undefined);
        expect(await client.findNode(`default~${hostA}`)).to.equal(undefined);
        // `preview --json` lists no step for an unchanged resource (or a "same" one).
        expect((await stack.previewSteps()).get(hostA) ?? "same").to.equal("same");

        await stack.setConfig("detachedA", "false");
        expect(said(await stack.must(["preview", "--diff"]))).to.contain(
            `WILL RE-ATTACH host default~${hostA} (no reprovision): its node is enrolled again under the same UUID: enrol → manage → adopt; ends active, power on`,
        );
        const from2 = ironicLogSize();
        await stack.must(["up", "--yes", "--skip-preview"]);
        const back = await client.getNode(before.uuid);
        expect(back.provision_state).to.equal("active");
        expect(back.power_state).to.equal("power on");
        expect(back.extra[EXTRA.deployment], "the same deployment record").to.equal(record);
        expect(back.extra[EXTRA.reattach]).to.equal(undefined);
        // The token given while detached is recorded at re-enrol, not carried out (no reboot on re-attach).
        expect(back.extra[EXTRA.reboot]).to.equal("while-detached");
        expect(back.instance_info.image_source).to.equal("http://127.0.0.1:1/day-two.qcow2");
        const attachLog = ironicLogSince(from2);
        expect(attachLog).to.match(new RegExp(`${before.uuid}[^\\n]*"adopting"`));
        expect(attachLog, "no deploy ran").to.not.match(new RegExp(`${before.uuid}[^\\n]*"deploying"`));
        expect(attachLog, "no reboot").to.not.contain(`Successfully set node ${before.uuid} power state to power on by rebooting`);
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL");
    });
});
