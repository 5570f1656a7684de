// Faults campaign, the network between the provider and Ironic (test/ironic/flaky-proxy.ts in
// front of the real Ironic; Ironic does the work, the proxy hides, delays or replaces its
// answers): connection resets before and after Ironic acted, 503s before and after forwarding,
// a storm of 409 "node is locked", answers delayed past the client's timeout, and a blackhole.
// Each scenario runs a whole BareMetalHost create through the handlers; short faults must be
// ridden out (one node, no error), long ones must fail naming the host and converge on the next run.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { RETRY_SECONDS_ENV, TIMEOUT_SECONDS_ENV } from "../../provider/ironic/connection";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { FlakyProxy, startFlakyProxy } from "../ironic/flaky-proxy";
import { destroyPoolHosts, uniqueTag } from "../machine/pool";
import { census, expectDeclared, firstLine, recordRow, rejection, faultHostInputs } from "./campaign";

const NS = "faults";
const ENROL = /^POST \/v1\/nodes /;
const PROVISION = /^PUT \/v1\/nodes\/[^/]+\/states\/provision /;
const ANY_NODE_WRITE = /^(PUT|PATCH) \/v1\/nodes\//;

describe("faults: the network between the provider and Ironic (flaky proxy, handlers)", function () {
    this.timeout(600_000);
    let client: IronicClient;
    let proxy: FlakyProxy;
    const saved = { retry: process.env[RETRY_SECONDS_ENV], timeout: process.env[TIMEOUT_SECONDS_ENV] };
    const tag = uniqueTag("fn");
    let seq = 0;

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    afterEach(() => {
        proxy.clearFaults();
        for (const [name, value] of [
            [RETRY_SECONDS_ENV, saved.retry],
            [TIMEOUT_SECONDS_ENV, saved.timeout],
        ] as const) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
        }
    });
    after(async () => {
        if (client) await destroyPoolHosts(client, (await census(client, tag)).raw);
        await proxy?.close();
        await client?.close();
    });

    const hostInputs = (what: string) => faultHostInputs({ tag, what, seq: ++seq, macByte: "0d", stack: "faults/network", url: proxy.url });
    const declaredAvailable = (inputs: Record<string, any>, uuid?: string) => ({
        [`${NS}~${inputs.name}`]: { provision: "available", power: "power off", uuid },
    });

    /** A create through the faulty network that must ride the fault out: one node, as declared, no error. */
    async function ridesItOut(fault: string, moment: string, inject: () => void, spent: () => number, env: Record<string, string> = {}) {
        const t0 = Date.now();
        Object.assign(process.env, env);
        const inputs = hostInputs(fault.split(" ")[0].toLowerCase() + seq);
        const before = await census(client, inputs.name);
        inject();
        const created = await provider.create(inputs);
        expect(spent(), "the fault must actually have hit the create").to.be.greaterThan(0);
        const after = await expectDeclared(client, inputs.name, declaredAvailable(inputs, created.id));
        recordRow("network", {
            group: "network",
            fault,
            moment,
            level: "handlers",
            operatorSaw: "",
            recovery: "ridden out within the create (retried, or the request's effect found in Ironic): one node, as declared",
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    }

    /** A fault longer than the retry window: the create fails naming the host; the next run (update) converges on the same node. */
    async function failsThenConverges(fault: string, moment: string, inject: () => void, says: RegExp, env: Record<string, string>) {
        const t0 = Date.now();
        Object.assign(process.env, env);
        const inputs = hostInputs(fault.split(" ")[0].toLowerCase() + seq);
        const before = await census(client, inputs.name);
        inject();
        const err = await rejection(provider.create(inputs), "create through a long fault");
        expect(err.message).to.contain(`host ${NS}~${inputs.name}`).and.to.match(says);
        proxy.clearFaults();
        const node = await client.findNode(`${NS}~${inputs.name}`);
        const result = err.id
            ? await provider.update(err.id, err.properties!, inputs).then((r) => r.outs!.nodeUuid)
            : await provider.create(inputs).then((r) => r.id);
        if (node) expect(result, "the next run continues on the node the failed one enrolled").to.equal(node.uuid);
        const after = await expectDeclared(client, inputs.name, declaredAvailable(inputs, node?.uuid));
        recordRow("network", {
            group: "network",
            fault,
            moment,
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: `the next \`up\` (${err.id ? "update of the recorded node" : "create again, taking over the node by its owner record"}) converged${node ? " on the same node" : ""}`,
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    }

    it("connection reset after Ironic enrolled the node (its answer lost): the node is found, not enrolled twice", () =>
        ridesItOut(
            "connection reset (after Ironic acted)",
            "enrol (POST /v1/nodes)",
            () => proxy.dropResponses(ENROL, 1),
            () => proxy.dropped,
        ));

    it("connection reset before a provision request reached Ironic: repeated", () =>
        ridesItOut(
            "connection reset (before forwarding)",
            "manage/provide (PUT states/provision)",
            () => proxy.dropRequests(PROVISION, 2),
            () => proxy.dropped,
        ));

    it("503 from a proxy, before forwarding, on provision requests: retried", () =>
        ridesItOut(
            "503 before forwarding (×3)",
            "manage/provide (PUT states/provision)",
            () => proxy.answer503(PROVISION, { count: 3, forward: false }),
            () => proxy.answered503,
        ));

    it("503 after Ironic enrolled the node: the enrol is looked up, not repeated", () =>
        ridesItOut(
            "503 after forwarding",
            "enrol (POST /v1/nodes)",
            () => proxy.answer503(ENROL, { count: 1, forward: true }),
            () => proxy.answered503,
        ));

    it("503 after Ironic acted on a provision request: retried without harm", () =>
        ridesItOut(
            "503 after forwarding (×2)",
            "manage/provide (PUT states/provision)",
            () => proxy.answer503(PROVISION, { count: 2, forward: true }),
            () => proxy.answered503,
        ));

    it("a storm of 409 'node is locked' on every node write: ridden out", () =>
        ridesItOut(
            "409 storm (6 in a row)",
            "every node write (PATCH, PUT)",
            () => proxy.answer409(ANY_NODE_WRITE, 6),
            () => proxy.answered409,
        ));

    it("answers delayed past the client's timeout (enrol): the enrol is looked up, not repeated", () =>
        ridesItOut(
            "answer delayed past the client timeout (4 s > 1.5 s)",
            "enrol (POST /v1/nodes)",
            () => proxy.delayResponses(ENROL, 4000, 1),
            () => proxy.delayed,
            { [TIMEOUT_SECONDS_ENV]: "1.5" },
        ));

    it("answers delayed past the client's timeout (provision requests): repeated", () =>
        ridesItOut(
            "answer delayed past the client timeout (4 s > 1.5 s, ×2)",
            "manage/provide (PUT states/provision)",
            () => proxy.delayResponses(PROVISION, 4000, 2),
            () => proxy.delayed,
            { [TIMEOUT_SECONDS_ENV]: "1.5" },
        ));

    it("a blackhole shorter than the retry window: ridden out", () =>
        ridesItOut(
            "blackhole 4 s (accepts, never answers)",
            "from the first request on",
            () => proxy.blackhole(4000),
            () => proxy.blackholed,
            { [TIMEOUT_SECONDS_ENV]: "1", [RETRY_SECONDS_ENV]: "20" },
        ));

    it("a 409 storm longer than the retry window: the create fails naming the host and the lock; the next run converges", () =>
        failsThenConverges(
            "409 storm longer than the retry window (3 s)",
            "manage (PUT states/provision)",
            () => proxy.answer409(PROVISION, 1000),
            /HTTP 409|locked/,
            { [RETRY_SECONDS_ENV]: "3" },
        ));

    it("a blackhole longer than the retry window: the create fails naming the host; the next run converges", async () => {
        let enrolled = 0;
        // Let the enrol through, then swallow everything: the node exists, the create cannot go on.
        await failsThenConverges(
            "blackhole longer than the retry window (12 s > 3 s)",
            "after enrol",
            () => {
                const hole = setInterval(() => {
                    if (proxy.forwarded.some((l) => ENROL.test(l)) && enrolled++ === 0) {
                        proxy.blackhole(12_000);
                        clearInterval(hole);
                    }
                }, 5);
                proxy.forwarded.length = 0;
            },
            /cannot reach Ironic/,
            { [TIMEOUT_SECONDS_ENV]: "1", [RETRY_SECONDS_ENV]: "3" },
        );
    });
});
