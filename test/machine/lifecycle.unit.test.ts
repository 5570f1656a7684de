// The Machine lifecycle decision as a table: (spec, observed claim) → the one next step, for
// create/update and for delete. Pure: no Ironic here (the steps themselves are tested against the
// real Ironic in machine.test.ts, deadline.test.ts and e2e.test.ts).
import { expect } from "chai";
import type { Allocation, Node } from "../../provider/ironic/types";
import { MACHINE_NODE_EXTRA, nextMachineAction, nextMachineDeleteAction, ownerRecord, type MachineAction } from "../../provider/machine/lifecycle";
import { DEFAULT_TIMEOUTS_MS, legacyMachineSpecHash, machineSpecHash, type MachineSpec } from "../../provider/machine/spec";
import { sha256 } from "../../provider/host/desired";
import { specHash } from "../../provider/claim/allocation";

const spec: MachineSpec = {
    name: "m0",
    namespace: "prod",
    hostSelector: { matchLabels: { role: "worker" } },
    image: { url: "http://img/v1.qcow2", checksum: "abc", format: "qcow2" },
    automatedCleaningMode: "metadata",
    clusterName: "c1",
    labels: { tier: "a" },
    timeouts: DEFAULT_TIMEOUTS_MS,
    digestKey: "test-digest-key",
};
const allocation = {
    uuid: "alloc-1",
    name: "prod~m0",
    node_uuid: "node-1",
    state: "active",
    extra: { pulumi_metal3_spec_hash: machineSpecHash(spec) },
} as unknown as Allocation;

function node(over: Partial<Node> = {}): Node {
    return {
        uuid: "node-1",
        name: "prod~h0",
        provision_state: "available",
        target_provision_state: null,
        power_state: "power off",
        maintenance: false,
        extra: { ...ownerRecord(spec) },
        instance_info: {},
        allocation_uuid: "alloc-1",
        ...over,
    } as Node;
}
const decide = (n: Node | undefined, mayClaim = true): MachineAction =>
    nextMachineAction(spec, { claim: n && { allocation, node: n }, mayClaim, allocationId: "alloc-1" });
const activeOwn = (over: Partial<Node> = {}) =>
    node({ provision_state: "active", power_state: "power on", instance_info: { image_source: spec.image!.url }, ...over });

describe("Machine lifecycle decision: create / update (nextMachineAction)", function () {
    const table: [string, Node | undefined, boolean, MachineAction["kind"]][] = [
        ["no claim, create → claim", undefined, true, "claim"],
        ["no claim, update (the allocation is gone) → refuse", undefined, false, "refuse"],
        ["claimed, owner record missing → record it", node({ extra: {} }), true, "record-owner"],
        [
            "claimed, labels changed on the node → record the spec's",
            node({ extra: { ...ownerRecord(spec), [MACHINE_NODE_EXTRA.labels]: { tier: "b" } } }),
            false,
            "record-owner",
        ],
        ["available → deploy", node(), true, "deploy"],
        ["deploy failed (earlier run) → deploy again", node({ provision_state: "deploy failed" }), false, "deploy"],
        [
            "deploying (an earlier run gave up waiting) → wait, never restart",
            node({ provision_state: "deploying", target_provision_state: "active" }),
            false,
            "wait-deploy",
        ],
        ["wait call-back → wait", node({ provision_state: "wait call-back" }), false, "wait-deploy"],
        ["active with its image, off → power on", activeOwn({ power_state: "power off" }), false, "power-on"],
        ["active with its image, on → ready", activeOwn(), false, "ready"],
        [
            "active with another image → refuse (never wiped on a guess)",
            activeOwn({ instance_info: { image_source: "http://elsewhere/os.qcow2" } }),
            false,
            "refuse",
        ],
        ["active with the host's own deployment → refuse", activeOwn({ extra: { ...ownerRecord(spec), pulumi_metal3_deployment: "fp" } }), false, "refuse"],
    ];
    for (const [what, n, mayClaim, kind] of table) {
        it(what, function () {
            expect(decide(n, mayClaim).kind).to.equal(kind);
        });
    }

    it("the refusals say why and what to do", function () {
        const gone = decide(undefined, false);
        expect(gone.kind === "refuse" && gone.message).to.contain("allocation alloc-1) is gone from Ironic; run `pulumi refresh`");
        const foreign = decide(activeOwn({ instance_info: { image_source: "http://elsewhere/os.qcow2" } }), false);
        expect(foreign.kind === "refuse" && foreign.message).to.contain("is active with a deployment that is not this Machine's");
    });

    it("the owner record patch writes only what differs", function () {
        const a = decide(node({ extra: { ...ownerRecord(spec), [MACHINE_NODE_EXTRA.description]: "old" } }), false);
        expect(a).to.deep.equal({ kind: "record-owner", ops: [{ op: "add", path: `/extra/${MACHINE_NODE_EXTRA.description}`, value: "" }] });
    });
});

