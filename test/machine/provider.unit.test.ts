// The Machine's Pulumi glue without Ironic: check (validation naming the property, the preview
// sentinel accepted), diff (replace vs update, unknowns), spec defaults.
import { expect } from "chai";
import { UNKNOWN } from "../../sdk/schemas/common";
import { check, diff, diffInputs, machineSpec } from "../../sdk/providers/machine";
import { durationMs, providerId } from "../../provider/machine/spec";
import { specHash } from "../../provider/claim/allocation";
import { foreignDeployment, machineReady } from "../../provider/machine/lifecycle";

const base = {
    name: "worker-0",
    namespace: "prod",
    hostSelector: { matchLabels: { role: "worker" } },
    image: { url: "http://img/v1.qcow2", checksum: "http://img/v1.qcow2.sha256", diskFormat: "qcow2" },
    userData: "#cloud-config\n",
};

async function failures(news: Record<string, unknown>) {
    return ((await check({}, news)).failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

describe("Machine check", function () {
    it("accepts valid inputs and strips nothing but __provider", async function () {
        const res = await check({}, { ...base, __provider: "code" });
        expect(res.failures ?? []).to.deep.equal([]);
        expect(res.inputs).to.deep.equal(base);
    });

    it("names the failing property", async function () {
        expect(await failures({ ...base, image: { url: "http://img/x.qcow2" } })).to.deep.equal([
            "image.checksum: checksum is required unless diskFormat is live-iso or the URL is oci://",
        ]);
        expect(await failures({ ...base, host: "h1" })).to.deep.equal(["host: set either host or hostSelector, not both"]);
        expect(await failures({ name: "m" })).to.deep.equal(["image: image or customDeploy is required"]);
        expect(await failures({ ...base, hostSelector: { matchExpressions: [{ key: "zone", operator: "In" }] } })).to.deep.equal([
            "hostSelector.matchExpressions.0.values: operator In needs at least one value",
        ]);
        expect((await failures({ ...base, hostSelector: { matchExpressions: [{ key: "zone", operator: "Near", values: ["a"] }] } }))[0]).to.match(
            /^hostSelector\.matchExpressions\.0/,
        );
        expect(await failures({ ...base, automatedCleaningMode: "always" })).to.have.length(1);
        expect((await failures({ ...base, automatedCleaningMode: "always" }))[0]).to.match(/^automatedCleaningMode: /);
        expect((await failures({ ...base, timeouts: { create: "soon" } }))[0]).to.match(/^timeouts\.create/);
        expect((await failures({ ...base, colour: "red" }))[0]).to.match(/Unrecognized key.*colour/);
        expect((await failures({ ...base, name: "Worker_0" }))[0]).to.match(/^name: /);
    });

    it("accepts the preview sentinel anywhere a value is expected", async function () {
        expect(await failures({ ...base, image: UNKNOWN, userData: UNKNOWN })).to.deep.equal([]);
        expect(await failures({ ...base, image: { url: UNKNOWN, checksum: UNKNOWN } })).to.deep.equal([]);
        expect(await failures({ ...base, hostSelector: { matchLabels: { role: UNKNOWN } } })).to.deep.equal([]);
        expect(await failures({ ...base, hostSelector: { matchExpressions: [{ key: "z", operator: "In", values: UNKNOWN }] } })).to.deep.equal([]);
        expect(await failures({ ...base, ironic: UNKNOWN, namespace: UNKNOWN })).to.deep.equal([]);
    });
});

describe("Machine diff", function () {
    const outs = { ...base, hostName: "h1", ready: true, nodeUuid: "n1", __provider: "old" };

    it("no change: no diff, whatever the outputs and __provider", async function () {
        expect(await diff({}, "id", outs, { ...base, __provider: "new" })).to.deep.equal({ changes: false });
    });

    it("what touches the disk or the host choice replaces; the rest updates", function () {
        for (const [key, value] of Object.entries({
            image: { url: "http://img/v2.qcow2", checksum: "c" },
            userData: "#cloud-config\nx: 1\n",
            networkData: { links: [] },
            metaData: { a: "b" },
            hostSelector: { matchLabels: { role: "cp" } },
            host: "h2",
            failureDomain: "b",
            namespace: "other",
            customDeploy: { method: "m" },
        })) {
            expect(diffInputs(outs, { ...base, [key]: value }).replaces, key).to.deep.equal([key]);
        }
        for (const [key, value] of Object.entries({
            labels: { a: "b" },
            description: "x",
            clusterName: "c2",
            claimOwner: "proj/other",
            automatedCleaningMode: "disabled",
            timeouts: { create: "10m" },
            ironic: { url: "http://other:6385" },
        })) {
            const d = diffInputs(outs, { ...base, [key]: value });
            expect(d.changed, key).to.deep.equal([key]);
            expect(d.replaces, key).to.deep.equal([]);
        }
    });

    it("unknown at preview: replace when the property forces one, update otherwise", function () {
        expect(diffInputs(outs, { ...base, image: UNKNOWN }).replaces).to.deep.equal(["image"]);
        expect(diffInputs(outs, { ...base, image: { ...base.image, url: UNKNOWN } }).replaces).to.deep.equal(["image"]);
        const d = diffInputs(outs, { ...base, description: UNKNOWN });
        expect(d).to.deep.equal({ changed: ["description"], replaces: [] });
    });

    it("object key order does not make a change", function () {
        const reordered = { ...base, image: { diskFormat: "qcow2", checksum: base.image.checksum, url: base.image.url } };
        expect(diffInputs(outs, reordered).changed).to.deep.equal([]);
    });

    it("pinned to the host it already holds: delete before replace", async function () {
        const pinned = { ...base, hostSelector: undefined, host: "h1" };
        const d = await diff({}, "id", { ...outs, hostSelector: undefined, host: "h1" }, { ...pinned, image: { url: "http://img/v2", checksum: "c" } });
        expect(d).to.deep.equal({ changes: true, replaces: ["image"], deleteBeforeReplace: true });
    });

    it("a Machine that is not ready (failed deploy, deprovisioned out of band) converges through update", async function () {
        expect(await diff({}, "id", { ...outs, ready: false }, base)).to.deep.equal({ changes: true });
    });
});

describe("Machine spec", function () {
    it("applies defaults and maps Metal³ names to the deploy's", function () {
        const spec = machineSpec(base);
        expect(spec.namespace).to.equal("prod");
        expect(spec.automatedCleaningMode).to.equal("metadata");
        expect(spec.image).to.deep.equal({ url: "http://img/v1.qcow2", checksum: "http://img/v1.qcow2.sha256", checksumType: undefined, format: "qcow2" });
        expect(spec.timeouts).to.deep.equal({ claim: 120_000, create: 3_600_000, delete: 3_600_000 });
        expect(machineSpec({ ...base, namespace: undefined }).namespace).to.equal("default");
        expect(() => machineSpec({ ...base, image: UNKNOWN })).to.throw(/unknown/);
        // `format` (BareMetalHost / Metal3Machine v1beta1 name) is accepted as diskFormat.
        expect(machineSpec({ ...base, image: { url: "http://img/x.raw", checksum: "c", format: "raw" } }).image!.format).to.equal("raw");
    });

    it("durations, provider ID, spec hash", function () {
        expect(durationMs("90s", 0)).to.equal(90_000);
        expect(durationMs("2m", 0)).to.equal(120_000);
        expect(durationMs("1h", 0)).to.equal(3_600_000);
        expect(durationMs(5, 0)).to.equal(5_000);
        expect(durationMs(undefined, 7)).to.equal(7);
        expect(providerId("ns", "h1", "m1")).to.equal("metal3://ns/h1/m1");
        expect(specHash({ a: 1, b: [1, 2] })).to.equal(specHash({ b: [1, 2], a: 1 }));
        expect(specHash({ a: 1 })).to.not.equal(specHash({ a: 2 }));
        expect(specHash({ a: 1 })).to.match(/^[0-9a-f]{12}$/);
    });
});

describe("Machine readiness: only on its own deployment (issue 9)", function () {
    const spec = { image: { url: "http://img/v1.qcow2" } };
    const active = (over: Record<string, unknown>) =>
        ({ provision_state: "active", maintenance: false, extra: {}, instance_info: { image_source: "http://img/v1.qcow2" }, ...over }) as never;

    it("ready when active with its image", function () {
        expect(foreignDeployment(spec, active({}))).to.equal(undefined);
        expect(machineReady(spec, active({}))).to.equal(true);
    });

    it("never ready on someone else's deployment: another image, or the host's own deployment record", function () {
        const other = active({ instance_info: { image_source: "http://elsewhere/os.qcow2" } });
        expect(foreignDeployment(spec, other)).to.contain('"http://elsewhere/os.qcow2", not this Machine\'s image "http://img/v1.qcow2"');
        expect(machineReady(spec, other)).to.equal(false);
        const hostOwn = active({ extra: { pulumi_metal3_deployment: "fp" } });
        expect(foreignDeployment(spec, hostOwn)).to.contain("BareMetalHost's own deployment");
        expect(machineReady(spec, hostOwn)).to.equal(false);
        expect(machineReady(spec, active({ maintenance: true }))).to.equal(false);
    });
});
