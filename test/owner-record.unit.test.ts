// The keyed owner record (provider/owner-record.ts) and the ownership decisions made on it
// (provider/host/takeover.ts, registration.ts ownerExtra): pure.
import { expect } from "chai";
import { OWNER_MAC_KEY, ownerKeys, ownerMac, verifyOwnerMac } from "../provider/owner-record";
import { ownerExtra } from "../provider/host/registration";
import { adoptionDecision, nothingToLose, takeOverDecision } from "../provider/host/takeover";
import { hostSpecFromInputs } from "../provider/host/desired";
import type { PlainHostInputs } from "../provider/host/inputs";
import type { Node } from "../provider/ironic/types";

const STACK_KEY = "s".repeat(64);
const DIGEST_KEY = "d".repeat(64);
const owner = { stack: "proj/prod", resource: "web-0" };
const inputs = { name: "web-0", namespace: "metal3", bmc: { address: "fake://x" }, owner } as unknown as PlainHostInputs;
const specWith = (ownerKey?: string, digestKey = DIGEST_KEY) => hostSpecFromInputs(inputs, { apiVersion: "1.81", digestKey, ownerKey });

function node(extra: Record<string, unknown>, patch: Partial<Node> = {}): Node {
    return {
        uuid: "u-1",
        name: "metal3~web-0",
        provision_state: "available",
        power_state: "power off",
        extra,
        instance_uuid: null,
        allocation_uuid: null,
        ...patch,
    } as Node;
}

describe("owner record: keyed, bound to node, stack and resource", () => {
    it("verifies under the key it was made with, for the same name, stack and resource only", () => {
        const mac = ownerMac(STACK_KEY, "metal3~web-0", "proj/prod", "web-0");
        expect(mac).to.match(/^hmac-sha256:[0-9a-f]{12}:[0-9a-f]{64}$/);
        expect(verifyOwnerMac([STACK_KEY], mac, "metal3~web-0", "proj/prod", "web-0")).to.equal("verified");
        expect(verifyOwnerMac([DIGEST_KEY, STACK_KEY], mac, "metal3~web-0", "proj/prod", "web-0")).to.equal("verified");
        expect(verifyOwnerMac([STACK_KEY], mac, "metal3~web-1", "proj/prod", "web-0")).to.equal("forged"); // copied to another node
        expect(verifyOwnerMac([STACK_KEY], mac, "metal3~web-0", "proj/dev", "web-0")).to.equal("forged");
        expect(verifyOwnerMac([STACK_KEY], mac, "metal3~web-0", "proj/prod", "web-1")).to.equal("forged");
        expect(verifyOwnerMac([DIGEST_KEY], mac, "metal3~web-0", "proj/prod", "web-0")).to.equal("unverifiable");
        expect(verifyOwnerMac([STACK_KEY], undefined, "metal3~web-0", "proj/prod", "web-0")).to.equal("unkeyed");
        expect(verifyOwnerMac([STACK_KEY], "sha256:abc", "metal3~web-0", "proj/prod", "web-0")).to.equal("forged");
    });

    it("is written under the stack key when set, else the resource's digest key; both verify", () => {
        expect(ownerKeys(STACK_KEY, DIGEST_KEY)).to.deep.equal({ write: STACK_KEY, verify: [STACK_KEY, DIGEST_KEY], stackKeyed: true });
        expect(ownerKeys(undefined, DIGEST_KEY)).to.deep.equal({ write: DIGEST_KEY, verify: [DIGEST_KEY], stackKeyed: false });
        expect(ownerExtra(specWith(STACK_KEY))[OWNER_MAC_KEY]).to.equal(ownerMac(STACK_KEY, "metal3~web-0", "proj/prod", "web-0"));
        expect(ownerExtra(specWith())[OWNER_MAC_KEY]).to.equal(ownerMac(DIGEST_KEY, "metal3~web-0", "proj/prod", "web-0"));
    });
});

