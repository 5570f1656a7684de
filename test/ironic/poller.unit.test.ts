// The shared node poller's batching: pure planning, and the poller itself over an in-memory node
// source that counts what it is asked (the real-Ironic test is in poller.test.ts).

import { expect } from "chai";
import {
    BATCH_FIELDS,
    FEW_NODES_FOR_GETS,
    LIST_COST_FACTOR,
    LIST_MIN_INTERVAL_MS,
    matchBatch,
    nextBatchAt,
    nextListAt,
    NodePoller,
    NodeSource,
    planBatch,
    pollerKey,
} from "../../provider/ironic/poller";
import { Node } from "../../provider/ironic";

const node = (uuid: string, name: string | null = null, provision_state = "manageable") => ({ uuid, name, provision_state }) as Node;

/** Nodes in memory; counts GETs and lists, and which fields lists asked for. */
function countingSource(nodes: Node[]) {
    const calls = { gets: [] as string[], lists: 0, fields: [] as string[][] };
    const source: NodeSource = {
        getNode: async (id) => {
            calls.gets.push(id);
            const n = nodes.find((x) => x.uuid === id || x.name === id);
            if (!n) throw Object.assign(new Error(`node ${id} not found`), { status: 404 });
            return { ...n, driver_info: { full: true } } as Node;
        },
        listNodes: async ({ fields }) => {
            calls.lists++;
            calls.fields.push(fields);
            return nodes.map((n) => ({ ...n }));
        },
    };
    return { source, calls };
}

describe("shared node poller (unit)", () => {
    it("starts a batch after the coalescing window, and no sooner than a tick after the last one started", () => {
        expect(nextBatchAt(1000, undefined, 250, 10)).to.equal(1010);
        expect(nextBatchAt(1000, 900, 250, 10)).to.equal(1150);
        expect(nextBatchAt(1000, 500, 250, 10)).to.equal(1010);
    });

    it("GETs each of a few nodes (a list of every node costs a large shared Ironic more) and lists for more", () => {
        expect(planBatch(["a"])).to.deep.equal({ kind: "gets", ids: ["a"] });
        const few = Array.from({ length: FEW_NODES_FOR_GETS }, (_, i) => `n${i}`);
        expect(planBatch(few)).to.deep.equal({ kind: "gets", ids: few });
        expect(planBatch([...few, "one-more"])).to.deep.equal({ kind: "list" });
    });

    it("spaces lists of every node at least a second apart, and further when the last list was slow", () => {
        expect(nextListAt(undefined, 0)).to.equal(-Infinity);
        expect(nextListAt(10_000, 20)).to.equal(10_000 + LIST_MIN_INTERVAL_MS);
        expect(nextListAt(10_000, 2_000)).to.equal(10_000 + LIST_COST_FACTOR * 2_000);
    });

    it("lists at most once per list interval however many looks keep coming", async () => {
        const nodes = Array.from({ length: 10 }, (_, i) => node(`u${i}`));
        const { source, calls } = countingSource(nodes);
        const poller = new NodePoller(20, 2, 4, 300);
        const t0 = Date.now();
        for (let round = 0; round < 4; round++) await Promise.all(nodes.map((n) => poller.look(n.uuid, source)));
        const took = Date.now() - t0;
        expect(calls.lists).to.equal(4);
        expect(took).to.be.at.least(3 * 300 - 5);
    });

    it("picks the asked nodes out of a list by UUID or name and names the ones it did not show", () => {
        const { found, missing } = matchBatch(["u1", "h2", "gone"], [node("u1"), node("u2", "h2"), node("u3")]);
        expect([...found.keys()]).to.deep.equal(["u1", "h2"]);
        expect(found.get("h2")!.uuid).to.equal("u2");
        expect(missing).to.deep.equal(["gone"]);
    });

    it("answers 20 concurrent looks with one list, and a lone look with one GET of the full node", async () => {
        const nodes = Array.from({ length: 20 }, (_, i) => node(`u${i}`));
        const { source, calls } = countingSource([...nodes, node("other")]);
        const poller = new NodePoller(50, 5);
        const seen = await Promise.all(nodes.map((n) => poller.look(n.uuid, source)));
        expect(calls.lists).to.equal(1);
        expect(calls.gets).to.deep.equal([]);
        expect(calls.fields[0]).to.deep.equal(BATCH_FIELDS);
        expect(seen.map((n) => n.uuid)).to.deep.equal(nodes.map((n) => n.uuid));
        expect(poller.isPartial(seen[0])).to.equal(true);
        // The full node once a wait is over: one GET.
        const full = await poller.complete(seen[3], source);
        expect(full.driver_info).to.deep.equal({ full: true });
        expect(calls.gets).to.deep.equal(["u3"]);

        const lone = await poller.look("u7", source);
        expect(calls.lists).to.equal(1);
        expect(calls.gets).to.deep.equal(["u3", "u7"]);
        expect(poller.isPartial(lone)).to.equal(false);
        expect(await poller.complete(lone, source)).to.equal(lone);
    });

    it("spaces batches a tick apart: looks asked while one runs or within a tick share the next", async () => {
        const { source, calls } = countingSource([node("a"), node("b"), node("c")]);
        const poller = new NodePoller(200, 5, 1, 0);
        const t0 = Date.now();
        await Promise.all([poller.look("a", source), poller.look("b", source)]);
        const second = Promise.all([poller.look("a", source), poller.look("b", source), poller.look("c", source)]);
        await second;
        const took = Date.now() - t0;
        expect(calls.lists).to.equal(2);
        expect(took).to.be.at.least(195);
        expect(poller.stats).to.deep.equal({ batches: 2, lists: 2, gets: 0 });
    });

    it("GETs a node the list did not show, so a missing node fails its own wait only", async () => {
        const { source, calls } = countingSource([node("a"), node("b")]);
        const poller = new NodePoller(50, 5, 1);
        const results = await Promise.allSettled([poller.look("a", source), poller.look("b", source), poller.look("gone", source)]);
        expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "fulfilled", "rejected"]);
        expect((results[2] as PromiseRejectedResult).reason.message).to.match(/node gone not found/);
        expect(calls.lists).to.equal(1);
        expect(calls.gets).to.deep.equal(["gone"]);
    });

    it("rejects every look of a batch whose list failed, and recovers on the next", async () => {
        const { source, calls } = countingSource([node("a"), node("b")]);
        let fail = true;
        const flaky: NodeSource = { getNode: source.getNode, listNodes: (f) => (fail ? Promise.reject(new Error("Ironic unreachable")) : source.listNodes(f)) };
        const poller = new NodePoller(50, 5, 1, 0);
        const failed = await Promise.allSettled([poller.look("a", flaky), poller.look("b", flaky)]);
        expect(failed.every((r) => r.status === "rejected")).to.equal(true);
        fail = false;
        const ok = await Promise.all([poller.look("a", flaky), poller.look("b", flaky)]);
        expect(ok.map((n) => n.uuid)).to.deep.equal(["a", "b"]);
        expect(calls.lists).to.equal(1);
    });

    it("shares a poller only between clients of the same endpoint and credentials, without keeping the secret in clear", () => {
        const base = { url: "http://ironic:6385", authType: "http_basic" as const, username: "u", password: "secret-pw", token: undefined };
        expect(pollerKey(base)).to.equal(pollerKey({ ...base }));
        expect(pollerKey(base)).to.not.equal(pollerKey({ ...base, password: "other" }));
        expect(pollerKey(base)).to.not.equal(pollerKey({ ...base, url: "http://other:6385" }));
        expect(pollerKey(base)).to.not.include("secret-pw");
    });
});
