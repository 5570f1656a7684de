// issue 20 at the provider's level, against the real Ironic: `check` (what `pulumi preview` runs for
// a create) looks at the node `adoptNode` names. Another stack's deployed server is refused on the
// adoptNode property, untouched; with adoptForce the adoption is announced with what it changes,
// and the create then does exactly that. The same through the real engine from the packed
// package: test/e2e/adopt.test.ts.
import { expect } from "chai";
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { bareMetalHostProvider } from "../../sdk/baremetalhost";

const provider = bareMetalHostProvider;
const ns = `adopt-${process.pid % 1000}-${Date.now() % 100000}`;

function server(n: Node) {
    return {
        name: n.name,
        provision_state: n.provision_state,
        power_state: n.power_state,
        instance_info: n.instance_info,
        extra: n.extra,
        updated_at: n.updated_at,
    };
}

/** Runs `f`, returning what it wrote to stderr too. */
async function capture<T>(f: () => Promise<T>): Promise<{ value: T; said: string }> {
    const chunks: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    (process.stderr as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
        chunks.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    try {
        return { value: await f(), said: chunks.join("") };
    } finally {
        (process.stderr as { write: unknown }).write = write;
    }
}

describe("adoptNode at check (preview) and create, against the real Ironic", function () {
    this.timeout(300_000);
    let client: IronicClient;
    const nodes: string[] = [];

    before(async () => {
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        await provider.configure({
            config: { get: (k: string) => (k === "pulumi-metal3:ironicUrl" ? process.env.IRONIC_URL : undefined) },
        } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        for (const id of nodes) {
            if (!(await client.findNode(id))) continue;
            await client.setMaintenance(id, "test clean-up").catch(() => undefined);
            await client.deleteNode(id).catch(() => undefined);
        }
        await client?.close();
    });

    it("another stack's deployed server: refused on adoptNode at check and at create, untouched; with adoptForce announced, then taken as announced", async () => {
        const a = await provider.create({
            name: "web-0",
            namespace: ns,
            bmc: { address: "fake://a" },
            online: true,
            image: { url: "http://images.example/a.iso", format: "live-iso" },
            owner: { stack: "p/team-a", resource: "web-0" },
        });
        nodes.push(a.id);
        const before = server(await client.getNode(a.id));
        expect([before.provision_state, before.power_state]).to.deep.equal(["active", "power on"]);

        const b = { name: "copy", namespace: ns, bmc: { address: "fake://b" }, online: false, adoptNode: a.id, owner: { stack: "p/team-b", resource: "copy" } };
        const checked = await provider.check!({}, b);
        expect(checked.failures?.map((f) => f.property)).to.deep.equal(["adoptNode"]);
        const reason = checked.failures![0].reason;
        expect(reason).to.contain(`host ${ns}~copy`).and.contain(a.id).and.contain("belongs to p/team-a, resource web-0").and.contain("adoptForce: true");
        const refused = await provider.create(b).then(
            () => undefined,
            (e: Error & { id?: string }) => e,
        );
        expect(refused?.message).to.contain("belongs to p/team-a, resource web-0");
        expect(refused?.id, "nothing of it kept in state").to.equal(undefined);
        expect(server(await client.getNode(a.id))).to.deep.equal(before);

        const forced = { ...b, adoptForce: true, externallyProvisioned: true, online: true };
        const { value, said } = await capture(() => provider.check!({}, forced));
        expect(value.failures ?? []).to.deep.equal([]);
        expect(said).to.contain(`adopt node ${a.id}`).and.contain("it takes its owner record (it belongs to p/team-a, resource web-0)");
        expect(said).to.match(/WILL rewrite [^\n]*owner record → p\/team-b/);
        expect(said)
            .to.contain("ends active, power on")
            .and.not.match(/WILL (DE|RE)PROVISION/);
        expect(server(await client.getNode(a.id)), "check changes nothing").to.deep.equal(before);

        await provider.create(forced);
        const after = await client.getNode(a.id);
        expect([after.provision_state, after.power_state]).to.deep.equal(["active", "power on"]);
        expect(after.instance_info).to.deep.equal(before.instance_info);
        expect(after.extra.pulumi_metal3_owner).to.equal("p/team-b");
    });
});
