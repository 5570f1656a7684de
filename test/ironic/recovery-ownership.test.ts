// issue 20, against the real Ironic behind test/ironic/flaky-proxy.ts: a create whose answer is
// lost (a dropped request, a 503 from a proxy) looks the object up by name before repeating
// itself. A node or allocation someone else already has under that name is not this create's
// doing: it must not be handed back as ours (and then taken over), but refused by the ownership
// checks as any name clash is.
import { expect } from "chai";
import { IronicClient, IronicError } from "../../provider/ironic";
import { create } from "../../sdk/providers/host";
import { startFlakyProxy } from "./flaky-proxy";

const FAKE = { driver: "fake-hardware", boot_interface: "fake", deploy_interface: "fake", management_interface: "fake", power_interface: "fake" };

describe("recovery after a lost create keeps the ownership checks (real Ironic, flaky proxy)", function () {
    this.timeout(300_000);
    let client: IronicClient;
    const nodes: string[] = [];
    const allocations: string[] = [];

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        for (const a of allocations) await client.deleteAllocation(a).catch(() => undefined);
        for (const n of nodes) await client.deleteNode(n).catch(() => undefined);
        await client?.close();
    });

    it("a node another stack has under the name: the lost POST is not taken for ours, the host's create is refused and the node untouched", async () => {
        const suffix = Math.random().toString(36).slice(2, 7);
        const theirs = await client.createNode({
            name: `team-a~web-${suffix}`,
            ...FAKE,
            extra: { pulumi_metal3_owner: "other/team-a", pulumi_metal3_resource: `web-${suffix}`, pulumi_metal3_managed: "true" },
        });
        nodes.push(theirs.uuid);
        const proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        try {
            // Client level: the POST never reaches Ironic (a 503 from the proxy), the lookup finds their node.
            const flaky = await IronicClient.connect({ url: proxy.url }, {});
            proxy.answer503(/^POST \/v1\/nodes /, { count: 1, forward: false });
            const err = await flaky
                .createNode({ name: theirs.name!, ...FAKE, extra: { pulumi_metal3_owner: "p/team-b", pulumi_metal3_resource: `web-${suffix}` } })
                .then(
                    () => undefined,
                    (e) => e,
                );
            await flaky.close();
            expect(err, "the other node is not returned as ours").to.be.instanceOf(IronicError);
            expect((err as IronicError).status).to.equal(409);

            // Host level: the same through a BareMetalHost create, the request dropped before Ironic saw it.
            proxy.dropRequests(/^POST \/v1\/nodes /);
            const hostErr = await create(
                {
                    name: `web-${suffix}`,
                    namespace: "team-a",
                    bmc: { address: "fake://x" },
                    online: false,
                    owner: { stack: "p/team-b", resource: `web-${suffix}` },
                },
                { url: proxy.url },
            ).then(
                () => undefined,
                (e) => e as Error,
            );
            expect(hostErr, "the create is refused").to.be.instanceOf(Error);
            expect(hostErr!.message).to.contain(`belongs to other/team-a`).and.contain(theirs.uuid).and.contain("adoptNode");
        } finally {
            await proxy.close();
        }
        const after = await client.getNode(theirs.uuid);
        expect([after.extra, after.updated_at, after.provision_state]).to.deep.equal([theirs.extra, theirs.updated_at, theirs.provision_state]);
    });

    it("an allocation another owner has under the name: a 503 that hid nothing does not hand it back as ours", async () => {
        const name = `team-a~m-${Math.random().toString(36).slice(2, 7)}`;
        const theirs = await client.createAllocation({
            name,
            resource_class: "no-such-class",
            extra: { pulumi_metal3_owner: "other/team-a", pulumi_metal3_machine: "team-a/m" },
        });
        allocations.push(theirs.uuid);
        const proxy = await startFlakyProxy(process.env.IRONIC_URL!);
        const flaky = await IronicClient.connect({ url: proxy.url }, {});
        try {
            proxy.answer503(/^POST \/v1\/allocations /, { count: 1, forward: false });
            const err = await flaky
                .createAllocation({ name, resource_class: "no-such-class", extra: { pulumi_metal3_owner: "p/team-b", pulumi_metal3_machine: "team-a/m" } })
                .then(
                    (a) => a,
                    (e) => e,
                );
            expect(err, "their allocation is not returned as ours").to.be.instanceOf(IronicError);
            expect((err as IronicError).status).to.equal(409);
        } finally {
            await flaky.close();
            await proxy.close();
        }
        expect((await client.getAllocation(theirs.uuid)).extra).to.deep.equal(theirs.extra);
    });
});
