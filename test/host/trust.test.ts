// Issue 9 against a real Ironic (fake hardware): a node is ours only if it says so; a host that a
// Machine (possibly another stack's) holds is never wiped; an operator's maintenance is kept;
// hosts with their own image are not for Machines; a Machine is never ready on someone else's
// deployment. The provider's handlers are called as the engine calls them.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { EXTRA } from "../../provider/host/lifecycle";
import { enrolNode } from "../../provider/host/converge";
import { hostSpecFromInputs, PlainHostInputs } from "../../provider/host/desired";
import { createMachine, deleteMachine, readMachine } from "../../provider/machine/converge";
import { DEFAULT_TIMEOUTS_MS, type MachineSpec } from "../../provider/machine/spec";
import { destroyPoolHosts, FAKE_INTERFACES, uniqueTag } from "../machine/pool";
import { setStackOwnerKey } from "../../sdk/owner";

const NS = "trust";
const OWNER = { stack: "trust-project/dev", resource: "worker" };
/** The stack's ownerKey (pulumi-metal3:ownerKey). */
const OWNER_KEY = "7".repeat(64);

/** What an operator would compare before and after: nothing the provider could have touched differs. */
function fingerprint(n: Node) {
    return {
        name: n.name,
        extra: n.extra,
        driver_info: n.driver_info,
        provision_state: n.provision_state,
        power_state: n.power_state,
        maintenance: n.maintenance,
        maintenance_reason: n.maintenance_reason,
        resource_class: n.resource_class,
        updated_at: n.updated_at,
    };
}

async function rejection(p: Promise<unknown>): Promise<Error & { id?: string }> {
    try {
        await p;
    } catch (e) {
        return e as Error & { id?: string };
    }
    throw new Error("expected a refusal, but the call succeeded");
}

