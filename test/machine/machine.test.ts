// The Machine resource end to end against a real Ironic (fake hardware), driving the dynamic
// provider's handlers the way the engine does: check → create; diff → (replace: create new,
// delete old); read (refresh); delete.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { createHash } from "crypto";
import { claimHost } from "../../provider/claim/allocation";
import { OWNER_MAC_KEY, verifyOwnerMac } from "../../provider/owner-record";
import { keyedDigest } from "../../provider/host/desired";
import { legacyMachineSpecHash, machineSpecHash } from "../../provider/machine/spec";
import * as handlers from "../../sdk/providers/machine";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "./pool";

const NS = "machines";
const ctx: handlers.MachineProviderContext = {};
const PROVIDER = { __provider: "serialized-provider-code" }; // the engine passes it along; handlers keep it

/** The dynamic host sends every result through protobuf Struct, which rejects undefined values. */
function survivesStruct<T>(result: T): T {
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
    for (const v of Object.values(result as Record<string, unknown>)) if (v && typeof v === "object") Struct.fromJavaScript(v);
    return result;
}

/** The dynamic host re-adds `__provider` to what check returns, as the engine would see it. */
async function engineCheck(news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const checked = await handlers.check({}, news);
    expect(checked.failures ?? []).to.deep.equal([]);
    return { ...checked.inputs, __provider: news.__provider };
}

