// issue 20: `adoptNode` naming another team's deployed server (a copy-paste mistake), through the
// real engine from the packed package installed outside the repository. Stack "team-a" deploys a
// host (live ISO, `active`); stack "team-b" of the same program declares a host with
// `adoptNode: <that node>` and no image. The server must stay exactly as team A left it, and B's
// preview and up must fail naming the host, the node, its owner and what to do; with `adoptForce`
// the preview announces the adoption and what it changes, and the up does only that.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { packedProgram } from "./packed";
import { TestStack } from "./stack";

const PROGRAM = `// Hosts as stack config says: [{ name, online?, image?, adoptNode?, adoptForce?, externallyProvisioned? }].
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3");
const config = new pulumi.Config();
const namespace = config.require("namespace");
const hosts = JSON.parse(config.get("hosts") || "[]").map(
  (h) =>
    new BareMetalHost(h.name, {
      namespace,
      bmc: { address: "fake://adopt-" + h.name },
      online: h.online === true,
      ...(h.image ? { image: { url: h.image, format: "live-iso" } } : {}),
      ...(h.adoptNode ? { adoptNode: h.adoptNode } : {}),
      ...(h.adoptForce ? { adoptForce: true } : {}),
      ...(h.externallyProvisioned ? { externallyProvisioned: true } : {}),
      timeouts: { create: "5m", update: "5m", delete: "5m" },
    }),
);
exports.nodes = hosts.map((h) => h.nodeUuid);
`;
const PROJECT = "adopt-teams";
const ISO = "http://images.example/team-a-live.iso";

/** What team A's server is: anything B's run could change. */
function server(n: Node) {
    return {
        name: n.name,
        provision_state: n.provision_state,
        power_state: n.power_state,
        instance_info: n.instance_info,
        extra: n.extra,
        driver_info: n.driver_info,
        maintenance: n.maintenance,
        updated_at: n.updated_at,
    };
}

describe("e2e: adoptNode naming another stack's deployed server (packed package, real engine)", function () {
    this.timeout(900_000);
    const ns = `adopt${Math.random().toString(36).slice(2, 7)}`;
    let workDir: string | undefined;
    let client: IronicClient;
    let a: TestStack;
    let b: TestStack;
    let uuid: string;

    before(async function () {
        this.timeout(3600_000);
        const packed = await packedProgram("pm3-adopt-e2e", {
            "Pulumi.yaml": `name: ${PROJECT}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
            "index.js": PROGRAM,
        });
        workDir = packed.workDir;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        a = await TestStack.init(packed.programDir, "team-a", path.join(workDir, "backend"));
        b = await a.sibling("team-b");
        for (const s of [a, b]) {
            await s.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
            await s.setConfig("namespace", ns);
        }
    });

    after(async function () {
        this.timeout(900_000);
        let clean = true;
        for (const s of [b, a]) if (s) clean = (await s.run(["destroy", "--yes", "--skip-preview"])).code === 0 && clean;
        const left = client ? (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~`)) : [];
        for (const n of left) await client.request("DELETE", `/v1/nodes/${n.uuid}`).catch(() => undefined);
        if (client) await client.close();
        if (workDir && clean) fs.rmSync(workDir, { recursive: true, force: true });
    });

    it("team A deploys its server (live ISO, active, powered on)", async () => {
        await a.setConfig("hosts", JSON.stringify([{ name: "web-0", online: true, image: ISO }]));
        await a.must(["up", "--yes", "--skip-preview"]);
        const node = await client.getNode(`${ns}~web-0`);
        expect([node.provision_state, node.power_state]).to.deep.equal(["active", "power on"]);
        expect(node.instance_info.boot_iso ?? node.instance_info.image_source).to.equal(ISO);
        expect(node.extra.pulumi_metal3_owner).to.equal(`${PROJECT}/team-a`);
        uuid = node.uuid;
    });

    it("team B's host naming that node with no image: preview and up fail naming host, node, owner and adoptForce; the server is untouched", async () => {
        const before = server(await client.getNode(uuid));
        await b.setConfig("hosts", JSON.stringify([{ name: "copy", adoptNode: uuid }]));
        for (const cmd of [["preview"], ["up", "--yes", "--skip-preview"]]) {
            const r = await b.run(cmd);
            const said = r.stdout + r.stderr;
            expect(r.code, said).to.not.equal(0);
            expect(said, cmd[0]).to.contain(`host ${ns}~copy`);
            expect(said, cmd[0]).to.contain(uuid);
            expect(said, cmd[0]).to.contain(`belongs to ${PROJECT}/team-a, resource web-0`);
            expect(said, cmd[0]).to.contain("adoptForce: true");
            expect(said, cmd[0]).to.not.match(/deprovisioning|adopting existing Ironic node/);
            expect(server(await client.getNode(uuid)), `after ${cmd[0]}`).to.deep.equal(before);
        }
        const held = ((await b.exportState()).json.deployment.resources ?? []).filter((r: any) => r.id === uuid);
        expect(held, "B's state holds no resource of the node").to.deep.equal([]);
    });

    it("with adoptForce (and externallyProvisioned) the preview says what the adoption changes, and up does only that", async () => {
        const before = server(await client.getNode(uuid));
        await b.setConfig("hosts", JSON.stringify([{ name: "copy", adoptNode: uuid, adoptForce: true, externallyProvisioned: true, online: true }]));
        const preview = await b.must(["preview"]);
        const said = preview.stdout + preview.stderr;
        expect(said).to.contain(`adopt node ${uuid}`);
        expect(said).to.contain(`it takes its owner record (it belongs to ${PROJECT}/team-a, resource web-0)`);
        expect(said).to.match(/WILL rewrite [^\n]*owner record → adopt-teams\/team-b/);
        expect(said).to.not.match(/WILL (DE|RE)PROVISION/);
        expect(said).to.contain("ends active, power on");
        expect(server(await client.getNode(uuid)), "after preview").to.deep.equal(before);

        await b.must(["up", "--yes", "--skip-preview"]);
        const after = await client.getNode(uuid);
        // Taken over as announced: owner record, name and BMC registration rewritten; the server
        // itself (provision state, power, what is deployed) stays as team A left it.
        expect([after.provision_state, after.power_state, after.maintenance]).to.deep.equal(["active", "power on", false]);
        expect(after.instance_info).to.deep.equal(before.instance_info);
        expect(after.extra.pulumi_metal3_owner).to.equal(`${PROJECT}/team-b`);
        expect(after.extra.pulumi_metal3_deployment).to.equal(before.extra.pulumi_metal3_deployment);
        expect(after.name).to.equal(`${ns}~copy`);
        const out = await b.outputs();
        expect(out.nodes).to.deep.equal([uuid]);
    });
});
