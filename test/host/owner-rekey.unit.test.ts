// The owner record's rekey and the detached host's start as pure decisions
// (provider/host/owner-rekey.ts, provider/host/day-two.ts fromDetached / refreshReadsNode), which
// sdk/providers/host.ts only carries out. The engine tests (owner-key-engine.test.ts,
// day-two-engine.test.ts) do the same on a real Ironic and pulumi CLI.
import { expect } from "chai";
import { hostSpecFromInputs, PlainHostInputs } from "../../provider/host/desired";
import { ownerExtra } from "../../provider/host/registration";
import { ownerRecordStale, refreshedOwnerKeyId, rekeyOnly, rekeyPatch } from "../../provider/host/owner-rekey";
import { fromDetached, refreshReadsNode } from "../../provider/host/day-two";
import { EXTRA } from "../../provider/extra-keys";
import { OWNER_MAC_KEY, ownerKeyId } from "../../provider/owner-record";

const key = "0123456789abcdef0123456789abcdef";
const stackKey = "f".repeat(64);
const owner = { stack: "p/dev", resource: "urn:pulumi:dev::p::metal3:BareMetalHost::h1" };
const spec = (extra: Record<string, unknown> = {}) =>
    hostSpecFromInputs({ name: "h1", bmc: { address: "fake://h1" }, online: true, owner, ...extra } as unknown as PlainHostInputs, {
        apiVersion: "1.82",
        digestKey: key,
    });

describe("host/owner-rekey: when the owner record is written again, and what that writes", () => {
    it("stale: no record id (an earlier release), another key's id, or unverified; current: the id of the key the stack writes with", () => {
        expect(ownerRecordStale({ key }, undefined)).to.equal(true);
        expect(ownerRecordStale({ key, ownerKeyId: "unverified" }, undefined)).to.equal(true);
        expect(ownerRecordStale({ key, ownerKeyId: ownerKeyId(key) }, undefined)).to.equal(false);
        // The stack's ownerKey set since: the record is rekeyed under it.
        expect(ownerRecordStale({ key, ownerKeyId: ownerKeyId(key) }, stackKey)).to.equal(true);
        expect(ownerRecordStale({ key, ownerKeyId: ownerKeyId(stackKey) }, stackKey)).to.equal(false);
        // State from before keyed digests: its first update writes the record anyway.
        expect(ownerRecordStale({}, stackKey)).to.equal(false);
        expect(ownerRecordStale(undefined, undefined)).to.equal(false);
    });
    it("rekey only: the owner record is the one change, on a host with a node and no deploy to redo", () => {
        expect(rekeyOnly(["ownerRecord"], {})).to.equal(true);
        expect(rekeyOnly(["ownerRecord", "image"], {})).to.equal(false);
        expect(rekeyOnly([], {})).to.equal(false);
        expect(rekeyOnly(undefined, {})).to.equal(false);
        expect(rekeyOnly(["ownerRecord"], { detached: true })).to.equal(false);
        expect(rekeyOnly(["ownerRecord"], { deploymentPending: true })).to.equal(false);
    });
    it("the patch writes only the record's keys that differ (never the host-image mark or anything else)", () => {
        const s = spec({ image: { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" } });
        const want = ownerExtra(s);
        expect(want[EXTRA.hostImage]).to.equal("true");
        // A plain record of an earlier release: only the MAC is added.
        const plain = { extra: { [EXTRA.owner]: owner.stack, [EXTRA.resource]: owner.resource } };
        expect(rekeyPatch(s, plain)).to.deep.equal([{ op: "add", path: `/extra/${OWNER_MAC_KEY}`, value: want[OWNER_MAC_KEY] }]);
        expect(rekeyPatch(s, { extra: { ...plain.extra, [OWNER_MAC_KEY]: want[OWNER_MAC_KEY] } })).to.deep.equal([]);
        expect(rekeyPatch(s, { extra: {} }).map((o) => o.path)).to.deep.equal([`/extra/${EXTRA.owner}`, `/extra/${EXTRA.resource}`, `/extra/${OWNER_MAC_KEY}`]);
    });
    it("refresh records the node's record: verified → its key id; removed or edited → unverified; import → the id to write; no owner → as recorded", () => {
        const s = spec();
        const node = { extra: ownerExtra(s) };
        const recorded = { key, ownerKeyId: "earlier" };
        expect(refreshedOwnerKeyId({ importing: false, hasOwner: true, verdict: "verified", recorded, stackKey: undefined }, node)).to.equal(ownerKeyId(key));
        expect(refreshedOwnerKeyId({ importing: false, hasOwner: true, verdict: "forged", recorded, stackKey: undefined }, node)).to.equal("unverified");
        expect(refreshedOwnerKeyId({ importing: false, hasOwner: true, verdict: "unkeyed", recorded, stackKey: undefined }, { extra: {} })).to.equal(
            "unverified",
        );
        expect(refreshedOwnerKeyId({ importing: true, hasOwner: true, verdict: "other", recorded, stackKey }, node)).to.equal(ownerKeyId(stackKey));
        expect(refreshedOwnerKeyId({ importing: false, hasOwner: false, verdict: "other", recorded, stackKey }, node)).to.equal("earlier");
    });
});

describe("host/day-two: an update or refresh of a host the last run detached", () => {
    const last = { detached: true, ironicProvisionState: "active", detachedDeploymentRecord: "fp" };
    it("not detached before: nothing to decide; refresh reads the node", () => {
        expect(fromDetached({ detached: false }, "u", spec())).to.equal(undefined);
        expect(fromDetached(undefined, "u", spec())).to.equal(undefined);
        expect(refreshReadsNode({})).to.equal(true);
    });
    it("still detached: stays (once its node is confirmed gone); refresh does not look for the removed node", () => {
        const d = fromDetached(last, "u", spec({ detached: true }));
        expect(d?.stays).to.equal(true);
        expect(refreshReadsNode(last)).to.equal(false);
    });
    it("re-attached: the node is enrolled again under its UUID with the provision state and deployment record the detach kept", () => {
        expect(fromDetached(last, "u", spec())).to.deep.equal({ stays: false, reattach: { uuid: "u", provisionState: "active", deploymentRecord: "fp" } });
        // A state without the recorded provision state (a partial one): taken as available.
        expect(fromDetached({ detached: true }, "u", spec())!.reattach).to.deep.equal({ uuid: "u", provisionState: "available", deploymentRecord: undefined });
    });
});
