// Pool membership is verified (issue 20): a Machine claims only hosts whose keyed owner record
// verifies under a key it holds (provider/owner-record.ts, claim/candidates.ts poolVerdict).
// Against a real Ironic: hosts planted with every marker anyone can write (the `<ns>~` name,
// extra.pulumi_metal3_managed, the labels, the plain owner strings) are never claimed, and the
// "no host" error says which were skipped and why.
import { expect } from "chai";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { claimHost, NoHostAvailableError, releaseClaim, type ClaimRequest } from "../../provider/claim/allocation";
import { OWNER_MAC_KEY } from "../../provider/owner-record";
import { createPoolHost, destroyPoolHosts, FAKE_INTERFACES, POOL_OWNER_KEY, poolOwnerRecord, uniqueTag } from "./pool";

const NS = "pool-trust";
/** Another stack's key: same project and stack names as the pool's, another backend. */
const OTHER_KEY = "0".repeat(63) + "1";

describe("Machine claims only verified pool hosts (real Ironic)", function () {
    this.timeout(600_000);
    let client: IronicClient;
    const nodes: Pick<Node, "uuid">[] = [];

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
    });
    after(async () => {
        await destroyPoolHosts(client, nodes);
        await client.close();
    });

    /** A node planted by any Ironic writer: every public marker of a pool host, `extra` as given, taken to available + power off. */
    async function plant(name: string, tag: string, record: Record<string, unknown>): Promise<Node> {
        const node = await client.createNode({
            name: `${NS}~${name}`,
            driver: "fake-hardware",
            resource_class: "baremetal",
            extra: { metal3_labels: { pool: tag }, pulumi_metal3_managed: "true", ...record },
            ...FAKE_INTERFACES,
        });
        nodes.push(node);
        await client.setProvisionState(node.uuid, "manage");
        await client.waitForProvisionState(node.uuid, "manageable", { timeoutMs: 120_000 });
        await client.setProvisionState(node.uuid, "provide");
        await client.waitForProvisionState(node.uuid, "available", { timeoutMs: 120_000 });
        await client.setPowerState(node.uuid, "power off");
        return client.waitForPowerState(node.uuid, "power off", { timeoutMs: 120_000 });
    }

    const request = (machine: string, tag: string, poolKeys: string[]): ClaimRequest => ({
        namespace: NS,
        selector: { matchLabels: { pool: tag } },
        poolKeys,
        owner: { namespace: NS, machine, specHash: "s1", owner: "machines/prod" },
        allocationTimeoutMs: 60_000,
    });

    it("planted hosts (plain owner strings, a copied MAC, another stack's key) are never claimed; the error names them and why", async () => {
        const tag = uniqueTag("pt");
        const genuine = await createPoolHost(client, NS, { name: `${tag}-real`, labels: { pool: tag } });
        nodes.push(genuine);
        const realRecord = poolOwnerRecord(`${NS}~${tag}-real`, `${tag}-real`);
        // The right project/stack and resource strings, no MAC: what the plain record of earlier releases was, and what anyone can write.
        const plain = await plant(`${tag}-plain`, tag, { pulumi_metal3_owner: realRecord.pulumi_metal3_owner, pulumi_metal3_resource: `${tag}-plain` });
        // The genuine host's whole record copied onto another node: the MAC is bound to the genuine node's name.
        const copied = await plant(`${tag}-copied`, tag, realRecord);
        // Enrolled by another stack of the same project/stack name (another backend, another key).
        const foreign = await plant(`${tag}-foreign`, tag, poolOwnerRecord(`${NS}~${tag}-foreign`, `${tag}-foreign`, OTHER_KEY));
        const planted = [plain, copied, foreign];
        const before = await Promise.all(planted.map((n) => client.getNode(n.uuid)));

        const first = await claimHost(client, request(`${tag}-m0`, tag, [POOL_OWNER_KEY]));
        expect(first.node.uuid).to.equal(genuine.uuid);
        const err = (await claimHost(client, request(`${tag}-m1`, tag, [POOL_OWNER_KEY])).catch((e: Error) => e)) as Error;
        expect(err).to.be.instanceOf(NoHostAvailableError);
        expect(err.message).to.include("3 more host(s) it matched were skipped as unverified");
        expect(err.message).to.include(`${NS}/${tag}-plain (node ${plain.uuid}): its owner record has no MAC`);
        expect(err.message).to.include(`${NS}/${tag}-copied (node ${copied.uuid}): its owner record's MAC does not verify`);
        expect(err.message).to.include(`${NS}/${tag}-foreign (node ${foreign.uuid}): its owner record is keyed under a key this Machine does not hold`);
        expect(err.message).to.include("pulumi-metal3:ownerKey").and.include("poolOwnerKeys");
        // Nothing happened to the planted nodes: no allocation, no image, same state.
        for (const [i, n] of planted.entries()) {
            const now = await client.getNode(n.uuid);
            expect([now.provision_state, now.allocation_uuid, now.instance_uuid, now.updated_at]).to.deep.equal([
                before[i].provision_state,
                null,
                null,
                before[i].updated_at,
            ]);
        }
        await releaseClaim(client, first.allocation.uuid);
    });

    it("a Machine holding only the other stack's key claims that stack's host, never the pool's of the same project/stack name", async () => {
        const tag = uniqueTag("pk");
        const ours = await createPoolHost(client, NS, { name: `${tag}-ours`, labels: { pool: tag } });
        nodes.push(ours);
        const theirs = await plant(`${tag}-theirs`, tag, poolOwnerRecord(`${NS}~${tag}-theirs`, `${tag}-theirs`, OTHER_KEY));
        expect(theirs.extra[OWNER_MAC_KEY]).to.match(/^hmac-sha256:/);
        const claim = await claimHost(client, request(`${tag}-m0`, tag, [OTHER_KEY]));
        expect(claim.node.uuid).to.equal(theirs.uuid);
        const none = (await claimHost(client, request(`${tag}-m1`, tag, [OTHER_KEY])).catch((e: Error) => e)) as Error;
        expect(none).to.be.instanceOf(NoHostAvailableError);
        expect(none.message).to.include(`${NS}/${tag}-ours (node ${ours.uuid}): its owner record is keyed under a key this Machine does not hold`);
        expect((await client.getNode(ours.uuid)).allocation_uuid).to.equal(null);
        await releaseClaim(client, claim.allocation.uuid);
    });

    it("a Machine without any key claims nothing, and says it holds no key", async () => {
        const tag = uniqueTag("pn");
        const host = await createPoolHost(client, NS, { name: `${tag}-h0`, labels: { pool: tag } });
        nodes.push(host);
        const err = (await claimHost(client, request(`${tag}-m0`, tag, [])).catch((e: Error) => e)) as Error;
        expect(err).to.be.instanceOf(NoHostAvailableError);
        expect(err.message).to.include("this Machine holds no key at all");
        expect((await client.getNode(host.uuid)).allocation_uuid).to.equal(null);
    });
});