describe("trust: ownership, claims and maintenance (real Ironic)", function () {
    this.timeout(600_000);
    let client: IronicClient;
    const nodes: Pick<Node, "uuid">[] = [];
    let seq = 0;
    const host = (prefix: string, extra: Record<string, unknown> = {}) => ({
        name: `${uniqueTag(prefix)}-${++seq}`,
        namespace: NS,
        bmc: { address: "fake://trust" },
        online: false,
        inspectionMode: "disabled",
        bootMACAddress: `52:54:09:${(process.pid % 256).toString(16).padStart(2, "0")}:${(seq % 256).toString(16).padStart(2, "0")}:${Math.floor(
            Math.random() * 256,
        )
            .toString(16)
            .padStart(2, "0")}`,
        owner: OWNER,
        ...extra,
    });
    const handEnrol = async (name: string | undefined, extra: Record<string, unknown> = {}) => {
        const n = await client.createNode({ ...(name ? { name } : {}), driver: "fake-hardware", ...FAKE_INTERFACES, extra } as never);
        nodes.push(n);
        return n;
    };
    const machineSpec = (name: string, hostName: string, image = "http://images.example/m1.qcow2"): MachineSpec => ({
        name,
        namespace: NS,
        digestKey: "test-digest-key",
        host: hostName,
        image: { url: image, checksum: "http://images.example/SHA256SUMS", checksumType: "sha256", format: "qcow2" },
        automatedCleaningMode: "metadata",
        claimOwner: "other-project/prod",
        poolKeys: [OWNER_KEY], // the hosts' stack's key (the Machines' stack here is another: poolOwnerKeys)
        timeouts: { ...DEFAULT_TIMEOUTS_MS, create: 180_000, delete: 180_000 },
    });

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
        // A stack with an ownerKey: its hosts' owner records are keyed under it, and its Machines claim them.
        await provider.configure({
            config: { get: (k: string) => (k === "pulumi-metal3:ownerKey" ? OWNER_KEY : undefined) },
        } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        setStackOwnerKey(undefined);
        await destroyPoolHosts(client, nodes);
        await client.close();
    });

    describe("1. a node is ours only if it says so", () => {
        it("the owner record is in the enrol request: a run killed right after the POST leaves a node the next run takes over", async () => {
            const inputs = host("killed");
            // The killed run had the stack's ownerKey too: its record verifies (its digest key died with it).
            const spec = hostSpecFromInputs(inputs as unknown as PlainHostInputs, {
                apiVersion: client.apiVersion,
                digestKey: "test-digest-key",
                ownerKey: OWNER_KEY,
            });
            const leftBehind = await enrolNode(client, spec); // only the POST, as if the run died here
            nodes.push(leftBehind);
            expect(leftBehind.extra).to.include({ [EXTRA.owner]: OWNER.stack, [EXTRA.resource]: OWNER.resource, [EXTRA.managed]: "true" });
            const created = await provider.create(inputs);
            expect(created.id).to.equal(leftBehind.uuid);
            expect((await client.listNodes()).filter((n) => n.name === `${NS}~${inputs.name}`)).to.have.length(1);
            expect((await client.getNode(created.id)).provision_state).to.equal("available");
        });

        it("a hand-enrolled node with the program's name: create refused, node untouched, the error names the node and adoptNode; adoptNode then takes it over", async () => {
            const inputs = host("hand");
            const hand = await handEnrol(`${NS}~${inputs.name}`);
            const before = fingerprint(await client.getNode(hand.uuid));
            const err = await rejection(provider.create(inputs));
            expect(err.message).to.contain(`Ironic node ${NS}~${inputs.name} (${hand.uuid}`);
            expect(err.message).to.contain("carries no pulumi-metal3 owner record");
            expect(err.message).to.contain(`adoptNode: "${hand.uuid}"`);
            expect(err.id, "a refused node is not recorded in the state").to.equal(undefined);
            expect(fingerprint(await client.getNode(hand.uuid))).to.deep.equal(before);
            expect(await client.listPorts({ node: hand.uuid })).to.deep.equal([]);

            const adopted = await provider.create({ ...inputs, adoptNode: hand.uuid });
            expect(adopted.id).to.equal(hand.uuid);
            const node = await client.getNode(hand.uuid);
            expect(node.extra).to.include({ [EXTRA.owner]: OWNER.stack, [EXTRA.resource]: OWNER.resource });
            expect(node.provision_state).to.equal("available");
        });

        it("a node of another stack, of another resource, or of an earlier version (managed, no owner): refused, untouched, owner named", async () => {
            const cases: Array<[string, Record<string, unknown>, string]> = [
                [
                    "another stack",
                    { [EXTRA.managed]: "true", [EXTRA.owner]: "trust-project/prod", [EXTRA.resource]: OWNER.resource },
                    "belongs to trust-project/prod",
                ],
                [
                    "another resource",
                    { [EXTRA.managed]: "true", [EXTRA.owner]: OWNER.stack, [EXTRA.resource]: "old-name" },
                    `belongs to ${OWNER.stack} (resource old-name)`,
                ],
                ["an earlier version", { [EXTRA.managed]: "true" }, "carries no owner record"],
            ];
            for (const [what, extra, says] of cases) {
                const inputs = host("foreign");
                const other = await handEnrol(`${NS}~${inputs.name}`, extra);
                const before = fingerprint(await client.getNode(other.uuid));
                const err = await rejection(provider.create(inputs));
                expect(err.message, what).to.contain(says);
                expect(err.message, what).to.contain("adoptNode");
                expect(fingerprint(await client.getNode(other.uuid)), what).to.deep.equal(before);
            }
        });

        it("an unnamed node owning the boot MAC is not taken over on a guess: refused before its name is patched", async () => {
            const inputs = host("bymac");
            const unnamed = await handEnrol(undefined);
            await client.createPort({ node_uuid: unnamed.uuid, address: inputs.bootMACAddress });
            const err = await rejection(provider.create(inputs));
            expect(err.message).to.contain(`found by boot MAC ${inputs.bootMACAddress}`);
            expect(err.message).to.contain(`adoptNode: "${unnamed.uuid}"`);
            expect((await client.getNode(unnamed.uuid)).name).to.equal(null);
            expect(await client.findNode(`${NS}~${inputs.name}`)).to.equal(undefined);
        });
    });

    describe("2. a host someone else uses is never wiped", () => {
        it("a host claimed by another stack's Machine: delete refused naming the allocation, its owner and the Machine; machine untouched, power on", async () => {
            const inputs = host("claimed");
            const created = await provider.create(inputs);
            nodes.push({ uuid: created.id });
            const machine = await createMachine(client, machineSpec(`m-${seq}`, inputs.name));
            let node = await client.getNode(created.id);
            expect([node.provision_state, node.power_state]).to.deep.equal(["active", "power on"]);

            const err = await rejection(provider.delete!(created.id, created.outs));
            expect(err.message).to.contain(`Machine ${NS}/m-${seq}`);
            expect(err.message).to.contain(`Ironic allocation ${machine.allocationName}, ${machine.allocationUuid}, owner other-project/prod`);
            expect(err.message).to.contain(`host ${NS}~${inputs.name}`);
            node = await client.getNode(created.id);
            expect([node.provision_state, node.power_state, node.allocation_uuid]).to.deep.equal(["active", "power on", machine.allocationUuid]);
            expect(node.instance_info.image_source).to.equal("http://images.example/m1.qcow2");

            // Machines first, then the host: the whole stack's destroy order works.
            await deleteMachine(client, machine.allocationUuid, machineSpec(`m-${seq}`, inputs.name), () => {}, machine.nodeUuid);
            await provider.delete!(created.id, created.outs);
            expect(await client.findNode(created.id)).to.equal(undefined);
        });

        it("operator maintenance: a label change is applied and the maintenance kept; provisioning fails naming the reason; delete refused", async () => {
            const inputs = host("maint");
            const created = await provider.create(inputs);
            nodes.push({ uuid: created.id });
            await client.setMaintenance(created.id, "replacing a DIMM");

            const relabelled = await provider.update!(created.id, created.outs, { ...inputs, labels: { rack: "r9" } });
            let node = await client.getNode(created.id);
            expect(node.extra[EXTRA.labels]).to.deep.equal({ rack: "r9" });
            expect([node.maintenance, node.maintenance_reason]).to.deep.equal([true, "replacing a DIMM"]);
            expect(relabelled.outs.maintenance).to.equal(true);

            const powerErr = await rejection(
                provider.update!(created.id, relabelled.outs, {
                    ...inputs,
                    labels: { rack: "r9" },
                    online: true,
                    image: { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" },
                }),
            );
            expect(powerErr.message).to.contain('"replacing a DIMM"');
            expect(powerErr.message).to.contain(`baremetal node maintenance unset ${NS}~${inputs.name}`);
            node = await client.getNode(created.id);
            expect([node.provision_state, node.power_state, node.maintenance, node.maintenance_reason]).to.deep.equal([
                "available",
                "power off",
                true,
                "replacing a DIMM",
            ]);

            const delErr = await rejection(provider.delete!(created.id, relabelled.outs));
            expect(delErr.message).to.contain('"replacing a DIMM"');
            expect(await client.findNode(created.id)).to.not.equal(undefined);
            expect((await client.getNode(created.id)).maintenance_reason).to.equal("replacing a DIMM");

            await client.unsetMaintenance(created.id); // the operator is done
            await provider.delete!(created.id, relabelled.outs);
            expect(await client.findNode(created.id)).to.equal(undefined);
        });

        it("a Machine's delete does not clear an operator's maintenance on its host either", async () => {
            const inputs = host("mmaint");
            const created = await provider.create(inputs);
            nodes.push({ uuid: created.id });
            const spec = machineSpec(`mm-${seq}`, inputs.name);
            const machine = await createMachine(client, spec);
            await client.setMaintenance(created.id, "BIOS update");
            const err = await rejection(deleteMachine(client, machine.allocationUuid, spec, () => {}, machine.nodeUuid));
            expect(err.message).to.contain('"BIOS update"');
            const node = await client.getNode(created.id);
            expect([node.provision_state, node.maintenance_reason, node.allocation_uuid]).to.deep.equal(["active", "BIOS update", machine.allocationUuid]);
            await client.unsetMaintenance(created.id);
            await deleteMachine(client, machine.allocationUuid, spec, () => {}, machine.nodeUuid);
        });

        it("a host with its own image (online: false, so it waits available) is not claimable, with the reason", async () => {
            const inputs = host("ownimg", { image: { url: "http://images.example/own.qcow2", checksum: "abc", format: "qcow2" } });
            const created = await provider.create(inputs);
            nodes.push({ uuid: created.id });
            expect((await client.getNode(created.id)).provision_state).to.equal("available");
            const err = await rejection(createMachine(client, machineSpec(`oi-${seq}`, inputs.name)));
            expect(err.message).to.contain(`${NS}/${inputs.name}`);
            expect(err.message).to.contain("carries its own image");
            expect((await client.getNode(created.id)).allocation_uuid).to.equal(null);
        });

        it("a Machine is not ready on a node that is active with someone else's deployment", async () => {
            const inputs = host("foreigndeploy");
            const created = await provider.create(inputs);
            nodes.push({ uuid: created.id });
            const spec = machineSpec(`fd-${seq}`, inputs.name);
            const machine = await createMachine(client, spec);
            expect(machine.ready).to.equal(true);
            // Someone rebuilds the node with another image behind the Machine's back.
            await client.patchNode(created.id, [{ op: "add", path: "/instance_info/image_source", value: "http://elsewhere/other.qcow2" }]);
            const seen = await readMachine(client, machine.allocationUuid, spec);
            expect(seen?.ready).to.equal(false);
            await deleteMachine(client, machine.allocationUuid, spec, () => {}, machine.nodeUuid);
        });
    });
});
