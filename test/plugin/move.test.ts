// Moving a stack from the dynamic BareMetalHost to the plugin's metal3:index:BareMetalHost: an
// alias of the old type, and the provisioned, protected host is neither replaced nor touched
// (a replace here would wipe a server).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject } from "./project";

const program = (cls: "dynamic" | "native") => `import * as pulumi from "@pulumi/pulumi";
import { BareMetalHost, native } from "pulumi-metal3";
const cfg = new pulumi.Config();
const args = {
    bmc: { address: "fake://move", password: "bmc-pw-move" },
    online: true,
    bootMACAddress: cfg.require("mac"),
    image: { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" as const },
};
const host = ${
    cls === "dynamic"
        ? `new BareMetalHost(cfg.require("hostName"), args, { protect: true })`
        : `new native.BareMetalHost(cfg.require("hostName"), args, { protect: true, aliases: [{ type: native.DYNAMIC_TYPES.BareMetalHost }] })`
};
export const state = host.provisioningState;
`;

describe("moving a stack from the dynamic BareMetalHost to the plugin", function () {
    this.timeout(900_000);
    let p: PluginProject;
    let client: IronicClient;
    const hostName = `move-${process.pid}`;

    before(async () => {
        const binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        p = PluginProject.create("plugin-move", binDir);
        fs.writeFileSync(path.join(p.dir, "index.ts"), program("dynamic"));
        await p.must(["stack", "init", "dev"]);
        await p.must(["config", "set", "pulumi-metal3:ironicUrl", process.env.IRONIC_URL!]);
        await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
        await p.must(["config", "set", "hostName", hostName]);
        await p.must([
            "config",
            "set",
            "mac",
            `52:54:04:${((process.pid >> 8) % 256).toString(16).padStart(2, "0")}:${(process.pid % 256).toString(16).padStart(2, "0")}:07`,
        ]);
    });
    after(async () => {
        if (p) {
            await p.run(["state", "unprotect", "--all", "--yes"]);
            await p.run(["destroy", "--yes"]);
        }
        await client?.close();
    });

    it("a provisioned, protected host moves with an alias: no replace, the node untouched", async () => {
        await p.must(["up", "--yes"]);
        const before = await client.getNode(`default~${hostName}`);
        expect(before.provision_state).to.equal("active");

        fs.writeFileSync(path.join(p.dir, "index.ts"), program("native"));
        const preview = await p.run(["preview", "--json"]);
        expect(preview.code, preview.out).to.equal(0);
        // The stack and the host are "same" (unchanged steps are counted, not listed).
        const plan = JSON.parse(preview.stdout);
        expect(plan.changeSummary, preview.stdout).to.deep.equal({ same: 2 });

        const up = await p.must(["up", "--yes"]);
        expect(up).to.not.match(/replac/i);
        const state = JSON.parse(await p.must(["stack", "export"]));
        const res = state.deployment.resources.find((r: any) => String(r.urn).endsWith(`::${hostName}`));
        expect(res.type).to.equal("metal3:index:BareMetalHost");
        expect(res.protect).to.equal(true);
        expect(res.id).to.equal(before.uuid);
        const after = await client.getNode(before.uuid);
        expect(after.provision_state).to.equal("active");
        expect(after.instance_info).to.deep.equal(before.instance_info);
        await p.must(["preview", "--expect-no-changes"]);
    });
});
