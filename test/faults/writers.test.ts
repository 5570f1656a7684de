// Faults campaign, two writers: a person at the `baremetal` CLI (the real one) acting on a node
// while the provider works on it, and two runs (two stacks) changing hosts of one pool at once.
// The provider must not fight the operator (maintenance is theirs to lift: the error says how),
// must put back what the program declares (power), and two writers must never claim one host twice.
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import * as machines from "../../sdk/providers/machine";
import type { RunningIronic } from "../../local/ironic";
import { startExtraIronic } from "../support/hooks";
import { destroyPoolHosts, uniqueTag } from "../machine/pool";
import { setStackOwnerKey } from "../../sdk/owner";
import { census, expectDeclared, firstLine, recordRow, rejection, until, faultHostInputs } from "./campaign";

/**
 * An operator at the real `baremetal` CLI, in its interactive shell (started once: the Python
 * client takes seconds to start on a loaded machine, longer than the phases the commands aim at).
 */
class OperatorShell {
    private out = "";
    private constructor(private readonly child: ChildProcessWithoutNullStreams) {
        child.stdout.on("data", (d) => (this.out += d));
        child.stderr.on("data", (d) => (this.out += d));
    }
    static async start(url: string): Promise<OperatorShell> {
        const child = spawn("baremetal", [], { env: { ...process.env, OS_ENDPOINT: url, OS_AUTH_TYPE: "none" } });
        const shell = new OperatorShell(child);
        // One real call first: the client's imports and its first connection are paid before any scenario.
        child.stdin.write("node list --fields uuid\nhelp node list\n");
        await until("the baremetal shell", async () => (/usage: node list/.test(shell.out) ? true : undefined), 180_000, 100);
        return shell;
    }
    /** Types `node <args>`; resolves with what the shell printed once `done` holds (the effect seen in Ironic) or it printed an error. */
    async node(args: string, done: () => Promise<boolean>): Promise<string> {
        const from = this.out.length;
        this.child.stdin.write(`node ${args}\n`);
        return until(
            `baremetal node ${args}`,
            async () => {
                const said = this.out.slice(from);
                if (/error|conflict|locked|not allowed|cannot|can not/i.test(said) || (await done())) return said.trim() || "accepted";
                return undefined;
            },
            60_000,
            100,
        );
    }
    close(): void {
        this.child.stdin.end();
    }
}
const NS = "faults";
const IMAGE = { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" };

describe("faults: two writers (an operator's baremetal CLI, two stacks on one pool)", function () {
    this.timeout(600_000);
    let ironic: RunningIronic;
    let client: IronicClient;
    const tag = uniqueTag("fw");
    let seq = 0;
    let operator: OperatorShell;

    before(async () => {
        // Phases of a few seconds, so the operator's command lands inside them.
        ironic = await startExtraIronic({ fakeDelays: { power: "0", boot: "0", management: "0", bios: "4", inspect: "10", deploy: "4" } });
        client = await IronicClient.connect({ url: ironic.url });
        operator = await OperatorShell.start(ironic.url);
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    afterEach(() => setStackOwnerKey(undefined)); // the pool scenario sets stack A's ownerKey
    after(async () => {
        operator?.close();
        if (client) await destroyPoolHosts(client, (await census(client, tag)).raw);
        await machines.closeClients();
        await client?.close();
    });

    const hostInputs = (what: string, extra: Record<string, unknown> = {}) =>
        faultHostInputs({ tag, what, seq: ++seq, macByte: "0f", stack: "faults/writers", url: ironic.url }, extra);
    const inPhase = (name: string, states: string[]) => async (): Promise<Node | undefined> => {
        const n = await client.findNode(name).catch(() => undefined);
        return n && states.includes(n.provision_state) ? n : undefined;
    };

    it("`baremetal node maintenance set` while the provider inspects the host: the create stops, says whose maintenance and the command to lift it; lifted, the next run converges", async () => {
        const t0 = Date.now();
        const inputs = hostInputs("maint", { inspectionMode: "fast" });
        const creating = provider.create(inputs);
        const caught = await until("inspecting", inPhase(`${NS}~${inputs.name}`, ["inspecting", "inspect wait"]));
        // (The shell splits its line on spaces and knows no quotes: a reason without spaces.)
        const said = await operator.node(
            `maintenance set ${caught.uuid} --reason operator:swapping-a-disk`,
            async () => (await client.getNode(caught.uuid)).maintenance,
        );
        const landed = await client.getNode(caught.uuid);
        expect(landed.maintenance, `the operator's command: ${said}`).to.equal(true);
        expect(landed.provision_state, "the operator's maintenance must land during the inspection (else this scenario tests nothing)").to.be.oneOf([
            "inspecting",
            "inspect wait",
            "manageable",
        ]);
        const err = await rejection(creating, "create with the operator's maintenance");
        expect(err.message).to.contain(`host ${NS}~${inputs.name}`).and.to.contain("operator:swapping-a-disk");
        expect(err.message).to.satisfy(
            (m: string) => m.includes(`baremetal node maintenance unset ${caught.uuid}`) || m.includes(`baremetal node maintenance unset ${NS}~${inputs.name}`),
        );
        // The operator's maintenance is kept while the provider failed.
        expect((await client.getNode(caught.uuid)).maintenance).to.equal(true);
        const before = await census(client, inputs.name);
        await operator.node(`maintenance unset ${caught.uuid}`, async () => !(await client.getNode(caught.uuid)).maintenance);
        await provider.update(err.id ?? caught.uuid, err.properties ?? { ...inputs, nodeUuid: caught.uuid }, inputs);
        const after = await expectDeclared(client, inputs.name, {
            [`${NS}~${inputs.name}`]: { provision: "available", power: "power off", uuid: caught.uuid },
        });
        recordRow("writers", {
            group: "writers",
            fault: "operator: `baremetal node maintenance set`",
            moment: "create: inspection",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: "the operator ran `baremetal node maintenance unset` as the error said; the next `up` converged on the same node",
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("`baremetal node power off` while the provider deploys an online host: the run (or the next) powers it back on", async () => {
        const t0 = Date.now();
        const inputs = hostInputs("poweroff", { online: true, image: IMAGE });
        const creating = provider.create(inputs).then(
            (r) => ({ r, err: undefined }),
            (err: Error & { id?: string; properties?: Record<string, unknown> }) => ({ r: undefined, err }),
        );
        const caught = await until("deploying", inPhase(`${NS}~${inputs.name}`, ["deploying", "wait call-back", "active"]));
        // Ironic may refuse it while the deploy holds the node's lock: the operator tries again, as people do.
        const said: string[] = [];
        await until(
            "the operator's power off accepted",
            async () => {
                const r = await operator.node(
                    `power off ${caught.uuid}`,
                    async () =>
                        (await client.getNode(caught.uuid)).target_power_state === "power off" ||
                        (await client.getNode(caught.uuid)).power_state === "power off",
                );
                said.push(r);
                return r === "accepted" ? true : undefined;
            },
            120_000,
            500,
        );
        const before = await census(client, inputs.name);
        const { r, err } = await creating;
        // Not the operator's maintenance: the program's `online: true` is what the next run puts back.
        if (err) await provider.update(err.id ?? caught.uuid, err.properties ?? { ...inputs, nodeUuid: caught.uuid }, inputs);
        else await provider.update(r!.id, r!.outs, inputs);
        const after = await expectDeclared(client, inputs.name, { [`${NS}~${inputs.name}`]: { provision: "active", power: "power on", uuid: caught.uuid } });
        recordRow("writers", {
            group: "writers",
            fault: "operator: `baremetal node power off`",
            moment: "create: deploy of an online host",
            level: "handlers",
            operatorSaw: err ? firstLine(err) : "",
            recovery: `${err ? "the create failed; " : "the create finished; "}the next \`up\` powered the same node back on (\`online: true\`)`,
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("`baremetal node provide` by the operator racing the provider's own provide: the create goes on from where the node is", async () => {
        const t0 = Date.now();
        const inputs = hostInputs("provide", { automatedCleaningMode: "metadata" });
        const creating = provider.create(inputs).then(
            (r) => ({ r, err: undefined }),
            (err: Error & { id?: string; properties?: Record<string, unknown> }) => ({ r: undefined, err }),
        );
        // The moment the BMC check is done, the operator and the provider both ask for provide.
        const caught = await until("manageable", inPhase(`${NS}~${inputs.name}`, ["manageable"]), 60_000, 20);
        const said = await operator.node(`provide ${caught.uuid}`, async () => (await client.getNode(caught.uuid)).provision_state !== "manageable");
        const before = await census(client, inputs.name);
        const { r, err } = await creating;
        // Whoever's provide won, the create goes on from where the node is: no failure, no second run.
        expect(err, err?.message).to.equal(undefined);
        const after = await expectDeclared(client, inputs.name, {
            [`${NS}~${inputs.name}`]: { provision: "available", power: "power off", uuid: caught.uuid },
        });
        expect(r!.id).to.equal(caught.uuid);
        recordRow("writers", {
            group: "writers",
            fault: "operator: `baremetal node provide`",
            moment: "create: verifying/manageable",
            level: "handlers",
            operatorSaw: err ? firstLine(err) : "",
            recovery: `operator's provide: ${said.split("\n")[0]}; ${err ? "the create failed, the next `up` converged" : "the create finished"} on the same node`,
            before: { nodes: before.nodes, allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("two stacks at once on one pool: one relabels the hosts while the other's Machines claim them: each host claimed once, labels as declared, no leaked claim", async () => {
        const t0 = Date.now();
        const pool = `${tag}-pool`;
        // Stack A declares the pool hosts, under its ownerKey; stack B's Machines name that key (poolOwnerKeys).
        const poolKey = "e".repeat(64);
        setStackOwnerKey(poolKey); // reset by afterEach
        const hosts = await Promise.all([0, 1].map((i) => provider.create(hostInputs(`pool-h${i}`, { labels: { pool } }))));
        const ctx: machines.MachineProviderContext = {};
        const machineInputs = async (i: number) => ({
            ...(
                await machines.check(
                    {},
                    {
                        name: `${pool}-m${i}`,
                        namespace: NS,
                        hostSelector: { matchLabels: { pool } },
                        image: { url: "http://images.example/m.qcow2", checksum: "http://images.example/m.qcow2.sha256", diskFormat: "qcow2" },
                        claimOwner: "faults/stack-b",
                        poolOwnerKeys: [poolKey],
                        ironic: { url: ironic.url, authType: "none" },
                        timeouts: { create: "5m", delete: "5m" },
                    },
                )
            ).inputs,
            __provider: "serialized-provider-code",
        });
        const before = await census(client, pool);
        // At once: stack A adds a label to both hosts (an update run), stack B claims and deploys two Machines.
        const relabel = hosts.map((h, i) => provider.update(h.id, h.outs, hostInputs(`pool-h${i}`, { labels: { pool, rack: "r1" } })));
        const claims = [0, 1].map(async (i) => machines.create(ctx, await machineInputs(i)));
        const results = await Promise.allSettled([...relabel, ...claims]);
        const failures = results.filter((r) => r.status === "rejected").map((r) => firstLine((r as PromiseRejectedResult).reason));
        // A writer that lost a race may fail (clearly); its next run must converge.
        for (const [i, r] of results.slice(0, 2).entries())
            if (r.status === "rejected") await provider.update(hosts[i].id, hosts[i].outs, hostInputs(`pool-h${i}`, { labels: { pool, rack: "r1" } }));
        const made: pulumi.dynamic.CreateResult[] = await Promise.all(
            results
                .slice(2)
                .map(async (r, i) => (r.status === "fulfilled" ? (r.value as pulumi.dynamic.CreateResult) : machines.create(ctx, await machineInputs(i)))),
        );
        expect(new Set(made.map((m) => m.outs!.nodeUuid)).size, "each host claimed once").to.equal(2);
        for (const h of hosts) expect((await client.getNode(h.id)).extra.metal3_labels).to.deep.equal({ pool, rack: "r1" });
        const after = await expectDeclared(
            client,
            pool,
            Object.fromEntries(hosts.map((h) => [h.outs.nodeName, { provision: "active", power: "power on", uuid: h.id }])),
            [0, 1].map((i) => `${NS}~${pool}-m${i}`),
        );
        for (const m of made) await machines.remove(ctx, m.id, m.outs!);
        await expectDeclared(client, pool, Object.fromEntries(hosts.map((h) => [h.outs.nodeName, { provision: "available", power: "power off", uuid: h.id }])));
        recordRow("writers", {
            group: "writers",
            fault: "two stacks at once on one pool",
            moment: "stack A relabels hosts while stack B's Machines claim and deploy them",
            level: "handlers",
            operatorSaw: failures.join(" / "),
            recovery: failures.length ? "the losing writer's next run converged" : "both runs finished: each host claimed once, labels as declared",
            before: { nodes: before.nodes, allocations: before.allocations },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });
});
