// Day-two requests as pure decisions (provider/host/day-two.ts through lifecycle.ts nextAction),
// and the preview's words for them (sdk/providers/host.ts diff, from plan.ts): reboot on request
// (soft/hard), re-inspection on request (and its refusal on a provisioned host), detach and
// re-attach. The preview and the update must take the same decision; the integration tests
// (day-two.test.ts, test/bmc/day-two.test.ts) carry them out on a real Ironic.
import { expect } from "chai";
import { captureLogger } from "../support/capture-logger";
import { check, diff } from "../../sdk/providers/host";
import { hostSpecFromInputs, PlainHostInputs, secretDigest } from "../../provider/host/desired";
import { EXTRA, HostAction, nextAction } from "../../provider/host/lifecycle";
import { planChange, predictSteps, recordedNode } from "../../provider/host/plan";
import { stepText } from "../../provider/host/words";
import { nextDetachStep, requestRecords } from "../../provider/host/day-two";
import type { Node } from "../../provider/ironic/types";
import { renderBareMetalHost } from "../../provider/render/baremetalhost";
import { ownerKeyId } from "../../provider/owner-record";
import { handOverPatch } from "../../provider/render/handover";

const key = "0123456789abcdef";
const image = { url: "http://images.example/os-1.qcow2", checksum: "abc", format: "qcow2" };
const base: Record<string, unknown> = { name: "d2", bmc: { address: "fake://d2" }, online: true, bootMACAddress: "52:54:00:00:00:21", image };
const spec = (i: Record<string, unknown>) => hostSpecFromInputs(i as unknown as PlainHostInputs, { apiVersion: "1.82", digestKey: key });
const ACTIVE = { provisionState: "active", powerState: "power on" };
const AVAILABLE = { provisionState: "available", powerState: "power off" };

function outputsOf(
    inputs: Record<string, unknown>,
    rec: { provisionState: string; powerState: string },
    extra: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        ...inputs,
        // ownerKeyId: the owner record is already keyed under this key (no migration pending).
        secretDigests: { key, bmcPassword: secretDigest(key, undefined), ownerKeyId: ownerKeyId(key) },
        provisioningState: rec.provisionState === "active" ? "provisioned" : "available",
        ironicProvisionState: rec.provisionState,
        powerState: rec.powerState,
        poweredOn: rec.powerState === "power on",
        nodeUuid: "u",
        ...extra,
    };
}

async function preview(
    oldInputs: Record<string, unknown>,
    newInputs: Record<string, unknown>,
    rec: { provisionState: string; powerState: string },
    extra?: Record<string, unknown>,
) {
    const log = captureLogger();
    try {
        const d = await diff("u", outputsOf(oldInputs, rec, extra), newInputs, log);
        return { d, said: log.warnings().join("\n") };
    } catch (e) {
        return { error: (e as Error).message, said: log.warnings().join("\n") };
    }
}

const kinds = (steps: HostAction[]) =>
    steps.map((s) =>
        s.kind === "provision"
            ? `provision ${s.target}`
            : s.kind === "power"
              ? `${s.target}${s.mode ? ` ${s.mode}` : ""}`
              : s.kind === "reboot"
                ? `reboot ${s.mode}`
                : s.kind,
    );

