// Issue 9 under the real `pulumi` CLI (file:// backend), with test/host/trust-program: two stacks
// of one program share an Ironic as two teams would ("pool" declares hosts, "machines" claims
// them), and an operator works on the nodes with the `baremetal` CLI meanwhile.
import { expect } from "chai";
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { ensureToolchain } from "../../local/toolchain";
import { REPO_ROOT, TestStack } from "../e2e/stack";
import { destroyPoolHosts, uniqueTag } from "../machine/pool";

const PROGRAM = path.join(REPO_ROOT, "test", "host", "trust-program");
const NS = "trust-engine";
const IMAGE = "http://images.example/own.qcow2";

/** The operator's tool, as they would run it. */
async function baremetal(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)("baremetal", ["--os-endpoint", process.env.IRONIC_URL as string, ...args], {
        env: { ...process.env, OS_AUTH_TYPE: "none" },
    });
    return stdout.trim();
}

function untouched(n: Node) {
    return {
        name: n.name,
        extra: n.extra,
        driver_info: n.driver_info,
        provision_state: n.provision_state,
        power_state: n.power_state,
        updated_at: n.updated_at,
    };
}

describe("trust under the real pulumi engine: claimed hosts, hand-enrolled nodes, operator maintenance", function () {
    this.timeout(900_000);
    let client: IronicClient;
    let pool: TestStack;
    let machines: TestStack;
    const tag = uniqueTag("tr");
    const leftovers: Pick<Node, "uuid">[] = [];
    const hosts = (list: object[]) => pool.setConfig("hosts", JSON.stringify(list));

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        pool = await TestStack.create(PROGRAM, "pool");
        machines = await pool.sibling("machines");
        for (const s of [pool, machines]) {
            await s.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
            await s.setConfig("namespace", NS);
            await s.setConfig("pool", tag);
        }
        // The pool team's owner key, made as the README says; the machines team is given it (as a
        // StackReference's secret output would give it) to claim the pool's hosts.
        await pool.setOwnerKey();
        const poolKey = (await pool.must(["config", "get", "pulumi-metal3:ownerKey"])).stdout.trim();
        await machines.setConfig("poolOwnerKey", poolKey, { secret: true });
    });
    after(async function () {
        for (const s of [machines, pool]) if (s) await s.run(["destroy", "--yes"]);
        if (client) {
            await destroyPoolHosts(client, leftovers);
            await client.close();
        }
    });

    it("a host claimed by the other stack's Machine, dropped from its pool stack: removal and destroy refused, machine untouched, power on", async () => {
        const h = `${tag}-claimed`;
        await hosts([{ name: h, labels: { pool: tag } }]);
        await pool.must(["up", "--yes", "--skip-preview"]);
        await machines.setConfig("machines", "1");
        await machines.must(["up", "--yes", "--skip-preview"]);
        const before = await client.getNode(`${NS}~${h}`);
        expect([before.provision_state, before.power_state]).to.deep.equal(["active", "power on"]);
        const allocation = (await client.listAllocations()).find((a) => a.node_uuid === before.uuid)!;
        expect(allocation.name).to.equal(`${NS}~machines-m0`);

        // The pool team drops the host from its program.
        await hosts([]);
        const removed = await pool.run(["up", "--yes", "--skip-preview"]);
        const said = removed.stdout + removed.stderr;
        expect(removed.code, said).to.not.equal(0);
        expect(said).to.contain(`Machine ${NS}/machines-m0`);
        expect(said).to.contain(`Ironic allocation ${NS}~machines-m0, ${allocation.uuid}, owner trust/machines`);
        const destroyed = await pool.run(["destroy", "--yes", "--skip-preview"]);
        expect(destroyed.code, destroyed.stdout + destroyed.stderr).to.not.equal(0);
        const after = await client.getNode(before.uuid);
        expect([after.provision_state, after.power_state, after.allocation_uuid]).to.deep.equal(["active", "power on", allocation.uuid]);
        expect(after.instance_info.image_source).to.equal("http://images.example/machine.qcow2");

        // Machines first, then the pool: both stacks go away cleanly.
        await machines.must(["destroy", "--yes", "--skip-preview"]);
        await pool.must(["destroy", "--yes", "--skip-preview"]);
        expect(await client.findNode(before.uuid)).to.equal(undefined);
    });

    it("a hand-enrolled node with the program's name: create refused, node untouched, the error names adoptNode", async () => {
        const h = `${tag}-hand`;
        const uuid = await baremetal("node", "create", "--driver", "fake-hardware", "--name", `${NS}~${h}`, "-f", "value", "-c", "uuid");
        leftovers.push({ uuid });
        const before = untouched(await client.getNode(uuid));
        await hosts([{ name: h }]);
        const r = await pool.run(["up", "--yes", "--skip-preview"]);
        const said = r.stdout + r.stderr;
        expect(r.code, said).to.not.equal(0);
        expect(said).to.contain(`Ironic node ${NS}~${h} (${uuid}`);
        expect(said).to.contain(`adoptNode: "${uuid}"`);
        expect(untouched(await client.getNode(uuid))).to.deep.equal(before);
        const state = await pool.exportState();
        expect(state.text, "the refused node is not in the stack's state").to.not.contain(uuid);

        // The explicit takeover works, and records this stack as the owner.
        await hosts([{ name: h, adoptNode: uuid }]);
        await pool.must(["up", "--yes", "--skip-preview"]);
        const adopted = await client.getNode(uuid);
        expect(adopted.extra).to.include({ pulumi_metal3_owner: "trust/pool", pulumi_metal3_resource: h });
        expect(adopted.provision_state).to.equal("available");
        await hosts([]);
        await pool.must(["up", "--yes", "--skip-preview"]);
    });

    it("operator maintenance during an unrelated update: the label change is applied and the maintenance kept; a power change fails naming the reason", async () => {
        const h = `${tag}-maint`;
        await hosts([{ name: h, online: true, image: IMAGE, labels: { rack: "r1" } }]);
        await pool.must(["up", "--yes", "--skip-preview"]);
        const node = `${NS}~${h}`;
        expect((await client.getNode(node)).provision_state).to.equal("active");
        await baremetal("node", "maintenance", "set", node, "--reason", "replacing a fan");

        await hosts([{ name: h, online: true, image: IMAGE, labels: { rack: "r2" } }]);
        await pool.must(["up", "--yes", "--skip-preview"]);
        let n = await client.getNode(node);
        expect(n.extra.metal3_labels).to.deep.equal({ rack: "r2" });
        expect([n.maintenance, n.maintenance_reason, n.power_state]).to.deep.equal([true, "replacing a fan", "power on"]);

        await hosts([{ name: h, online: false, image: IMAGE, labels: { rack: "r2" } }]);
        const r = await pool.run(["up", "--yes", "--skip-preview"]);
        const said = r.stdout + r.stderr;
        expect(r.code, said).to.not.equal(0);
        expect(said).to.contain('"replacing a fan"');
        expect(said).to.contain(`baremetal node maintenance unset ${node}`);
        n = await client.getNode(node);
        expect([n.maintenance, n.maintenance_reason, n.power_state, n.provision_state]).to.deep.equal([true, "replacing a fan", "power on", "active"]);

        await baremetal("node", "maintenance", "unset", node); // the operator is done
        await pool.must(["up", "--yes", "--skip-preview"]);
        expect((await client.getNode(node)).power_state).to.equal("power off");
    });
});
