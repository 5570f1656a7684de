// The shared node poller against a real Ironic: many hosts waiting at once (each through its own
// client, as each BareMetalHost operation has its own) cost Ironic about one batched node list
// per tick, counted from Ironic's own request log, not one GET per node per poll; a node that
// fails in the middle of a batch still fails its own wait at once, named, with last_error.

import { expect } from "chai";
import * as fs from "fs";
import { enrolFakeNode, requestLines } from "../../bench/direct";
import { IronicClient, IronicError, Node } from "../../provider/ironic";
import { findFreePort } from "../../local/proc";
import { FEW_NODES_FOR_GETS, LIST_MIN_INTERVAL_MS, POLLER_TICK_MS } from "../../provider/ironic/poller";
import * as wait from "../../provider/ironic/wait";
import { ironicsStartedByThisRun, startExtraIronic } from "../support/hooks";

/** Ironic's logged node reads since `from` (bytes into its log): batched lists and single-node GETs. */
function nodeReads(logFile: string, from: number): { lists: number; gets: number } {
    const text = fs.readFileSync(logFile, "utf8").slice(from);
    return {
        // Ironic 39 logs `ironic.api [req-...] 127.0.0.1 - GET /v1/nodes?... - 200 (12.3ms)`.
        lists: (text.match(/ironic\.api \[[^\]]*\] \S+ - GET \/v1\/nodes\?\S*fields=/g) ?? []).length,
        gets: (text.match(/ironic\.api \[[^\]]*\] \S+ - GET \/v1\/nodes\/[0-9a-f-]{36} - /g) ?? []).length,
    };
}

/** A MAC per test node, unique to this run. */
const RUN_BYTE = Math.floor(Math.random() * 256)
    .toString(16)
    .padStart(2, "0");
const mac = (i: number) => `52:54:5e:${RUN_BYTE}:00:${i.toString(16).padStart(2, "0")}`;

