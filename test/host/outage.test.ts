// An Ironic that becomes unreachable in the middle of a BareMetalHost create, at the level of the
// provider's handlers (the engine's side is test/e2e/outage.test.ts): what the failed create hands
// the engine, what the next preview's diff makes of it, and that update and delete work from it.
// Ironic is real; a TCP proxy in front of it stands in for the network (or Ironic) going away.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { RETRY_SECONDS_ENV } from "../../provider/ironic/connection";
import { bareMetalHostProvider as provider } from "../../sdk/baremetalhost";
import { FlakyProxy, startFlakyProxy } from "../ironic/flaky-proxy";
import { startExtraIronic, TEST_FAKE_DELAYS } from "../support/hooks";

const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));

/** What the dynamic-provider host reads from a handler's error (cmd/dynamic-provider grpcResponseFromError). */
interface EngineError extends Error {
    id?: string;
    properties?: Record<string, any>;
    reasons?: string[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

describe("BareMetalHost: Ironic unreachable in the middle of a create (handlers)", function () {
    this.timeout(300_000);
    let client: IronicClient;
    let proxy: FlakyProxy;
    const savedRetry = process.env[RETRY_SECONDS_ENV];
    const name = `outage-${process.pid % 10000}-${Date.now() % 100000}`;
    const mac = `52:54:03:${(process.pid % 256).toString(16).padStart(2, "0")}:${(Date.now() % 256).toString(16).padStart(2, "0")}:01`;

    before(async () => {
        // Deploys long enough to cut the line in the middle of one.
        const ironic = await startExtraIronic({ fakeDelays: { ...TEST_FAKE_DELAYS, deploy: "5" } });
        client = await IronicClient.connect({ url: ironic.url });
        proxy = await startFlakyProxy(ironic.url);
        // Give up on an unreachable Ironic after 2 s instead of the default minute.
        process.env[RETRY_SECONDS_ENV] = "2";
        await provider.configure({ config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest);
    });
    after(async () => {
        if (savedRetry === undefined) delete process.env[RETRY_SECONDS_ENV];
        else process.env[RETRY_SECONDS_ENV] = savedRetry;
        await proxy?.close();
        await client?.close();
    });

    it("the failed create hands the engine the node and the inputs; diff plans an update; update finishes on the same node; delete works from the partial state", async () => {
        const inputs: Record<string, unknown> = {
            name,
            bmc: { address: "fake://outage", password: "bmc-pw-do-not-leak" },
            online: true,
            bootMACAddress: mac,
            inspectionMode: "disabled",
            automatedCleaningMode: "disabled",
            image: { url: "http://127.0.0.1:1/os.qcow2", checksum: "0123456789abcdef", format: "qcow2" },
            userData: "#cloud-config\npassword: userdata-do-not-leak\n",
            ironic: { url: proxy.url },
            // The dynamic host passes its serialized provider along with the inputs.
            __provider: "exports.handler = () => ({})",
        };
        const creating = provider.create(inputs).then(
            () => undefined,
            (e: EngineError) => e,
        );
        const deploying = await until("the node to be deploying", async () => {
            const n = await client.findNode(`default~${name}`);
            return n?.provision_state === "deploying" ? n : undefined;
        });
        await proxy.cut();
        const t0 = Date.now();
        const err = await creating;
        expect(err, "create must fail while Ironic is unreachable").to.be.instanceOf(Error);
        // Given up after the (shortened) retry window, without waiting it out again to re-read the node.
        expect(Date.now() - t0).to.be.below(20_000);
        expect(err!.message).to.contain(`host default~${name}`).and.to.contain("cannot reach Ironic");
        // A plain error: nothing gRPC could misread as a status code.
        expect((err as unknown as { code?: unknown }).code).to.equal(undefined);

        // Init failure: the node id, and properties the engine records as the host's state.
        expect(err!.id).to.equal(deploying.uuid);
        const props = err!.properties!;
        expect(() => Struct.fromJavaScript(props)).to.not.throw();
        expect(props.__provider, "without __provider the engine can neither update nor delete").to.equal(inputs.__provider);
        expect(props.name).to.equal(name);
        expect(props.bmc).to.deep.equal({ address: "fake://outage" });
        expect(props.image).to.deep.equal(inputs.image);
        expect(props.ironic).to.deep.equal({ url: proxy.url });
        expect(props.nodeUuid).to.equal(deploying.uuid);
        expect(props.provisioningState, "the disk was being written").to.equal("provisioning");
        expect(props.secretDigests.key, "the resource's digest key (a secret output)").to.be.a("string");
        expect(props.secretDigests.bmcPassword).to.be.a("string");
        expect(JSON.stringify(props)).to.not.contain("bmc-pw-do-not-leak").and.to.not.contain("userdata-do-not-leak");
        expect(err!.reasons).to.deep.equal([err!.message]);

        // The next preview: the same program is no replace, and no change to any input (the engine
        // still runs an update, because the resource failed to initialize).
        const planned = (await provider.diff(err!.id!, props, inputs)) as pulumi.dynamic.DiffResult & { changed: string[] };
        expect(planned.replaces).to.deep.equal([]);
        expect(planned.changed).to.deep.equal([]);

        // Ironic back at the same address: update continues on the same node, without redeploying.
        await proxy.restore();
        const updated = await provider.update(err!.id!, props, inputs);
        expect(updated.outs!.nodeUuid).to.equal(deploying.uuid);
        expect(updated.outs!.provisioningState).to.equal("provisioned");
        expect(updated.outs!.secretDigests).to.deep.equal(props.secretDigests);
        const nodes = (await client.listNodes()).filter((n) => n.name === `default~${name}`);
        expect(nodes.map((n) => n.uuid)).to.deep.equal([deploying.uuid]);

        // Delete from the thinnest partial state there is (what older versions recorded): only the id.
        await provider.delete(deploying.uuid, { __provider: inputs.__provider, ironic: { url: proxy.url } });
        expect(await client.findNode(deploying.uuid)).to.equal(undefined);
    });

    it("an update that changed nothing before Ironic went away keeps the previous state (plain error, no partial state)", async () => {
        await proxy.cut();
        try {
            const news = { name: `${name}-old`, bmc: { address: "fake://x" }, online: false, description: "new", ironic: { url: proxy.url } };
            const olds = { ...news, description: "old", secretDigests: { salt: "s" }, __provider: "p" };
            const err = (await provider.update("11111111-2222-3333-4444-555555555555", olds, news).then(
                () => undefined,
                (e: EngineError) => e,
            )) as EngineError;
            expect(err).to.be.instanceOf(Error);
            expect(err.message).to.contain("cannot reach Ironic");
            expect(err.id, "nothing was done: the engine keeps the old state and the next preview still shows the change").to.equal(undefined);
        } finally {
            await proxy.restore();
        }
    });
});