describe("day two: reboot on request", () => {
    it("a new token on a provisioned, running host: one reboot (hard by default), no provision state change, the token recorded", async () => {
        const plan = planChange(spec(base), spec({ ...base, rebootRequest: "r1" }), ACTIVE);
        expect(kinds(plan.steps)).to.deep.equal(["reboot hard"]);
        expect(plan.reboot).to.equal("hard");
        expect(plan.wipe).to.equal(undefined);
        expect(plan.ends).to.deep.equal({ provisionState: "active", powerState: "power on" });
        const { d, said } = await preview(base, { ...base, rebootRequest: "r1" }, ACTIVE);
        expect(d!.reprovision).to.equal(undefined);
        expect(said).to.contain("WILL REBOOT (hard) host default~d2: rebootRequest changed: reboot (hard); ends active, power on");
    });

    it("powerOffMode soft: the preview says soft, with the fall-back to hard", async () => {
        const { said } = await preview(base, { ...base, rebootRequest: "r1", powerOffMode: "soft" }, ACTIVE);
        expect(said).to.contain("WILL REBOOT (soft) host default~d2: rebootRequest changed: reboot (soft, hard if it does not go off in time)");
    });

    it("the same token again: nothing to do; a token given at create counts as done (recorded at enrol)", async () => {
        const same = await preview({ ...base, rebootRequest: "r1" }, { ...base, rebootRequest: "r1" }, ACTIVE);
        expect(same.d!.changes).to.equal(false);
        expect(requestRecords(spec({ ...base, rebootRequest: "r1" }))).to.deep.equal({ [EXTRA.reboot]: "r1" });
        // Removing the token asks for nothing.
        const removed = planChange(spec({ ...base, rebootRequest: "r1" }), spec(base), ACTIVE);
        expect(removed.steps).to.deep.equal([]);
    });

    it("a host that is off (online: false, or available) is not rebooted: the token is only recorded", async () => {
        const off = planChange(spec({ ...base, online: false }), spec({ ...base, online: false, rebootRequest: "r2" }), {
            provisionState: "active",
            powerState: "power off",
        });
        expect(kinds(off.steps)).to.deep.equal(["patch"]);
        expect(off.reboot).to.equal(undefined);
        const avail = planChange(spec({ ...base, image: undefined }), spec({ ...base, image: undefined, rebootRequest: "r2" }), AVAILABLE);
        expect(avail.reboot).to.equal(undefined);
        expect(kinds(avail.steps)).to.deep.equal(["patch"]);
    });

    it("a reboot together with online: false is a power-off, not a reboot (soft when powerOffMode says so)", () => {
        const plan = planChange(spec(base), spec({ ...base, online: false, rebootRequest: "r3", powerOffMode: "soft" }), ACTIVE);
        expect(kinds(plan.steps)).to.deep.equal(["patch", "power off soft"]);
    });

    it("a reboot with an image change: the rebuild is the reboot (one deploy, no second reboot)", () => {
        const plan = planChange(spec(base), spec({ ...base, image: { ...image, url: "http://images.example/os-2.qcow2" }, rebootRequest: "r4" }), ACTIVE);
        expect(plan.wipe).to.equal("reprovision");
        expect(kinds(plan.steps)).to.deep.equal(["deploy"]);
        expect(plan.reboot).to.equal(undefined);
    });

    it("a pool host a Machine holds: refused, naming rebootRequest (the Machine owns its power), never silently skipped", () => {
        const pool = { ...base, image: undefined };
        const observed = recordedNode(spec(pool), ACTIVE);
        observed.node.allocation_uuid = "alloc-1";
        const a = nextAction(spec({ ...pool, rebootRequest: "r9" }), observed);
        expect(a.kind).to.equal("fail");
        expect((a as { message: string }).message).to.match(/^rebootRequest: the host is held by a Machine \(Ironic allocation alloc-1\)/);
    });

    it("check: powerOffMode soft with disablePowerOff is refused naming powerOffMode; a bad powerOffMode names it", async () => {
        const r = await check({}, { ...base, powerOffMode: "soft", disablePowerOff: true });
        expect(r.failures?.map((f) => f.property)).to.include("powerOffMode");
        const bad = await check({}, { ...base, powerOffMode: "gentle" });
        expect(bad.failures?.map((f) => f.property)).to.include("powerOffMode");
        const empty = await check({}, { ...base, rebootRequest: "" });
        expect(empty.failures?.map((f) => f.property)).to.include("rebootRequest");
    });
});

describe("day two: re-inspection on request", () => {
    const avail = { ...base, image: undefined };
    it("on an available host: manage → inspect → provide, the preview says so (cleaning included)", async () => {
        const plan = planChange(spec(avail), spec({ ...avail, inspectRequest: "i1" }), AVAILABLE);
        expect(kinds(plan.steps)).to.deep.equal(["provision manage", "provision inspect", "provision provide"]);
        expect(plan.ends.provisionState).to.equal("available");
        const { said } = await preview(avail, { ...avail, inspectRequest: "i1" }, AVAILABLE);
        expect(said).to.contain("WILL RE-INSPECT host default~d2: inspectRequest changed: manage → inspect → provide; ends available");
    });

    it("the inspection step records the token once Ironic is back in manageable", () => {
        const observed = recordedNode(spec(avail), { provisionState: "manageable", powerState: "power off" });
        const a = nextAction(spec({ ...avail, inspectRequest: "i1" }), observed) as Extract<HostAction, { kind: "provision" }>;
        expect(a.target).to.equal("inspect");
        expect(a.record).to.deep.equal([{ op: "add", path: `/extra/${EXTRA.inspect}`, value: "i1" }]);
    });

    it("on a provisioned host: refused at preview naming inspectRequest and why", async () => {
        const { error } = await preview(base, { ...base, inspectRequest: "i1" }, ACTIVE);
        expect(error).to.contain('inspectRequest "i1": a provisioned host cannot be inspected (Ironic inspects only manageable nodes');
    });

    it("check: inspectRequest with inspectionMode disabled is refused naming inspectRequest", async () => {
        const r = await check({}, { ...avail, inspectRequest: "i1", inspectionMode: "disabled" });
        expect(r.failures?.map((f) => f.property)).to.include("inspectRequest");
    });
});

