// A BareMetalHost's or Machine's name becomes a Kubernetes object name (DNS-1123 subdomain) and, as
// `<namespace>~<name>`, the name of an Ironic node or allocation (at most 255 characters); its
// namespace is a DNS-1123 label. `check` (what `pulumi preview` runs) refuses anything else and
// names the property, so a bad name never reaches Ironic or the apiserver.
import { expect } from "chai";
import { check as checkHost } from "../../sdk/providers/host";
import { check as checkMachine } from "../../sdk/providers/machine";
import { UNKNOWN } from "../../sdk/schemas/common";

const host = { name: "node-1", bmc: { address: "fake://bmc" }, online: false };
const machine = { name: "worker-0", image: { url: "http://images.example/os.qcow2", checksum: "0123abcd" } };

const BAD_NAMES: Array<[string, string]> = [
    ["upper case and underscore", "UPPER_case"],
    ["upper case", "Node-1"],
    ["underscore", "node_1"],
    ["leading dash", "-node"],
    ["trailing dash", "node-"],
    ["trailing dot", "node."],
    ["empty label between dots", "a..b"],
    ["dash next to a dot", "a.-b"],
    ["tilde (the Ironic name separator)", "a~b"],
    ["254 characters", "a".repeat(254)],
    ["empty", ""],
];
const BAD_NAMESPACES: Array<[string, string]> = [
    ["upper case", "Metal3"],
    ["underscore", "metal_3"],
    ["a dot (a label, not a subdomain)", "metal3.io"],
    ["64 characters", "n".repeat(64)],
    ["leading dash", "-metal3"],
];
const GOOD_NAMES = ["node-1", "0", "worker.rack-1.example", "a".repeat(200)];

const reasonsFor = (failures: { property: string; reason: string }[] | undefined, property: string) =>
    (failures ?? []).filter((f) => f.property === property).map((f) => f.reason);

describe("schemas: names and namespaces are Kubernetes names at preview", () => {
    for (const [resource, base, check] of [
        ["BareMetalHost", host, checkHost],
        ["Machine", machine, checkMachine],
    ] as const) {
        describe(resource, () => {
            for (const [what, name] of BAD_NAMES) {
                it(`refuses the name ${JSON.stringify(name.length > 20 ? name.slice(0, 8) + "…" : name)} (${what}), naming "name"`, async () => {
                    const r = await check({}, { ...base, name });
                    const reasons = reasonsFor(r.failures, "name");
                    expect(reasons, JSON.stringify(r.failures)).to.not.be.empty;
                    expect(
                        r.failures!.map((f) => f.property),
                        "only the name is wrong",
                    ).to.deep.equal(reasons.map(() => "name"));
                });
            }
            it('says what a name must be ("UPPER_case")', async () => {
                const r = await check({}, { ...base, name: "UPPER_case" });
                expect(reasonsFor(r.failures, "name").join("\n")).to.match(/Kubernetes object name \(DNS-1123 subdomain\)/);
            });
            for (const [what, namespace] of BAD_NAMESPACES) {
                it(`refuses the namespace ${JSON.stringify(namespace.length > 20 ? namespace.slice(0, 8) + "…" : namespace)} (${what}), naming "namespace"`, async () => {
                    const r = await check({}, { ...base, namespace });
                    expect(reasonsFor(r.failures, "namespace"), JSON.stringify(r.failures)).to.not.be.empty;
                });
            }
            it("refuses a name whose Ironic name <namespace>~<name> exceeds 255 characters", async () => {
                const namespace = "n".repeat(63);
                const fits = "a".repeat(255 - 64);
                expect((await check({}, { ...base, namespace, name: fits })).failures).to.equal(undefined);
                const r = await check({}, { ...base, namespace, name: fits + "a" });
                expect(reasonsFor(r.failures, "name").join("\n")).to.match(/Ironic name <namespace>~<name> has 256 characters, Ironic allows 255/);
                // The default namespace counts too ("default~" + 248 = 256).
                const d = await check({}, { ...base, name: "a".repeat(248) });
                expect(reasonsFor(d.failures, "name").join("\n")).to.match(/has 256 characters/);
            });
            it("accepts DNS-1123 names, and names still unknown at preview", async () => {
                for (const name of [...GOOD_NAMES, UNKNOWN]) {
                    const r = await check({}, { ...base, name, namespace: "metal3" });
                    expect(r.failures, `${name}: ${JSON.stringify(r.failures)}`).to.equal(undefined);
                }
                expect((await check({}, { ...base, name: "a".repeat(250), namespace: UNKNOWN })).failures).to.equal(undefined);
            });
        });
    }
});
