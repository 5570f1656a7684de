// An interrupted reprovision under the real `pulumi` CLI (file:// backend): the stack reaches
// Ironic through a proxy that cuts the rebuild request on its way, so `pulumi up` fails with the
// old image still on the disk; the preview then says the host will be reprovisioned, and the next
// `pulumi up` does it (the node shows the new image and the new deployment record).
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import { EXTRA } from "../../provider/host/lifecycle";
import { ensureToolchain } from "../../local/toolchain";
import { TestStack } from "../e2e/stack";
import { FlakyProxy, startFlakyProxy } from "../ironic/flaky-proxy";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const host = new BareMetalHost(cfg.require("hostName"), {
    bmc: { address: "fake://plan-engine" },
    online: true,
    bootMACAddress: cfg.require("mac"),
    image: { url: cfg.require("image"), checksum: "0123456789abcdef", format: "qcow2" },
});
exports.uuid = host.nodeUuid;
`;

describe("an interrupted reprovision under the real pulumi engine", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let proxy: FlakyProxy;
    let stack: TestStack;
    const hostName = `plan-engine-${process.pid}`;
    const mac = `52:54:03:${((process.pid >> 8) % 256).toString(16).padStart(2, "0")}:${(process.pid % 256).toString(16).padStart(2, "0")}:${Math.floor(
        Math.random() * 256,
    )
        .toString(16)
        .padStart(2, "0")}`;
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        stack = await TestStack.nodeProgram("plan-engine", PROGRAM);
        // The stack's only way to Ironic is the proxy.
        await stack.setConfig("pulumi-metal3:ironicUrl", proxy.url);
        await stack.setConfig("hostName", hostName);
        await stack.setConfig("mac", mac);
        await stack.setConfig("image", "http://127.0.0.1:1/plan-1.qcow2");
    });
    after(async () => {
        if (stack) await stack.run(["destroy", "--yes", "--skip-preview"]);
        await proxy?.close();
        await client?.close();
    });

    it("the rebuild request is lost: up fails, the preview announces the reprovision, the next up does it", async () => {
        await stack.must(["up", "--yes", "--skip-preview"]);
        const before = await client.getNode(`default~${hostName}`);
        expect(before.provision_state).to.equal("active");
        const fp1 = before.extra[EXTRA.deployment];

        await stack.setConfig("image", "http://127.0.0.1:1/plan-2.qcow2");
        const preview = said(await stack.must(["preview", "--diff"]));
        expect(preview).to.contain(`WILL REPROVISION (wipe) host default~${hostName}: image changed: rebuild`);

        proxy.dropRequests(/^PUT \/v1\/nodes\/[^/]+\/states\/provision /);
        const failed = await stack.run(["up", "--yes", "--skip-preview"]);
        expect(failed.code, said(failed)).to.not.equal(0);
        expect(proxy.dropped).to.equal(1);
        expect(said(failed)).to.contain(`default~${hostName}`);
        let node = await client.getNode(before.uuid);
        expect(node.provision_updated_at, "nothing was deployed").to.equal(before.provision_updated_at);
        expect(String(node.extra[EXTRA.deployment])).to.match(/^pending:/);

        // The state now holds the new inputs (the engine keeps the failed update as partially
        // done); the preview must still say that the host will be wiped.
        const again = said(await stack.must(["preview", "--diff"]));
        expect(again).to.contain(`WILL REPROVISION (wipe) host default~${hostName}`);

        await stack.must(["up", "--yes", "--skip-preview"]);
        node = await client.getNode(before.uuid);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_info.image_source).to.equal("http://127.0.0.1:1/plan-2.qcow2");
        expect(node.provision_updated_at, "rebuilt").to.not.equal(before.provision_updated_at);
        expect(node.extra[EXTRA.deployment])
            .to.be.a("string")
            .and.not.match(/^pending:/)
            .and.not.equal(fp1);
        // Settled: nothing more to do.
        expect(said(await stack.must(["preview", "--diff"]))).to.not.contain("WILL REPROVISION");
    });
});
