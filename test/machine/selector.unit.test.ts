// Pure claim logic: Kubernetes selector semantics, eligibility reasons, failure-domain ordering,
// resource-class grouping and the "no host" explanation.
import { expect } from "chai";
import { blankNode, type Node } from "../../provider/ironic/types";
import { firstMismatch, formatSelector, matchesSelector } from "../../provider/claim/selector";
import {
    claimAttempts,
    evaluatePool,
    explainNoHost,
    FAILURE_DOMAIN_LABEL,
    hostLabels,
    ineligibilityReason,
    parseHostNodeName,
} from "../../provider/claim/candidates";
import { OWNER_MAC_KEY, ownerMac } from "../../provider/owner-record";

/** The pool's owner key (the stack's ownerKey), and the record a BareMetalHost of that stack writes. */
const KEY = "k".repeat(64);
const POOL = { poolKeys: [KEY] };
function ownerRecord(name: string, key = KEY): Record<string, string> {
    const resource = name.split("~")[1] ?? name;
    return { pulumi_metal3_owner: "proj/pool", pulumi_metal3_resource: resource, [OWNER_MAC_KEY]: ownerMac(key, name, "proj/pool", resource) };
}

function node(name: string, labels: Record<string, string>, patch: Partial<Node> = {}): Node {
    return blankNode({
        uuid: `uuid-${name}`,
        name,
        driver: "fake-hardware",
        extra: { metal3_labels: labels, pulumi_metal3_managed: "true", ...ownerRecord(name) },
        resource_class: "baremetal",
        ...patch,
    });
}

describe("hostSelector (Kubernetes semantics)", function () {
    const labels = { role: "worker", zone: "a", gpu: "" };

    it("matchLabels needs every pair", function () {
        expect(matchesSelector(labels, { matchLabels: { role: "worker" } })).to.equal(true);
        expect(matchesSelector(labels, { matchLabels: { role: "worker", zone: "b" } })).to.equal(false);
        expect(firstMismatch(labels, { matchLabels: { rack: "1" } })).to.equal("label rack=1 required, host has no rack label");
    });

    it("In, NotIn, Exists, DoesNotExist", function () {
        expect(matchesSelector(labels, { matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] })).to.equal(true);
        expect(matchesSelector(labels, { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] })).to.equal(false);
        expect(matchesSelector(labels, { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["b"] }] })).to.equal(true);
        // NotIn matches hosts without the label, as in Kubernetes.
        expect(matchesSelector(labels, { matchExpressions: [{ key: "rack", operator: "NotIn", values: ["1"] }] })).to.equal(true);
        expect(matchesSelector(labels, { matchExpressions: [{ key: "gpu", operator: "Exists" }] })).to.equal(true);
        expect(matchesSelector(labels, { matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] })).to.equal(false);
        expect(matchesSelector(labels, { matchExpressions: [{ key: "rack", operator: "DoesNotExist" }] })).to.equal(true);
    });

    it("an empty or missing selector matches every host", function () {
        expect(matchesSelector({}, undefined)).to.equal(true);
        expect(matchesSelector({}, {})).to.equal(true);
        expect(formatSelector({})).to.equal("(everything)");
    });

    it("formats like kubectl -l", function () {
        expect(
            formatSelector({
                matchLabels: { role: "worker" },
                matchExpressions: [
                    { key: "zone", operator: "In", values: ["a", "b"] },
                    { key: "tier", operator: "NotIn", values: ["x"] },
                    { key: "ssd", operator: "Exists" },
                    { key: "gpu", operator: "DoesNotExist" },
                ],
            }),
        ).to.equal("role=worker,zone in (a,b),tier notin (x),ssd,!gpu");
    });
});

