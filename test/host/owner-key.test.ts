// Keyed owner records on hosts (issue 20), against a real Ironic (fake hardware), the provider's
// handlers called as the engine calls them: a plain record anyone can write takes over no deployed
// node; a stack with another ownerKey and the same project/stack/resource names takes no node; a
// create killed after its enrol POST is still resumed (with and without a stack key); a record
// written the old way is keyed by the next update, an Ironic extra patch and nothing else.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { EXTRA } from "../../provider/host/lifecycle";
import { enrolNode } from "../../provider/host/converge";
import { hostSpecFromInputs, newDigestKey, PlainHostInputs } from "../../provider/host/desired";
import { OWNER_MAC_KEY, ownerMac, verifyOwnerMac } from "../../provider/owner-record";
import { setStackOwnerKey } from "../../sdk/owner";
import { destroyPoolHosts, FAKE_INTERFACES, uniqueTag } from "../machine/pool";

const NS = "owner-key";
const OWNER = { stack: "owner-project/prod", resource: "web" };
const KEY_A = "a".repeat(64);
const KEY_B = "b".repeat(64);

/** Everything an operator would compare: nothing the provider could have touched differs. */
function fingerprint(n: Node) {
    return {
        name: n.name,
        extra: n.extra,
        driver_info: n.driver_info,
        instance_info: n.instance_info,
        provision_state: n.provision_state,
        power_state: n.power_state,
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

const configure = (key: string | undefined) =>
    provider.configure({ config: { get: (k: string) => (k === "pulumi-metal3:ownerKey" ? key : undefined) } } as unknown as pulumi.dynamic.ConfigureRequest);

describe("keyed owner records on hosts (real Ironic)", function () {
    this.timeout(600_000);
    let client: IronicClient;
    const nodes: Pick<Node, "uuid">[] = [];
    let seq = 0;
    const host = (prefix: string, extra: Record<string, unknown> = {}) => ({
        name: `${uniqueTag(prefix)}-${++seq}`,
        namespace: NS,
        bmc: { address: "fake://owner-key" },
        online: false,
        inspectionMode: "disabled",
        bootMACAddress: `52:54:0e:${(process.pid % 256).toString(16).padStart(2, "0")}:${(seq % 256).toString(16).padStart(2, "0")}:${Math.floor(
            Math.random() * 256,
        )
            .toString(16)
            .padStart(2, "0")}`,
        owner: OWNER,
        ...extra,
    });
    /** A node deployed (active) by anyone, carrying `extra`: a server with someone's data on its disk. */
    async function deployedNode(name: string, extra: Record<string, unknown>): Promise<Node> {
        const n = await client.createNode({ name, driver: "fake-hardware", ...FAKE_INTERFACES, extra } as never);
        nodes.push(n);
        await client.setProvisionState(n.uuid, "manage");
        await client.waitForProvisionState(n.uuid, "manageable", { timeoutMs: 120_000 });
        await client.setProvisionState(n.uuid, "provide");
        await client.waitForProvisionState(n.uuid, "available", { timeoutMs: 120_000 });
        await client.patchNode(n.uuid, [{ op: "add", path: "/instance_info/image_source", value: "http://images.example/theirs.qcow2" }]);
        await client.setProvisionState(n.uuid, "active");
        await client.waitForProvisionState(n.uuid, "active", { timeoutMs: 120_000 });
        return client.getNode(n.uuid);
    }

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
    });
    afterEach(() => setStackOwnerKey(undefined));
    after(async () => {
        await configure(undefined);
        await destroyPoolHosts(client, nodes);
        await client.close();
    });

    it("a deployed node carrying a forged plain record (right name, stack and resource, no MAC) is not taken over, with or without a stack key", async () => {
        for (const key of [undefined, KEY_A]) {
            await configure(key);
            const inputs = host("forged");
            const planted = await deployedNode(`${NS}~${inputs.name}`, {
                [EXTRA.managed]: "true",
                [EXTRA.owner]: OWNER.stack,
                [EXTRA.resource]: inputs.owner.resource,
            });
            const before = fingerprint(planted);
            const err = await rejection(provider.create(inputs));
            expect(err.message).to.contain(`Ironic node ${NS}~${inputs.name} (${planted.uuid}`);
            expect(err.message).to.contain(`belongs to ${OWNER.stack} (resource ${OWNER.resource}) but its owner record carries no MAC`);
            expect(err.message).to.contain("adoptNode");
            expect(err.id, "a refused node is not recorded in the state").to.equal(undefined);
            expect(fingerprint(await client.getNode(planted.uuid)), `stack key ${key ? "set" : "unset"}`).to.deep.equal(before);
        }
    });

    it("another stack with the same project/stack and resource names but another ownerKey cannot take the node; the owning stack (its state lost) can", async () => {
        await configure(KEY_A);
        const inputs = host("twin");
        const created = await provider.create(inputs);
        nodes.push({ uuid: created.id });
        const node = await client.getNode(created.id);
        expect(verifyOwnerMac([KEY_A], node.extra[OWNER_MAC_KEY], `${NS}~${inputs.name}`, OWNER.stack, OWNER.resource)).to.equal("verified");
        const before = fingerprint(node);

        // Another organisation's backend, the same program and stack names, its own ownerKey.
        await configure(KEY_B);
        const err = await rejection(provider.create(inputs));
        expect(err.message).to.contain(`belongs to ${OWNER.stack} (resource ${OWNER.resource}) but its owner record is keyed under key id`);
        expect(err.message).to.contain("not this stack's ownerKey");
        expect(fingerprint(await client.getNode(created.id))).to.deep.equal(before);
        // Even an adoption by name is refused without adoptForce: the record is not this stack's.
        const adopt = await rejection(provider.create({ ...inputs, adoptNode: created.id }));
        expect(adopt.message).to.contain("its owner record (it belongs to").and.contain("adoptForce");
        expect(fingerprint(await client.getNode(created.id))).to.deep.equal(before);

        // The owning stack, its state lost: the record verifies, the node is taken over (no second node).
        await configure(KEY_A);
        const again = await provider.create(inputs);
        expect(again.id).to.equal(created.id);
    });

    it("a create killed after its enrol POST is resumed: without a stack key only where nothing can be lost", async () => {
        await configure(undefined);
        const inputs = host("killed");
        // The killed run: its enrol POST only, its MAC under its own digest key, which died with it.
        const leftBehind = await enrolNode(
            client,
            hostSpecFromInputs(inputs as unknown as PlainHostInputs, { apiVersion: client.apiVersion, digestKey: newDigestKey() }),
        );
        nodes.push(leftBehind);
        expect(leftBehind.extra[OWNER_MAC_KEY]).to.match(/^hmac-sha256:/);
        const resumed = await provider.create(inputs);
        expect(resumed.id).to.equal(leftBehind.uuid);
        // The record is now keyed under the resource's own key, kept in its state.
        const key = (resumed.outs.secretDigests as { key: string }).key;
        expect(verifyOwnerMac([key], (await client.getNode(resumed.id)).extra[OWNER_MAC_KEY], `${NS}~${inputs.name}`, OWNER.stack, OWNER.resource)).to.equal(
            "verified",
        );

        // The same record (same unknown key) on a deployed node: refused, untouched.
        const deployedInputs = host("killed-deployed");
        const spec = hostSpecFromInputs(deployedInputs as unknown as PlainHostInputs, { apiVersion: client.apiVersion, digestKey: newDigestKey() });
        const deployed = await deployedNode(`${NS}~${deployedInputs.name}`, {
            [EXTRA.managed]: "true",
            [EXTRA.owner]: OWNER.stack,
            [EXTRA.resource]: OWNER.resource,
            [OWNER_MAC_KEY]: ownerMac(spec.ownerKeys!.write, spec.nodeName, OWNER.stack, OWNER.resource),
        });
        const before = fingerprint(deployed);
        const err = await rejection(provider.create(deployedInputs));
        expect(err.message).to.contain("is keyed under key id").and.contain("the node is deployed or claimed");
        expect(fingerprint(await client.getNode(deployed.uuid))).to.deep.equal(before);
    });

    it("migration: a node with the old plain record, in a state without the keyed record, gets the MAC from the next update: an extra patch, provision state and power untouched", async () => {
        await configure(undefined);
        // A deployed, powered-on server: the case where a wrong step would cost a reinstall.
        const inputs = host("migrate", {
            online: true,
            image: { url: "http://images.example/own.qcow2", checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" },
        });
        const created = await provider.create(inputs);
        nodes.push({ uuid: created.id });
        // What the previous release left: the plain record only on the node, no ownerKeyId in the state.
        await client.patchNode(created.id, [{ op: "remove", path: `/extra/${OWNER_MAC_KEY}` }]);
        // And something changed behind the program's back meanwhile: not this update's to touch (its preview did not say so).
        await client.patchNode(created.id, [{ op: "add", path: "/description", value: "set by an operator" }]);
        const old = await client.getNode(created.id);
        expect(old.extra).to.include({ [EXTRA.owner]: OWNER.stack, [EXTRA.resource]: OWNER.resource });
        expect(old.extra[OWNER_MAC_KEY]).to.equal(undefined);
        const { ownerKeyId: _dropped, ...oldDigests } = created.outs.secretDigests as Record<string, unknown>;
        const oldState = { ...created.outs, secretDigests: oldDigests };

        const d = await provider.diff!(created.id, oldState, { ...inputs, __provider: "x" });
        expect(d.changes).to.equal(true);
        const updated = await provider.update!(created.id, oldState, inputs);
        const now = await client.getNode(created.id);
        const key = (updated.outs.secretDigests as { key: string }).key;
        expect(verifyOwnerMac([key], now.extra[OWNER_MAC_KEY], `${NS}~${inputs.name}`, OWNER.stack, OWNER.resource)).to.equal("verified");
        expect(old.provision_state).to.equal("active");
        expect(old.power_state).to.equal("power on");
        expect([now.provision_state, now.power_state, now.target_power_state, now.target_provision_state]).to.deep.equal([
            old.provision_state,
            old.power_state,
            null,
            null,
        ]);
        expect(now.provision_updated_at, "no provisioning step").to.equal(old.provision_updated_at);
        const { [OWNER_MAC_KEY]: _mac, ...extraNow } = now.extra;
        expect(extraNow, "nothing but the MAC added to extra").to.deep.equal(old.extra);
        expect([now.driver_info, now.instance_info, now.description]).to.deep.equal([old.driver_info, old.instance_info, "set by an operator"]);
        // The state now records the key id: the next diff is quiet.
        expect((await provider.diff!(created.id, updated.outs, { ...inputs, __provider: "x" })).changes).to.equal(false);
    });
});