describe("day two: detach and re-attach", () => {
    const node = (over: Partial<Node>): Node => ({ ...recordedNode(spec(base), ACTIVE).node, uuid: "n", ...over });

    it("detach, as BMO's: an active node through maintenance then deleted; an available one deleted at once; never undeployed or powered off", () => {
        expect(nextDetachStep(node({}), false).kind).to.equal("set-maintenance");
        expect(nextDetachStep(node({ maintenance: true, maintenance_reason: "pulumi-metal3: detaching" }), false).kind).to.equal("delete-node");
        expect(nextDetachStep(node({ provision_state: "available", power_state: "power on" }), false).kind).to.equal("delete-node");
        expect(nextDetachStep(node({ provision_state: "deploying", target_provision_state: "active" }), false).kind).to.equal("wait");
        expect(nextDetachStep(node({ allocation_uuid: "a" }), false)).to.include({ kind: "fail" });
        expect(nextDetachStep(node({ maintenance: true, maintenance_reason: "disk swap" }), true)).to.include({ kind: "fail" });
        expect(nextDetachStep(undefined, false).kind).to.equal("done");
    });

    it("the preview says no server change, and the plan has no undeploy or power step", async () => {
        const plan = planChange(spec(base), spec({ ...base, detached: true }), ACTIVE);
        expect(kinds(plan.steps)).to.deep.equal(["set-maintenance", "delete-node"]);
        expect(plan.detach).to.equal(true);
        expect(plan.ends).to.deep.equal({ provisionState: "active", powerState: "power on" });
        const { said } = await preview(base, { ...base, detached: true }, ACTIVE);
        expect(said).to.contain(
            "WILL DETACH host default~d2 (no server change): its Ironic node is removed (set-maintenance → delete the Ironic node; ends active, power on); the server is left as it is",
        );
    });

    it("re-attach of a provisioned host: enrol → manage → adopt, no deploy, no cleaning, no wipe", async () => {
        const plan = planChange(spec({ ...base, detached: true }), spec(base), ACTIVE);
        expect(kinds(plan.steps)).to.deep.equal(["enrol", "provision manage", "patch", "provision adopt", "patch"]);
        expect(plan.wipe).to.equal(undefined);
        expect(plan.reattach).to.equal(true);
        expect(plan.ends).to.deep.equal({ provisionState: "active", powerState: "power on" });
        const { d, said } = await preview({ ...base, detached: true }, base, ACTIVE);
        expect(d!.reprovision).to.equal(undefined);
        expect(said).to.contain(
            "WILL RE-ATTACH host default~d2 (no reprovision): its node is enrolled again under the same UUID: enrol → manage → adopt; ends active, power on",
        );
    });

    it("re-attach together with an image change: the preview says the wipe", async () => {
        const { d } = await preview({ ...base, detached: true }, { ...base, image: { ...image, url: "http://images.example/os-2.qcow2" } }, ACTIVE);
        expect(d!.reprovision).to.match(/^REPROVISION \(wipe\)\|image, detached changed: enrol → manage → adopt → rebuild/);
    });

    it("still detached: nothing to do on Ironic; a new host cannot start detached (check names detached)", async () => {
        expect(planChange(spec({ ...base, detached: true }), spec({ ...base, detached: true, labels: { a: "b" } }), ACTIVE).steps).to.deep.equal([]);
        const r = await check({}, { ...base, detached: true });
        expect(r.failures?.map((f) => f.property)).to.include("detached");
        const ok = await check({ ...base }, { ...base, detached: true });
        expect(ok.failures ?? []).to.deep.equal([]);
    });

    it("the lifecycle of a detached spec never enrols", () => {
        expect(nextAction(spec({ ...base, detached: true }), undefined).kind).to.equal("done");
        const { steps } = predictSteps(spec({ ...base, detached: true }), recordedNode(spec(base), ACTIVE));
        expect(steps.map((a) => stepText(a))).to.deep.equal(["set-maintenance", "delete the Ironic node"]);
    });
});

describe("day two: the annotations BMO reads", () => {
    const input = { name: "d2", namespace: "metal3", bmc: { address: "ipmi://10.0.0.5", username: "u", password: "p" }, online: true };
    it("reboot.metal3.io (the one-shot key) with the mode, inspect.metal3.io empty, the detached annotation", () => {
        const a = renderBareMetalHost({ ...input, rebootRequest: "r1", powerOffMode: "soft", inspectRequest: "i1", detached: true }).host.metadata.annotations!;
        expect(a["reboot.metal3.io"]).to.equal('{"mode":"soft"}');
        expect(a["inspect.metal3.io"]).to.equal("");
        expect(a["baremetalhost.metal3.io/detached"]).to.equal("");
        expect(renderBareMetalHost({ ...input, rebootRequest: "r1" }).host.metadata.annotations!["reboot.metal3.io"]).to.equal('{"mode":"hard"}');
        expect(Object.keys(renderBareMetalHost(input).host.metadata.annotations!).filter((k) => /reboot|inspect|detached/.test(k))).to.deep.equal([]);
    });

    it("the hand-over patch removes the requests pulumi-metal3 carried out, keeps detached and inspect.metal3.io: disabled", () => {
        const host = renderBareMetalHost({ ...input, rebootRequest: "r1", inspectRequest: "i1", detached: true }).host;
        expect(handOverPatch(host).metadata.annotations).to.deep.equal({
            "baremetalhost.metal3.io/paused": null,
            "reboot.metal3.io": null,
            "inspect.metal3.io": null,
        });
        const disabled = renderBareMetalHost({ ...input, inspectionMode: "disabled" }).host;
        expect(handOverPatch(disabled).metadata.annotations).to.deep.equal({ "baremetalhost.metal3.io/paused": null });
    });
});