describe("shared node poller against a real Ironic", function () {
    this.timeout(300_000);
    const N = 12;
    let url: string;
    let logFile: string;
    const clients: IronicClient[] = [];
    const created: string[] = [];

    before(async () => {
        // Ironic's own request log is the count: the root hook's Ironic, or one of our own when
        // IRONIC_URL came from the environment (no log to read then).
        const root = ironicsStartedByThisRun().find((r) => r.url === process.env.IRONIC_URL);
        const ironic = root ?? (await startExtraIronic());
        url = ironic.url;
        logFile = ironic.logFile;
        for (let i = 0; i < N + 1; i++) clients.push(await IronicClient.connect({ url, authType: "none" }));
    });
    after(async () => {
        const c = clients[0];
        for (const uuid of created) await c?.deleteNode(uuid).catch(() => undefined);
        for (const c of clients) await c.close();
    });

    it(`${N} hosts waiting at once cost about one node list per tick, not one GET per node per poll`, async () => {
        const tag = Math.random().toString(36).slice(2, 7);
        const nodes = await Promise.all(clients.slice(0, N).map((c, i) => enrolFakeNode(c, `poll-${tag}-${i}`, mac(i))));
        created.push(...nodes.map((n) => n.uuid));
        /** Every host at once through one step (each with its own client); Ironic's node reads and calls meanwhile. */
        const step = async (change: (c: IronicClient, uuid: string) => Promise<void>, waitFor: (c: IronicClient, uuid: string, i: number) => Promise<Node>) => {
            const from = fs.statSync(logFile).size;
            const callsBefore = requestLines(logFile);
            const t0 = Date.now();
            // Every change first, then every wait: "at once" means the waits start together. Chained
            // per node, the waits started as each change returned, and under load the first waiters
            // were few for a tick or two, which the poller serves with a GET of each (by design:
            // FEW_NODES_FOR_GETS), one or two reads over this test's bound (seen in a CI run: 2
            // lists and 23 GETs in 11 ticks).
            await Promise.all(nodes.map((n, i) => change(clients[i], n.uuid)));
            const ends = await Promise.all(nodes.map((n, i) => waitFor(clients[i], n.uuid, i)));
            const elapsed = Date.now() - t0;
            const reads = nodeReads(logFile, from);
            const ticks = Math.ceil(elapsed / POLLER_TICK_MS);
            return {
                ends,
                reads,
                ticks,
                elapsed,
                calls: requestLines(logFile) - callsBefore,
                report: `${N} waits in ${elapsed} ms (${ticks} ticks): ${reads.lists} lists, ${reads.gets} single GETs`,
            };
        };
        const provision = (verb: string, state: string) =>
            step(
                (c, uuid) => c.setProvisionState(uuid, verb as never),
                (c, uuid, i) => c.waitForProvisionState(uuid, state, { timeoutMs: 120_000, label: `host poll~${i}` }),
            );
        const manage = await provision("manage", "manageable");
        // Fake inspection takes a second (TEST_FAKE_DELAYS): forget how long it took before, so
        // each wait would poll its node several times on its own.
        wait.learnedTransitions.set("provision inspecting→manageable", undefined);
        const inspect = await provision("inspect", "manageable");
        console.log(`      inspect: ${inspect.report}`);
        // Batched: at most one look per tick for all hosts together (a list, or a GET when one
        // node was waiting), plus each wait's one GET of its final full node. One GET per node per
        // poll would be several per host here, i.e. about N per tick.
        expect(inspect.reads.lists + inspect.reads.gets - N, inspect.report).to.be.at.most(inspect.ticks + 1);
        // A list of every node is what costs a large shared Ironic: at most one per list interval.
        expect(inspect.reads.lists, inspect.report).to.be.at.most(Math.ceil(inspect.elapsed / LIST_MIN_INTERVAL_MS) + 1);
        const provide = await provision("provide", "available");
        const powerOff = await step(
            (c, uuid) => c.setPowerState(uuid, "power off"),
            (c, uuid, i) => c.waitForPowerState(uuid, "power off", { timeoutMs: 60_000, label: `host poll~${i}` }),
        );
        // The waits returned full nodes (a list row has no driver), where Ironic left them.
        for (const e of provide.ends) expect([e.driver, e.provision_state, e.target_provision_state]).to.deep.equal(["fake-hardware", "available", null]);
        for (const e of powerOff.ends) expect([e.driver, e.power_state, e.target_power_state]).to.deep.equal(["fake-hardware", "power off", null]);
        const all = [manage, inspect, provide, powerOff];
        // More than a few nodes waiting at one tick are listed (the waits started together, above all).
        expect(
            all.reduce((s, x) => s + x.reads.lists, 0),
            all.map((x) => x.report).join("; "),
        ).to.be.greaterThan(0);
        for (const x of all) expect(x.reads.lists, x.report).to.be.at.most(Math.ceil(x.elapsed / LIST_MIN_INTERVAL_MS) + 1);
        const callsPerHost = all.reduce((s, x) => s + x.calls, 0) / N;
        console.log(`      whole lifecycle: ${callsPerHost.toFixed(1)} API calls per host (${all.map((x) => x.report).join("; ")})`);
        // Per host: 4 changes + 4 final GETs, plus its share of the batched looks.
        expect(callsPerHost).to.be.at.most(8 + all.reduce((s, x) => s + x.ticks + 1, 0) / N);
    });

    it(`${FEW_NODES_FOR_GETS} hosts or fewer waiting cost a GET of each, never a list of every node`, async () => {
        const tag = Math.random().toString(36).slice(2, 7);
        const few = await Promise.all(clients.slice(0, FEW_NODES_FOR_GETS).map((c, i) => enrolFakeNode(c, `poll-few-${tag}-${i}`, mac(N + 8 + i))));
        created.push(...few.map((n) => n.uuid));
        const from = fs.statSync(logFile).size;
        await Promise.all(few.map((n, i) => clients[i].setProvisionState(n.uuid, "manage")));
        await Promise.all(few.map((n, i) => clients[i].waitForProvisionState(n.uuid, "manageable", { timeoutMs: 120_000, label: `host few~${i}` })));
        const reads = nodeReads(logFile, from);
        expect(reads.lists, JSON.stringify(reads)).to.equal(0);
        expect(reads.gets, JSON.stringify(reads)).to.be.greaterThan(0);
    });

    it("a node failing in a batch fails its own wait at once, naming it with Ironic's last_error; the others go on", async () => {
        const c = clients[N];
        const tag = Math.random().toString(36).slice(2, 7);
        // Two fake nodes and one whose BMC does not answer (verification falls back to enroll).
        const good = await Promise.all([0, 1].map((i) => enrolFakeNode(c, `poll-ok-${tag}-${i}`, mac(N + i))));
        const bad = await c.createNode({
            name: `poll-bad-${tag}`,
            driver: "ipmi",
            driver_info: { ipmi_address: "127.0.0.1", ipmi_port: await findFreePort(), ipmi_username: "admin", ipmi_password: "not-logged" },
        });
        created.push(...good.map((n) => n.uuid), bad.uuid);
        for (const n of [...good, bad]) await c.setProvisionState(n.uuid, "manage");
        const results = await Promise.allSettled(
            [...good, bad].map((n) => clients[0].waitForProvisionState(n.uuid, "manageable", { timeoutMs: 120_000, label: `host poll~${n.name}` })),
        );
        expect(results.slice(0, 2).map((r) => r.status)).to.deep.equal(["fulfilled", "fulfilled"]);
        const failure = (results[2] as PromiseRejectedResult).reason as IronicError;
        expect(failure).to.be.instanceOf(IronicError);
        expect(failure.message).to.include(`host poll~${bad.name}`).and.include(bad.uuid).and.include('"enroll"');
        expect(failure.lastError, failure.message).to.be.a("string").and.not.equal("");
        expect(failure.message).to.not.include("not-logged");
    });
});