describe("ownership decisions on the keyed record", () => {
    const plain = { pulumi_metal3_managed: "true", pulumi_metal3_owner: "proj/prod", pulumi_metal3_resource: "web-0" };
    const keyed = (key: string) => ({ ...plain, [OWNER_MAC_KEY]: ownerMac(key, "metal3~web-0", "proj/prod", "web-0") });
    const active = { provision_state: "active", power_state: "power on", instance_uuid: "i-1" } as Partial<Node>;

    it("take-over: a verified record is taken over in any state", () => {
        expect(takeOverDecision(specWith(STACK_KEY), node(keyed(STACK_KEY), active), "its name").kind).to.equal("take-over");
        expect(takeOverDecision(specWith(), node(keyed(DIGEST_KEY), active), "its name").kind).to.equal("take-over");
    });

    it("take-over: a plain or unverifiable record is never taken over on a deployed or claimed node", () => {
        for (const extra of [plain, keyed("x".repeat(64))]) {
            const d = takeOverDecision(specWith(), node(extra, active), "its name");
            expect(d.kind).to.equal("fail");
            expect(d.kind === "fail" && d.message)
                .to.include("nothing was changed on it")
                .and.include("deployed or claimed");
            expect(takeOverDecision(specWith(), node(extra, { allocation_uuid: "a-1", instance_uuid: "a-1" }), "its name").kind).to.equal("fail");
            expect(takeOverDecision(specWith(), node({ ...extra, pulumi_metal3_deployment: "hmac-sha256:aa:bb" }), "its name").kind).to.equal("fail");
        }
    });

    it("take-over: without a stack key, a plain or unverifiable record of this resource on a node with nothing to lose is taken over (the killed-create case)", () => {
        for (const state of ["enroll", "manageable", "inspecting", "cleaning", "available"]) {
            expect(takeOverDecision(specWith(), node(plain, { provision_state: state }), "its name").kind, state).to.equal("take-over");
            expect(takeOverDecision(specWith(), node(keyed("x".repeat(64)), { provision_state: state }), "its name").kind, state).to.equal("take-over");
        }
    });

    it("take-over: with a stack key, only a verified record is; a forged MAC never", () => {
        const other = takeOverDecision(specWith(STACK_KEY), node(keyed("o".repeat(64))), "its name");
        expect(other.kind).to.equal("fail");
        expect(other.kind === "fail" && other.message).to.include("not this stack's ownerKey");
        expect(takeOverDecision(specWith(STACK_KEY), node(plain), "its name").kind).to.equal("fail");
        const forged = { ...plain, [OWNER_MAC_KEY]: ownerMac(DIGEST_KEY, "metal3~web-1", "proj/prod", "web-0") }; // our key id, another node
        expect(takeOverDecision(specWith(), node(forged), "its name").kind).to.equal("fail");
    });

    it("adoption: a plain record naming this stack is someone else's unless it verifies", () => {
        const d = adoptionDecision(specWith(STACK_KEY), node(plain, active));
        expect(d.kind).to.equal("fail");
        expect(d.kind === "fail" && d.message).to.include("its owner record carries no MAC");
        expect(adoptionDecision(specWith(STACK_KEY), node(keyed(STACK_KEY), active)).kind).to.equal("adopt");
    });

    it("nothing to lose: pre-deploy states only, no claim, no deployment record", () => {
        expect(nothingToLose(node({}))).to.equal(true);
        expect(nothingToLose(node({}, { provision_state: "deploying" }))).to.equal(false);
        expect(nothingToLose(node({}, { provision_state: "active" }))).to.equal(false);
        expect(nothingToLose(node({}, { instance_uuid: "i" }))).to.equal(false);
        // A deployment recorded just before a deploy Ironic never took (provision_updated_at unchanged since): nothing on the disk.
        const t = "2026-12-07T20:00:00+00:00";
        expect(nothingToLose(node({ pulumi_metal3_deployment: `pending:hmac-sha256:aa:bb@${t}` }, { provision_updated_at: t }))).to.equal(true);
        expect(
            nothingToLose(node({ pulumi_metal3_deployment: `pending:hmac-sha256:aa:bb@${t}` }, { provision_updated_at: "2026-12-07T20:05:00+00:00" })),
        ).to.equal(false);
        expect(nothingToLose(node({ pulumi_metal3_deployment: "hmac-sha256:aa:bb" }))).to.equal(false);
    });
});
