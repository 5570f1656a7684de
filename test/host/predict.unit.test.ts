// The preview's prediction as a structured plan (provider/host/plan.ts predictUpdate): whether
// the update wipes the host and why, whether it reboots it, which steps it takes, read from the
// lifecycle's own decision; and the SDK's words for it (sdk/providers/host-preview.ts), which the
// preview prints unchanged (plan.unit.test.ts, diff.unit.test.ts, the engine tests plan.test.ts and
// day-two-engine.test.ts check those lines).
import { expect } from "chai";
import { secretDigest } from "../../provider/host/desired";
import { ownerKeyId } from "../../provider/owner-record";
import { predictUpdate } from "../../provider/host/plan";
import type { PreviewContract } from "../../provider/host/preview-inputs";
import { dayTwoWords, wipeWords } from "../../sdk/providers/host-preview";

const key = "0123456789abcdef";
const UNKNOWN_VALUE = { "test: not known until apply": true };
/** The host's contract as the BareMetalHost's: a few echoed inputs, the config drive withheld. */
const contract: PreviewContract = {
    publicInputKeys: ["name", "namespace", "bmc", "online", "bootMACAddress", "image", "labels", "rebootRequest", "powerOffMode", "inspectRequest", "detached"],
    secretKeys: ["userData", "networkData", "metaData"],
    unknown: (v) => v === UNKNOWN_VALUE,
};
const image = { url: "http://images.example/os-1.qcow2", checksum: "abc", format: "qcow2" };
const base: Record<string, unknown> = {
    name: "p1",
    bmc: { address: "fake://p1" },
    online: true,
    bootMACAddress: "52:54:00:00:00:31",
    image,
    userData: "#cloud-config\n",
};

/** The outputs an active, powered-on host created from `inputs` leaves. */
function activeOutputs(inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { userData, ...pub } = inputs;
    return {
        ...pub,
        secretDigests: { key, bmcPassword: secretDigest(key, undefined), userData: secretDigest(key, userData), ownerKeyId: ownerKeyId(key) },
        provisioningState: "provisioned",
        ironicProvisionState: "active",
        powerState: "power on",
        poweredOn: true,
        nodeUuid: "u",
        ...extra,
    };
}

const kinds = (p: ReturnType<typeof predictUpdate>) => p.plan!.steps.map((s) => s.kind);