describe("Machine lifecycle decision: delete (nextMachineDeleteAction)", function () {
    const owner = "prod/m0";
    it("holds a deployed node → undeploy (the allocation goes with the tear-down)", function () {
        expect(nextMachineDeleteAction(owner, allocation, activeOwn()).kind).to.equal("undeploy");
    });
    it("holds an available node that still carries the owner record or power → undeploy (clears and powers off)", function () {
        expect(nextMachineDeleteAction(owner, allocation, node()).kind).to.equal("undeploy");
        expect(nextMachineDeleteAction(owner, allocation, node({ extra: {}, power_state: "power on" })).kind).to.equal("undeploy");
    });
    it("allocation gone, node still carries this Machine's record (a delete failed during cleaning) → undeploy", function () {
        expect(nextMachineDeleteAction(owner, undefined, node({ allocation_uuid: null, provision_state: "clean failed" })).kind).to.equal("undeploy");
    });
    it("released node, allocation still there → release it", function () {
        expect(nextMachineDeleteAction(owner, allocation, node({ extra: {} }))).to.deep.equal({ kind: "release", allocationUuid: "alloc-1" });
    });
    it("a node held by another allocation is never touched: only our allocation is released", function () {
        const others = activeOwn({ allocation_uuid: "alloc-other" });
        expect(nextMachineDeleteAction(owner, allocation, others)).to.deep.equal({ kind: "release", allocationUuid: "alloc-1" });
        expect(nextMachineDeleteAction(owner, undefined, others).kind).to.equal("done");
    });
    it("a node recording another Machine, allocation gone → done, untouched", function () {
        expect(nextMachineDeleteAction(owner, undefined, node({ allocation_uuid: null, extra: { ...ownerRecord({ ...spec, name: "m1" }) } })).kind).to.equal(
            "done",
        );
    });
    it("nothing left → done", function () {
        expect(nextMachineDeleteAction(owner, undefined, undefined).kind).to.equal("done");
        expect(nextMachineDeleteAction(owner, undefined, node({ allocation_uuid: null, extra: {} })).kind).to.equal("done");
    });
});

describe("Machine spec hash on the allocation: keyed (issue 9 §4)", function () {
    const withData: MachineSpec = { ...spec, userData: "#cloud-config\npassword: hunter2\n" };
    const unkeyedHashes = (s: MachineSpec) => [
        sha256(s.userData as string),
        require("crypto")
            .createHash("sha256")
            .update(s.userData as string)
            .digest("hex"),
        legacyMachineSpecHash(s),
        specHash({ userData: s.userData }),
    ];

    it("is an HMAC under the state's key: not the sha256 of the user data nor any unkeyed hash of the spec", function () {
        const stored = machineSpecHash(withData);
        expect(stored).to.match(/^hmac-sha256:[0-9a-f]{12}:[0-9a-f]{64}$/);
        for (const h of unkeyedHashes(withData)) {
            expect(stored).to.not.equal(h);
            expect(stored).to.not.contain(h);
        }
    });

    it("a guess of the user data cannot be tested without the key: the same guess under another key gives another value", function () {
        const right = machineSpecHash(withData);
        const guessWithoutKey = machineSpecHash({ ...withData, digestKey: "a reader's guess of the key" });
        expect(guessWithoutKey).to.not.equal(right);
        expect(machineSpecHash({ ...withData, userData: "#cloud-config\npassword: other\n" })).to.not.equal(right);
        expect(machineSpecHash({ ...withData })).to.equal(right); // same spec, same key: the claim is recognised
    });

    it("the unkeyed hash of older releases is still computed as they did (for its one-time recognition)", function () {
        // The value an older release recorded for this very spec (sha256 of its canonical JSON, 12 hex).
        const old = {
            name: "m",
            namespace: "ns",
            hostSelector: { matchLabels: { pool: "a" } },
            image: { url: "http://x/i.qcow2", checksum: "abc", format: "qcow2" as const },
            userData: "#cloud-config\nhi",
            networkData: { links: [1] },
            automatedCleaningMode: "metadata" as const,
            timeouts: DEFAULT_TIMEOUTS_MS,
            digestKey: "k",
        };
        expect(legacyMachineSpecHash(old)).to.equal("7a772c3394bf");
    });

    it("an allocation still carrying an unkeyed hash is re-recorded keyed before anything else", function () {
        const legacy = { ...allocation, extra: { pulumi_metal3_spec_hash: legacyMachineSpecHash(spec) } } as unknown as Allocation;
        const a = nextMachineAction(spec, { claim: { allocation: legacy, node: node() }, mayClaim: false });
        expect(a).to.deep.equal({ kind: "record-spec-hash", ops: [{ op: "add", path: "/extra/pulumi_metal3_spec_hash", value: machineSpecHash(spec) }] });
    });
});
