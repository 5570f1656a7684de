// Faults campaign, Ironic SIGKILLed and restarted on the same database, at the level of the
// providers' handlers (the engine's side, for deploy and delete, is in engine.test.ts): at enrol
// (verifying the BMC), inspection, cleaning, undeploy (delete) and a Machine's claim. Ironic's
// takeover moves nodes caught in `*ing` states to `* failed` or leaves them to finish; the next
// run (update, as the engine runs it for a resource whose create failed) must continue on the
// same node, and a delete run again must finish.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { RETRY_SECONDS_ENV } from "../../provider/ironic/connection";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import * as machines from "../../sdk/providers/machine";
import type { RunningIronic } from "../../local/ironic";
import { startExtraIronic } from "../support/hooks";
import { killIronic, restartIronic } from "../support/ironic-outage";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "../machine/pool";
import { census, expectDeclared, firstLine, recordRow, rejection, until, faultHostInputs } from "./campaign";

const NS = "faults";
const OWNER_STACK = "faults/handlers";
/** Each phase lasts a few seconds, so the kill lands inside it. */
const DELAYS = { power: "0", boot: "0", management: "0", bios: "3", inspect: "3", deploy: "3" };

describe("faults: Ironic killed and restarted, handlers", function () {
    this.timeout(600_000);
    let ironic: RunningIronic;
    let client: IronicClient;
    const savedRetry = process.env[RETRY_SECONDS_ENV];
    const tag = uniqueTag("fk");
    let seq = 0;

    before(async () => {
        ironic = await startExtraIronic({ fakeDelays: DELAYS });
        client = await IronicClient.connect({ url: ironic.url });
        // Give up on the dead Ironic after 2 s instead of a minute.
        process.env[RETRY_SECONDS_ENV] = "2";
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        if (client) await destroyPoolHosts(client, (await census(client, tag)).raw);
        if (savedRetry === undefined) delete process.env[RETRY_SECONDS_ENV];
        else process.env[RETRY_SECONDS_ENV] = savedRetry;
        await machines.closeClients();
        await client?.close();
    });

    const hostInputs = (what: string, extra: Record<string, unknown> = {}) =>
        faultHostInputs({ tag, what, seq: ++seq, macByte: "0b", stack: OWNER_STACK, url: ironic.url }, extra);
    const nodeName = (inputs: Record<string, any>) => `${NS}~${inputs.name}`;
    const inPhase = (name: string, states: string[]) => async (): Promise<Node | undefined> => {
        const n = await client.findNode(name).catch(() => undefined);
        return n && states.includes(n.provision_state) ? n : undefined;
    };

    /** Kill Ironic once the node is in `states`; the failed handler call's error; Ironic back up. */
    async function killDuring(name: string, states: string[], running: Promise<unknown>, what: string) {
        const caught = await until(`${name} in ${states.join("/")}`, inPhase(name, states));
        const before = await census(client, tag);
        await killIronic(ironic);
        const err = await rejection(running, what);
        ironic = await restartIronic(ironic, DELAYS, "faults-ironic");
        const afterTakeover = (await client.getNode(caught.uuid)).provision_state;
        return { caught, err, before, afterTakeover };
    }

    const creates: Array<[string, string[], Record<string, unknown>, { provision: string; power: string }]> = [
        ["enrol/manage (verifying the BMC)", ["verifying"], {}, { provision: "available", power: "power off" }],
        ["inspection", ["inspecting"], { inspectionMode: "fast" }, { provision: "available", power: "power off" }],
        ["cleaning", ["cleaning", "clean wait"], { automatedCleaningMode: "metadata" }, { provision: "available", power: "power off" }],
    ];
    for (const [moment, states, extra, declared] of creates) {
        it(`mid-create, ${moment}: the create fails naming the host; the next run continues on the same node`, async () => {
            const t0 = Date.now();
            const inputs = hostInputs(moment.split(" ")[0].replace("/", ""), extra);
            const { caught, err, before, afterTakeover } = await killDuring(nodeName(inputs), states, provider.create(inputs), "create");
            expect(err.message)
                .to.contain(`host ${nodeName(inputs)}`)
                .and.to.contain("cannot reach Ironic")
                .and.to.contain("run the same pulumi command again");
            expect(err.id, "the engine must keep the node id").to.equal(caught.uuid);
            // The next `up`: the engine updates the resource that failed to initialize.
            const updated = await provider.update(err.id!, err.properties!, inputs);
            expect(updated.outs!.nodeUuid).to.equal(caught.uuid);
            const after = await expectDeclared(client, inputs.name, { [nodeName(inputs)]: { ...declared, uuid: caught.uuid } });
            recordRow("ironic-kill", {
                group: "ironic",
                fault: "Ironic SIGKILLed, restarted on the same database",
                moment: `create: ${moment}`,
                level: "handlers",
                operatorSaw: firstLine(err),
                recovery: `Ironic's takeover left the node \`${afterTakeover}\`; the next \`up\` (update) continued on the same node to \`${declared.provision}\``,
                before: { nodes: before.nodes.filter((n) => n.includes(inputs.name)), allocations: [] },
                after,
                seconds: Math.round((Date.now() - t0) / 1000),
            });
        });
    }

    it("mid-create, deploy (handlers): the next run finishes the deploy on the same node", async () => {
        const t0 = Date.now();
        const inputs = hostInputs("deploy", { online: true, image: { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" } });
        const { caught, err, before, afterTakeover } = await killDuring(nodeName(inputs), ["deploying", "wait call-back"], provider.create(inputs), "create");
        expect(err.message)
            .to.contain(`host ${nodeName(inputs)}`)
            .and.to.contain("cannot reach Ironic")
            .and.to.contain("run the same pulumi command again");
        expect(err.id).to.equal(caught.uuid);
        await provider.update(err.id!, err.properties!, inputs);
        const after = await expectDeclared(client, inputs.name, { [nodeName(inputs)]: { provision: "active", power: "power on", uuid: caught.uuid } });
        recordRow("ironic-kill", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "create: deploy",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: `Ironic's takeover left the node \`${afterTakeover}\`; the next \`up\` (update) deployed it again on the same node to \`active\``,
            before: { nodes: before.nodes.filter((n) => n.includes(inputs.name)), allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("mid-delete (undeploy and cleaning): the delete fails naming the host; run again, it finishes; nothing orphaned", async () => {
        const t0 = Date.now();
        const inputs = hostInputs("undeploy", {
            online: true,
            automatedCleaningMode: "metadata",
            image: { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" },
        });
        const created = await provider.create(inputs);
        const { err, before, afterTakeover } = await killDuring(
            nodeName(inputs),
            ["deleting", "cleaning", "clean wait"],
            provider.delete(created.id, created.outs),
            "delete",
        );
        expect(err.message)
            .to.contain(`host ${nodeName(inputs)}`)
            .and.to.contain("cannot reach Ironic")
            .and.to.contain("run the same pulumi command again");
        // The next `up` (or `destroy`): the engine still holds the resource and deletes it again.
        await provider.delete(created.id, created.outs);
        const after = await expectDeclared(client, inputs.name, {});
        recordRow("ironic-kill", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "delete: undeploy/cleaning",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: `Ironic's takeover left the node \`${afterTakeover}\`; the delete run again finished it: node deleted`,
            before: { nodes: before.nodes.filter((n) => n.includes(inputs.name)), allocations: [] },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });

    it("mid-claim (a Machine's host claimed and deploying): the next run keeps the one claim and finishes", async () => {
        const t0 = Date.now();
        const pool = `${tag}-pool`;
        const hosts = await createPoolHosts(
            client,
            NS,
            [0, 1].map((i) => ({ name: `${pool}-h${i}`, labels: { pool } })),
        );
        const ctx: machines.MachineProviderContext = {};
        const inputs = {
            __provider: "serialized-provider-code",
            name: `${pool}-m0`,
            namespace: NS,
            hostSelector: { matchLabels: { pool } },
            image: { url: "http://images.example/m.qcow2", checksum: "http://images.example/m.qcow2.sha256", diskFormat: "qcow2" },
            ironic: { url: ironic.url, authType: "none" },
            timeouts: { create: "5m", delete: "5m" },
            poolOwnerKeys: [POOL_OWNER_KEY], // the key the fixture pool is enrolled under
        };
        const checked = { ...(await machines.check({}, inputs)).inputs, __provider: inputs.__provider };
        const creating = machines.create(ctx, checked);
        const deploying = async () => (await client.listNodes()).find((n) => String(n.name).includes(pool) && n.provision_state === "deploying");
        const caught = await until("a pool host deploying", deploying);
        const before = await census(client, pool);
        await killIronic(ironic);
        const err = await rejection(creating, "Machine create");
        ironic = await restartIronic(ironic, DELAYS, "faults-ironic");
        const afterTakeover = (await client.getNode(caught.uuid)).provision_state;
        expect(err.message).to.contain(`machine ${NS}/${inputs.name}`).and.to.contain("cannot reach Ironic").and.to.contain("the next update continues");
        expect(err.id, "the claim (allocation) must stay the resource's id").to.be.a("string");
        const updated = await machines.update(ctx, err.id!, err.properties!, checked);
        expect(updated.outs!.nodeUuid).to.equal(caught.uuid);
        expect(updated.outs!.ready).to.equal(true);
        const other = hosts.find((h) => h.uuid !== caught.uuid)!;
        const after = await expectDeclared(
            client,
            pool,
            {
                [caught.name!]: { provision: "active", power: "power on", uuid: caught.uuid },
                [other.name!]: { provision: "available", power: "power off", uuid: other.uuid },
            },
            [`${NS}~${inputs.name}`],
        );
        // And the Machine deleted: the host goes back to the pool, the claim is gone.
        await machines.remove(ctx, err.id!, updated.outs!);
        await expectDeclared(client, pool, {
            [caught.name!]: { provision: "available", power: "power off" },
            [other.name!]: { provision: "available", power: "power off" },
        });
        recordRow("ironic-kill", {
            group: "ironic",
            fault: "Ironic SIGKILLed, restarted on the same database",
            moment: "Machine: claimed host deploying",
            level: "handlers",
            operatorSaw: firstLine(err),
            recovery: `Ironic's takeover left the node \`${afterTakeover}\`; the next \`up\` kept the one claim and deployed the same host; delete released it`,
            before: { nodes: before.nodes, allocations: before.allocations },
            after,
            seconds: Math.round((Date.now() - t0) / 1000),
        });
    });
});