describe("host/plan predictUpdate: the structured plan the preview words", () => {
    it("an image change on a provisioned host → wipe (reprovision), why: image changed; steps: rebuild; no reboot", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, image: { ...image, url: "http://images.example/os-2.qcow2" } }, ["image"]);
        expect(p.refusal).to.equal(undefined);
        expect(p.wipe).to.deep.equal({ kind: "reprovision", possibly: false, why: [{ kind: "inputs", inputs: ["image"], known: true }] });
        expect(p.plan!.wipe).to.equal("reprovision");
        expect(kinds(p)).to.include("deploy");
        expect(p.plan!.reboot).to.equal(undefined);
        expect(p.plan!.costs).to.deep.equal([]);
        expect(wipeWords(p)).to.deep.equal({ what: "REPROVISION (wipe)", why: "image changed: rebuild; ends active, power on" });
    });
    it("user data changed with a label (only the user data wipes) → the cause named is the user data alone", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, userData: "#cloud-config\nfoo: 1\n", labels: { a: "b" } }, ["labels", "userData"]);
        expect(p.wipe?.why).to.deep.equal([{ kind: "inputs", inputs: ["userData"], known: true }]);
    });
    it("the image removed → wipe (deprovision), why: image removed", () => {
        const { image: _i, ...noImage } = base;
        const p = predictUpdate(contract, activeOutputs(base), noImage, ["image"]);
        expect(p.wipe).to.deep.equal({ kind: "deprovision", possibly: false, why: [{ kind: "image-removed" }] });
        expect(wipeWords(p)!.what).to.equal("DEPROVISION (wipe)");
        expect(p.plan!.ends.provisionState).to.equal("available");
    });
    it("an image not known until apply → a possible wipe, why: image not known until apply", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, image: UNKNOWN_VALUE }, ["image"]);
        expect(p.wipe).to.deep.equal({ kind: "reprovision", possibly: true, why: [{ kind: "inputs", inputs: ["image"], known: false }] });
        expect(wipeWords(p)!.what).to.equal("POSSIBLY REPROVISION (wipe)");
        expect(wipeWords(p)!.why).to.match(/^image not known until apply: /);
    });
    it("nothing changed but the last deploy never reached Ironic → wipe, why: deploy pending", () => {
        const p = predictUpdate(contract, activeOutputs(base, { deploymentPending: true }), base, []);
        expect(p.wipe).to.deep.equal({ kind: "reprovision", possibly: false, why: [{ kind: "deploy-pending" }] });
        expect(wipeWords(p)!.why).to.equal("the last deploy never reached Ironic: rebuild; ends active, power on");
    });
    it("a rebootRequest → reboot (hard), no wipe; its cost worded as WILL REBOOT", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, rebootRequest: "r1" }, ["rebootRequest"]);
        expect(p.wipe).to.equal(undefined);
        expect(p.plan!.wipe).to.equal(undefined);
        expect(p.plan!.reboot).to.equal("hard");
        expect(kinds(p)).to.deep.equal(["reboot"]);
        expect(p.plan!.costs).to.deep.equal([{ kind: "reboot", mode: "hard" }]);
        expect(wipeWords(p)).to.equal(undefined);
        expect(dayTwoWords(p.plan!, "default~p1")).to.equal("WILL REBOOT (hard) host default~p1: rebootRequest changed: reboot (hard); ends active, power on");
    });
    it("no change on the node (a label) → no wipe, no reboot, no costs; only bookkeeping steps", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, labels: { rack: "r2" } }, ["labels"]);
        expect(p.refusal).to.equal(undefined);
        expect(p.wipe).to.equal(undefined);
        expect(p.plan!.wipe).to.equal(undefined);
        expect(p.plan!.reboot).to.equal(undefined);
        expect(p.plan!.costs).to.deep.equal([]);
        expect(p.plan!.steps.every((s) => s.kind === "patch" || s.kind === "set-traits")).to.equal(true);
        expect(dayTwoWords(p.plan!, "default~p1")).to.equal(undefined);
        // The same inputs: nothing at all.
        expect(predictUpdate(contract, activeOutputs(base), base, []).plan!.steps).to.deep.equal([]);
    });
    it("detached: the cost is a detach worded with its steps; staying detached costs nothing", () => {
        const p = predictUpdate(contract, activeOutputs(base), { ...base, detached: true }, ["detached"]);
        expect(p.wipe).to.equal(undefined);
        expect(p.plan!.costs).to.deep.equal([{ kind: "detach" }]);
        expect(dayTwoWords(p.plan!, "default~p1")).to.equal(
            "WILL DETACH host default~p1 (no server change): its Ironic node is removed (set-maintenance → delete the Ironic node; ends active, power on); the server is left as it is",
        );
        const stays = predictUpdate(contract, activeOutputs({ ...base, detached: true }), { ...base, detached: true, labels: { a: "b" } }, ["labels"]);
        expect(stays.plan!.costs).to.deep.equal([]);
    });
    it("a spec that cannot be built (a BMC address no release accepts) → on a provisioned host a possible wipe, never silence; on an available one nothing to say", () => {
        const broken = { ...base, bmc: { address: "nonsense://p1" } };
        const p = predictUpdate(contract, activeOutputs(broken), { ...broken, labels: { a: "b" } }, ["labels"]);
        expect(p.plan).to.equal(undefined);
        expect(p.wipe?.kind).to.equal("reprovision");
        expect(p.wipe?.possibly).to.equal(true);
        expect(p.wipe?.why[0].kind).to.equal("unpredicted");
        expect(wipeWords(p)!.what).to.equal("POSSIBLY REPROVISION (wipe)");
        expect(wipeWords(p)!.why).to.match(/^the update could not be predicted at preview \(.*nonsense/);
        const available = { ...activeOutputs(broken), ironicProvisionState: "available", provisioningState: "available" };
        expect(predictUpdate(contract, available, { ...broken, labels: { a: "b" } }, ["labels"])).to.deep.equal({});
    });
});