describe("Machine resource (real Ironic)", function () {
    let client: IronicClient;
    const created: Node[] = [];

    before(async function () {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
    });
    after(async function () {
        await destroyPoolHosts(client, created);
        await handlers.closeClients();
        await client.close();
    });

    function inputs(tag: string, name: string, image: string, extra: Record<string, unknown> = {}) {
        return {
            ...PROVIDER,
            name,
            namespace: NS,
            hostSelector: { matchLabels: { pool: tag } },
            image: { url: `http://images.example/${image}.qcow2`, checksum: `http://images.example/${image}.qcow2.sha256`, diskFormat: "qcow2" },
            userData: "#cloud-config\nhostname: test\n",
            networkData: { links: [], networks: [], services: [] },
            metaData: { role: "worker" },
            clusterName: "c1",
            labels: { tier: "a" },
            ironic: { url: process.env.IRONIC_URL, authType: "none" },
            timeouts: { create: "5m", delete: "5m" },
            poolOwnerKeys: [POOL_OWNER_KEY], // the key the fixture pool is enrolled under (./pool.ts)
            ...extra,
        };
    }

    it("creates (claim + deploy to active), replaces on image change, releases the old host, deletes", async function () {
        const tag = uniqueTag("life");
        const nodes = await createPoolHosts(
            client,
            NS,
            [0, 1].map((i) => ({ name: `${tag}-h${i}`, labels: { pool: tag } })),
        );
        created.push(...nodes);

        const v1 = inputs(tag, `${tag}-m`, "v1");
        const first = survivesStruct(await handlers.create(ctx, await engineCheck(v1)));
        const out = first.outs!;
        expect(out.ready).to.equal(true);
        expect(out.provisioningState).to.equal("provisioned");
        expect(out.providerID).to.equal(`metal3://${NS}/${out.hostName}/${tag}-m`);
        expect(out.__provider).to.equal(PROVIDER.__provider);
        expect(first.id).to.equal(out.allocationUuid);
        expect(out.addresses).to.deep.equal([]); // fake hardware has no inventory

        let node = await client.getNode(out.nodeUuid);
        expect(node.provision_state).to.equal("active");
        expect(node.instance_uuid).to.equal(first.id);
        expect(node.instance_info.image_source).to.equal("http://images.example/v1.qcow2");
        expect(node.extra.pulumi_metal3_machine).to.equal(`${NS}/${tag}-m`);
        const allocation = await client.getAllocation(first.id);
        expect(allocation.name).to.equal(`${NS}~${tag}-m`);
        expect(allocation.extra.pulumi_metal3_cluster).to.equal("c1");

        // Labels only: an in-place update.
        const relabel = inputs(tag, `${tag}-m`, "v1", { labels: { tier: "b" } });
        expect(await handlers.diff(ctx, first.id, out, relabel)).to.deep.equal({ changes: true });
        const updated = survivesStruct(await handlers.update(ctx, first.id, out, relabel));
        expect(updated.outs!.nodeUuid).to.equal(out.nodeUuid);
        node = await client.getNode(out.nodeUuid);
        expect(node.extra.pulumi_metal3_machine_labels).to.deep.equal({ tier: "b" });
        expect(node.provision_state).to.equal("active");

        // Image change: a replacement; a spare exists, so create-before-delete.
        const v2 = inputs(tag, `${tag}-m`, "v2", { labels: { tier: "b" } });
        const d = await handlers.diff(ctx, first.id, updated.outs!, v2);
        expect(d.changes).to.equal(true);
        expect(d.replaces).to.deep.equal(["image"]);
        expect(d.deleteBeforeReplace).to.equal(false);

        const second = await handlers.create(ctx, await engineCheck(v2));
        expect(second.outs!.ready).to.equal(true);
        expect(second.outs!.nodeUuid).to.not.equal(out.nodeUuid);
        expect(second.outs!.allocationName).to.match(new RegExp(`^${NS}~${tag}-m~[0-9a-f]{12}$`));
        expect((await client.getNode(second.outs!.nodeUuid)).instance_info.image_source).to.equal("http://images.example/v2.qcow2");

        await handlers.remove(ctx, first.id, updated.outs!);
        const released = await client.getNode(out.nodeUuid);
        expect(released.provision_state).to.equal("available");
        expect(released.power_state).to.equal("power off");
        expect(released.instance_uuid).to.equal(null);
        expect(released.allocation_uuid).to.equal(null);
        expect(released.extra.pulumi_metal3_machine).to.equal(undefined);
        expect(await client.findAllocation(first.id)).to.equal(undefined);

        // The pool is full again from the point of view of a new replacement: with no spare
        // left, diff asks for delete-before-replace.
        const v3 = inputs(tag, `${tag}-m`, "v3", { labels: { tier: "b" }, hostSelector: { matchLabels: { pool: tag, only: "none" } } });
        const d3 = await handlers.diff(ctx, second.id, second.outs!, v3);
        expect(d3.replaces).to.include.members(["image", "hostSelector"]);
        expect(d3.deleteBeforeReplace).to.equal(true);

        // Refresh: live state; then the claim disappears out of band → empty id (dropped).
        const refreshed = survivesStruct(await handlers.read(ctx, second.id, second.outs!));
        expect(refreshed.id).to.equal(second.id);
        expect(refreshed.props!.ready).to.equal(true);

        await handlers.remove(ctx, second.id, second.outs!);
        await handlers.remove(ctx, second.id, second.outs!); // idempotent
        const gone = await handlers.read(ctx, second.id, second.outs!);
        expect(gone.id).to.equal("");
        const back = await client.getNode(second.outs!.nodeUuid);
        expect(back.provision_state).to.equal("available");
        expect(back.power_state).to.equal("power off");
    });

    it("fails create without a spare host, naming the selector, and leaves nothing claimed", async function () {
        const tag = uniqueTag("full");
        const nodes = await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }]);
        created.push(...nodes);
        const a = await handlers.create(ctx, inputs(tag, `${tag}-a`, "v1"));
        const err = (await handlers.create(ctx, inputs(tag, `${tag}-b`, "v1")).catch((e: Error) => e)) as Error & { id?: string };
        expect(err.message).to.include(`no host available for machine ${NS}/${tag}-b`);
        expect(err.message).to.include(`selector pool=${tag} in namespace ${NS} matched 1 of`);
        expect(err.message).to.include(`already claimed by allocation ${NS}~${tag}-a`);
        expect(err.id).to.equal(undefined); // not created at all
        expect(await client.findAllocation(`${NS}~${tag}-b`)).to.equal(undefined);
        await handlers.remove(ctx, a.id, a.outs!);
    });

    it("a deploy that does not finish keeps the claim (partial create with id); the next update finishes it", async function () {
        const tag = uniqueTag("partial");
        const nodes = await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }]);
        created.push(...nodes);
        // A deadline the claim meets but not claim + deploy (timeouts.create covers both; the claim
        // takes a fraction of a second, a fake deploy more than a second here).
        const hurried = inputs(tag, `${tag}-m`, "v1", { timeouts: { create: "1500ms" } });
        const err = (await handlers.create(ctx, hurried).catch((e: Error) => e)) as Error & { id?: string; properties?: Record<string, any> };
        expect(err).to.be.instanceOf(Error);
        expect(err.message).to.include(`machine ${NS}/${tag}-m claimed host ${NS}/${tag}-h0`);
        expect(err.message).to.include("the deploy did not finish");
        expect(err.id).to.be.a("string");
        expect(err.properties!.__provider).to.equal(PROVIDER.__provider);
        expect(err.properties!.nodeUuid).to.equal(nodes[0].uuid);
        survivesStruct({ properties: err.properties });
        const held = await client.getNode(nodes[0].uuid);
        expect(held.instance_uuid).to.equal(err.id); // still claimed: never orphaned, never lost

        // The engine then runs update ("continue awaiting initialization"): diff also asks for it.
        const patient = inputs(tag, `${tag}-m`, "v1");
        const d = await handlers.diff(ctx, err.id!, { ...err.properties!, ready: false }, patient);
        expect(d.changes).to.equal(true);
        expect(d.replaces ?? []).to.deep.equal([]); // timeouts are not a replacing property
        const done = await handlers.update(ctx, err.id!, err.properties!, patient);
        expect(done.outs!.ready).to.equal(true);
        expect(done.outs!.nodeUuid).to.equal(nodes[0].uuid);

        await handlers.remove(ctx, err.id!, done.outs!);
        const back = await client.getNode(nodes[0].uuid);
        expect(back.provision_state).to.equal("available");
        expect(back.instance_uuid).to.equal(null);
    });

    it("a host deprovisioned out of band: refresh drops the Machine, delete still cleans up the host", async function () {
        const tag = uniqueTag("oob");
        const nodes = await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }]);
        created.push(...nodes);
        const m = await handlers.create(ctx, await engineCheck(inputs(tag, `${tag}-m`, "v1")));
        expect(m.outs!.ready).to.equal(true);

        // Someone runs `baremetal node undeploy`: Ironic destroys the allocation with the tear-down.
        await client.setProvisionState(nodes[0].uuid, "deleted");
        await client.waitForProvisionState(nodes[0].uuid, "available", { timeoutMs: 120_000 });
        expect(await client.findAllocation(m.id)).to.equal(undefined);
        const stale = await client.getNode(nodes[0].uuid);
        expect(stale.extra.pulumi_metal3_machine).to.equal(`${NS}/${tag}-m`); // our owner record is still there

        const refreshed = await handlers.read(ctx, m.id, m.outs!);
        expect(refreshed.id).to.equal(""); // refresh drops it; the next up creates it again

        // A destroy without refresh still leaves the host clean: owner record removed, powered off.
        await client.setPowerState(nodes[0].uuid, "power on");
        await client.waitForPowerState(nodes[0].uuid, "power on", { timeoutMs: 60_000 });
        await handlers.remove(ctx, m.id, m.outs!);
        const clean = await client.getNode(nodes[0].uuid);
        expect(clean.extra.pulumi_metal3_machine).to.equal(undefined);
        expect(clean.power_state).to.equal("power off");
        expect(clean.provision_state).to.equal("available");
    });

    it("automatedCleaningMode disabled: delete undeploys without cleaning", async function () {
        const tag = uniqueTag("noclean");
        const nodes = await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }]);
        created.push(...nodes);
        const m = await handlers.create(ctx, await engineCheck(inputs(tag, `${tag}-m`, "v1", { automatedCleaningMode: "disabled" })));
        expect(m.outs!.ready).to.equal(true);
        await handlers.remove(ctx, m.id, m.outs!);
        const node = await client.getNode(nodes[0].uuid);
        expect(node.automated_clean).to.equal(false);
        expect(node.provision_state).to.equal("available");
        expect(node.instance_uuid).to.equal(null);
    });

    // The spec hash a Machine records on its allocation covers the user data, so it is a keyed
    // HMAC whose key lives only in the resource's state (issue 9 §4): a reader of the allocation
    // cannot test a user-data guess against it. Allocations recorded by older releases (an
    // unkeyed sha256) are recognised once and re-recorded keyed.
    const HASH_KEY = "pulumi_metal3_spec_hash";
    /** Every unkeyed value a reader could compute from a user-data guess (and the spec, which the node shows). */
    function unkeyed(i: Record<string, unknown>): string[] {
        return [createHash("sha256").update(String(i.userData)).digest("hex"), legacyMachineSpecHash(handlers.machineSpec(i, "any"))];
    }

    it("create records a keyed HMAC: not sha256(userData), not the unkeyed spec hash; only the state's key reproduces it", async function () {
        const tag = uniqueTag("keyed");
        created.push(...(await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }])));
        const i = inputs(tag, `${tag}-m`, "v1");
        const res = await handlers.create(ctx, i);
        const allocation = await client.getAllocation(res.id);
        const stored = String(allocation.extra[HASH_KEY]);
        expect(stored).to.match(/^hmac-sha256:[0-9a-f]{12}:[0-9a-f]{64}$/);
        for (const h of unkeyed(i)) {
            expect(stored).to.not.contain(h);
            expect(String(allocation.name)).to.not.contain(h);
        }
        // The key is in the state (a secret output), not in Ironic.
        const key = res.outs!.specDigestKey as string;
        expect(key).to.match(/^[0-9a-f]{64}$/);
        expect(JSON.stringify(allocation)).to.not.contain(key);
        expect(JSON.stringify(await client.getNode(res.outs!.nodeUuid))).to.not.contain(key);
        expect(stored).to.equal(machineSpecHash(handlers.machineSpec(i, key)));
        // A reader guessing the user data right, without the key, does not get the stored value.
        expect(keyedDigest("guessed key", "machine-spec", "anything")).to.not.equal(stored);
        await handlers.remove(ctx, res.id, res.outs!);
    });

    it("an allocation an older release recorded (unkeyed hash) is recognised once by create, then re-recorded keyed", async function () {
        const tag = uniqueTag("legacy-create");
        created.push(
            ...(await createPoolHosts(
                client,
                NS,
                [0, 1].map((n) => ({ name: `${tag}-h${n}`, labels: { pool: tag } })),
            )),
        );
        const i = inputs(tag, `${tag}-m`, "v1");
        // What an older release left behind: its claim, under the unkeyed hash (its run was interrupted).
        const old = await claimHost(client, {
            namespace: NS,
            selector: { matchLabels: { pool: tag } },
            poolKeys: [POOL_OWNER_KEY],
            owner: { namespace: NS, machine: `${tag}-m`, specHash: legacyMachineSpecHash(handlers.machineSpec(i, "any")) },
            allocationTimeoutMs: 60_000,
        });
        const res = await handlers.create(ctx, i);
        expect(res.id).to.equal(old.allocation.uuid); // recognised: the same claim, no second host
        expect(res.outs!.nodeUuid).to.equal(old.node.uuid);
        const stored = String((await client.getAllocation(res.id)).extra[HASH_KEY]);
        expect(stored).to.match(/^hmac-sha256:/);
        for (const h of unkeyed(i)) expect(stored).to.not.equal(h);
        await handlers.remove(ctx, res.id, res.outs!);
    });

    it("a Machine in state from before keyed hashes (no key in state): the next update re-records the hash keyed", async function () {
        const tag = uniqueTag("legacy-update");
        created.push(...(await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }])));
        const i = inputs(tag, `${tag}-m`, "v1");
        const res = await handlers.create(ctx, i);
        // Make it look as an older release left it: unkeyed hash on the allocation, no key in state.
        const legacy = legacyMachineSpecHash(handlers.machineSpec(i, "any"));
        await client.patchAllocation(res.id, [{ op: "add", path: `/extra/${HASH_KEY}`, value: legacy }]);
        const { specDigestKey: _dropped, ...oldState } = res.outs!;
        const news = { ...i, labels: { tier: "b" } };
        const updated = await handlers.update(ctx, res.id, oldState, news);
        const key = updated.outs!.specDigestKey as string;
        expect(key).to.match(/^[0-9a-f]{64}$/);
        const stored = String((await client.getAllocation(res.id)).extra[HASH_KEY]);
        expect(stored).to.not.equal(legacy);
        expect(stored).to.match(/^hmac-sha256:/);
        // A second update under that key changes nothing more.
        await handlers.update(ctx, res.id, updated.outs!, news);
        expect(String((await client.getAllocation(res.id)).extra[HASH_KEY])).to.equal(stored);
        await handlers.remove(ctx, res.id, updated.outs!);
    });

    it("a claim with the plain owner record of an earlier release gets its keyed owner record at the next update: an extra patch, the host untouched", async function () {
        const tag = uniqueTag("owner-mac");
        created.push(...(await createPoolHosts(client, NS, [{ name: `${tag}-h0`, labels: { pool: tag } }])));
        const i = { ...inputs(tag, `${tag}-m`, "v1"), claimOwner: "machines-project/prod" };
        const res = await handlers.create(ctx, i);
        const allocation = await client.getAllocation(res.id);
        const key = res.outs!.specDigestKey as string;
        const verdict = (mac: unknown) => verifyOwnerMac([key], mac, `${NS}~${tag}-m`, "machines-project/prod", `${NS}/${tag}-m`);
        expect(verdict(allocation.extra[OWNER_MAC_KEY]), "written by the claim itself").to.equal("verified");
        // As the earlier release left it: the plain record only.
        await client.patchAllocation(res.id, [{ op: "remove", path: `/extra/${OWNER_MAC_KEY}` }]);
        const nodeBefore = await client.getNode(res.outs!.nodeUuid as string);
        await handlers.update(ctx, res.id, res.outs!, { ...i, labels: { tier: "b" } });
        expect(verdict((await client.getAllocation(res.id)).extra[OWNER_MAC_KEY])).to.equal("verified");
        const nodeAfter = await client.getNode(nodeBefore.uuid);
        expect([nodeAfter.provision_state, nodeAfter.power_state, nodeAfter.provision_updated_at, nodeAfter.instance_info]).to.deep.equal([
            nodeBefore.provision_state,
            nodeBefore.power_state,
            nodeBefore.provision_updated_at,
            nodeBefore.instance_info,
        ]);
        await handlers.remove(ctx, res.id, res.outs!);
    });
});
