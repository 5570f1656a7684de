// One unit for timeouts, through the real engine: a stack recorded by a release that read a
// host's `timeouts.create: 30` as minutes and a Machine's `create: 300` as seconds previews with no
// change once the program says "30m" and "5m", `up` is a no-op, and destroy runs under the old
// deadlines; a program still writing plain numbers fails its preview naming the property and the
// duration it meant, before Ironic is touched. (The earlier record is simulated as
// package.test.ts does: today's state, rewritten in the old form and imported.)
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { TestStack } from "./stack";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost, Machine } = require("pulumi-metal3");
const cfg = new pulumi.Config();
const ns = cfg.require("namespace");
const numbers = cfg.getBoolean("numbers");
const host = new BareMetalHost("pool-0", {
    namespace: ns,
    bmc: { address: "fake://timeouts" },
    bootMACAddress: cfg.require("mac"),
    online: false,
    labels: { pool: ns },
    timeouts: numbers ? { create: 30, delete: 30, inspect: 10 } : { create: "30m", delete: "30m", inspect: "10m" },
});
const machine = new Machine("m-0", {
    namespace: ns,
    hostSelector: { matchLabels: { pool: ns } },
    image: { url: "http://images.example/os.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
    timeouts: { create: "5m", delete: "300s", claim: "2m" },
}, { dependsOn: [host] });
exports.host = host.provisioningState;
exports.machineReady = machine.ready;
`;

describe("timeouts: one unit, and stacks of earlier releases migrated without a change", function () {
    this.timeout(900_000);
    let stack: TestStack;
    let client: IronicClient;
    const ns = `tmo-${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
    const b = () =>
        Math.floor(Math.random() * 256)
            .toString(16)
            .padStart(2, "0");
    const mac = `52:54:${b()}:${b()}:${b()}:${b()}`;
    const nodesOf = async () => (await client.listNodes()).filter((n) => String(n.name).startsWith(`${ns}~`));

    before(async () => {
        const tc = await ensureToolchain({ skipKubeApiserver: true });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        stack = await TestStack.inline(
            "timeouts",
            { "Pulumi.yaml": "name: timeouts\nruntime: nodejs\n", "package.json": '{"name":"timeouts","main":"index.js"}', "index.js": PROGRAM },
            "dev",
        );
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL!);
        await stack.setConfig("namespace", ns);
        await stack.setConfig("mac", mac);
        await stack.setOwnerKey(); // the Machine claims the program's own host: keyed under the stack's owner key
    });
    after(async () => {
        if (stack) await stack.run(["destroy", "--yes"]);
        await client?.close();
    });

    it("a program writing plain numbers fails its preview naming the property and the duration it meant", async () => {
        await stack.setConfig("numbers", "true");
        const r = await stack.run(["preview"]);
        expect(r.code).to.not.equal(0);
        expect(r.stdout + r.stderr)
            .to.contain("timeouts.create")
            .and.contain('write "30m"');
        expect(await nodesOf()).to.have.length(0);
        await stack.must(["config", "rm", "numbers"]);
    });

    it("a stack recorded with minutes (host) and seconds (Machine) previews with no change, and up and destroy keep working", async () => {
        await stack.must(["up", "--yes"]);
        expect((await stack.outputs()).machineReady).to.equal(true);

        // Rewrite the record as earlier releases wrote it: numbers, in each resource's old unit.
        const exported = (await stack.exportState()).json;
        const old: Record<string, Record<string, number>> = {
            "pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost": { create: 30, delete: 30, inspect: 10 },
            "pulumi-nodejs:dynamic/pulumi-metal3:Machine": { create: 300, delete: 300, claim: 120 },
        };
        let rewritten = 0;
        for (const r of exported.deployment.resources) {
            if (!old[r.type]) continue;
            r.inputs.timeouts = r.outputs.timeouts = old[r.type];
            rewritten++;
        }
        expect(rewritten).to.equal(2);
        const file = `${stack.dir}/earlier-record.json`;
        require("fs").writeFileSync(file, JSON.stringify(exported));
        await stack.must(["stack", "import", "--file", file]);
        const nodesBefore = (await nodesOf()).map((n) => `${n.uuid} ${n.provision_state} ${n.power_state}`).sort();

        const plan = JSON.parse((await stack.must(["preview", "--json", "--diff"])).stdout);
        const changes = Object.entries(plan.changeSummary ?? {}).filter(([op, n]) => op !== "same" && Number(n) > 0);
        expect(changes, JSON.stringify(plan.changeSummary)).to.deep.equal([]);
        await stack.must(["preview", "--expect-no-changes"]);
        await stack.must(["up", "--yes", "--expect-no-changes"]);
        expect((await nodesOf()).map((n) => `${n.uuid} ${n.provision_state} ${n.power_state}`).sort()).to.deep.equal(nodesBefore);

        // Destroy deletes through the outputs, which still hold the old numbers (read in the old unit).
        await stack.must(["destroy", "--yes"]);
        expect(await nodesOf()).to.have.length(0);
    });
});