describe("candidates", function () {
    it("reads labels from extra.metal3_labels (object or JSON text) and parses node names", function () {
        expect(hostLabels(node("ns~a", { a: "1" }))).to.deep.equal({ a: "1" });
        expect(hostLabels({ extra: { metal3_labels: '{"b":"2"}' } })).to.deep.equal({ b: "2" });
        expect(hostLabels({ extra: {} })).to.deep.equal({});
        expect(parseHostNodeName("ns~host-1")).to.deep.equal({ namespace: "ns", host: "host-1" });
        expect(parseHostNodeName("plain")).to.equal(undefined);
    });

    it("gives a reason for every kind of ineligible host", function () {
        expect(ineligibilityReason(node("n~a", {}))).to.equal(undefined);
        expect(ineligibilityReason(node("n~a", {}, { maintenance: true, maintenance_reason: "fan" }))).to.equal("in maintenance (fan)");
        expect(ineligibilityReason(node("n~a", {}, { instance_uuid: "u1" }))).to.equal("already claimed by instance_uuid u1");
        // A host that carries its own image (marked at enrol, or deployed by its BareMetalHost) is not for Machines.
        const ownImage = /carries its own image/;
        expect(ineligibilityReason(node("n~a", {}, { extra: { pulumi_metal3_managed: "true", pulumi_metal3_host_image: "true" } }))).to.match(ownImage);
        expect(ineligibilityReason(node("n~a", {}, { extra: { pulumi_metal3_managed: "true", pulumi_metal3_deployment: "fp" } }))).to.match(ownImage);
        expect(ineligibilityReason(node("n~a", {}, { provision_state: "active" }))).to.equal("Ironic provision state is active, not available");
        expect(ineligibilityReason(node("n~a", {}, { provision_state: "cleaning", target_provision_state: "available" }))).to.equal(
            "Ironic provision state is cleaning (moving to available), not available",
        );
        expect(ineligibilityReason(node("n~a", {}, { last_error: "boom" }))).to.equal("has an error: boom");
        expect(ineligibilityReason(node("n~a", {}, { power_state: null }))).to.match(/^power state unknown/);
        expect(ineligibilityReason(node("n~a", {}, { resource_class: null }))).to.equal("has no resource class");
    });

    it("only considers managed hosts of the namespace, and explains the matched ineligible ones", function () {
        const nodes = [
            node("ns~a", { role: "w" }),
            node("ns~b", { role: "w" }, { maintenance: true, maintenance_reason: "disk" }),
            node("ns~c", { role: "cp" }),
            node("other~d", { role: "w" }),
            node("ns~e", { role: "w" }, { extra: { metal3_labels: { role: "w" }, ...ownerRecord("ns~e") } }), // not managed
        ];
        const ev = evaluatePool(nodes, { namespace: "ns", selector: { matchLabels: { role: "w" } }, ...POOL });
        expect(ev.poolSize).to.equal(3);
        expect(ev.matched.map((n) => n.name)).to.deep.equal(["ns~a", "ns~b"]);
        expect(ev.eligible.map((n) => n.name)).to.deep.equal(["ns~a"]);
        expect(ev.ineligible).to.deep.equal([{ hostName: "b", nodeUuid: "uuid-ns~b", reason: "in maintenance (disk)" }]);
        expect(explainNoHost(ev)).to.equal(
            "selector role=w in namespace ns matched 2 of 3 host(s) managed by pulumi-metal3, 1 eligible; not eligible:\n" +
                "  - ns/b (node uuid-ns~b): in maintenance (disk)",
        );
    });

    it("names the allocation holding a claimed host", function () {
        const ev = evaluatePool([node("ns~a", {}, { instance_uuid: "alloc-1" })], { namespace: "ns", host: "a", ...POOL });
        expect(explainNoHost(ev, new Map([["alloc-1", "ns~m0"]]))).to.include("ns/a (node uuid-ns~a): already claimed by allocation ns~m0 (alloc-1)");
        expect(explainNoHost(ev)).to.include("host ns/a matched 1 of 1");
    });

    it("tries the failure domain first, one allocation per resource class", function () {
        const fd = (name: string, d: string, rc = "baremetal") =>
            node(
                name,
                {},
                { extra: { metal3_labels: { [FAILURE_DOMAIN_LABEL]: d }, pulumi_metal3_managed: "true", ...ownerRecord(name) }, resource_class: rc },
            );
        const nodes = [fd("ns~a1", "a"), fd("ns~b1", "b"), fd("ns~b2", "b", "gpu"), fd("ns~b3", "b"), node("ns~x", {})];
        const attempts = claimAttempts(evaluatePool(nodes, { namespace: "ns", failureDomain: "b", ...POOL }));
        expect(attempts.map((a) => [a.inFailureDomain, a.resourceClass, a.candidates.map((n) => n.name)])).to.deep.equal([
            [true, "baremetal", ["ns~b1", "ns~b3"]],
            [true, "gpu", ["ns~b2"]],
            [false, "baremetal", ["ns~a1", "ns~x"]],
        ]);
        const plain = claimAttempts(evaluatePool(nodes, { namespace: "ns", ...POOL }));
        expect(plain.map((a) => a.candidates.length)).to.deep.equal([4, 1]);
    });

    it("claims only hosts whose keyed owner record verifies: planted markers, forged, copied or foreign-keyed records are skipped, and said so", function () {
        const planted = (name: string, extra: Record<string, unknown>) =>
            node(name, { role: "w" }, { extra: { metal3_labels: { role: "w" }, pulumi_metal3_managed: "true", ...extra } });
        const nodes = [
            node("ns~good", { role: "w" }),
            planted("ns~plain", { pulumi_metal3_owner: "proj/pool", pulumi_metal3_resource: "plain" }), // the right strings, no MAC
            planted("ns~forged", {
                ...ownerRecord("ns~forged"),
                [OWNER_MAC_KEY]: ownerRecord("ns~forged")[OWNER_MAC_KEY].replace(/.$/, (c) => (c === "0" ? "1" : "0")),
            }),
            planted("ns~copied", { ...ownerRecord("ns~good"), pulumi_metal3_resource: "good" }), // the MAC of another node
            planted("ns~foreign", ownerRecord("ns~foreign", "o".repeat(64))), // another stack's key
        ];
        const ev = evaluatePool(nodes, { namespace: "ns", selector: { matchLabels: { role: "w" } }, ...POOL });
        expect(ev.eligible.map((n) => n.name)).to.deep.equal(["ns~good"]);
        expect(ev.unverified.map((h) => [h.hostName, h.verdict])).to.deep.equal([
            ["plain", "unkeyed"],
            ["forged", "forged"],
            ["copied", "forged"],
            ["foreign", "unverifiable"],
        ]);
        const text = explainNoHost(ev);
        expect(text).to.include("4 more host(s) it matched were skipped as unverified").and.include("pulumi-metal3:ownerKey").and.include("poolOwnerKeys");
        expect(text).to.include("ns/plain (node uuid-ns~plain): its owner record has no MAC");
        expect(text).to.include("ns/foreign (node uuid-ns~foreign): its owner record is keyed under a key this Machine does not hold");
        // The other stack's key, given as poolOwnerKeys, makes its host claimable; no key at all, none is.
        expect(evaluatePool(nodes, { namespace: "ns", poolKeys: [KEY, "o".repeat(64)] }).eligible.map((n) => n.name)).to.deep.equal(["ns~good", "ns~foreign"]);
        const keyless = evaluatePool(nodes, { namespace: "ns" });
        expect(keyless.eligible).to.deep.equal([]);
        expect(explainNoHost(keyless)).to.include("this Machine holds no key at all");
    });
});
