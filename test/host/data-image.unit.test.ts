// Data images as pure decisions (provider/host/data-image.ts through lifecycle.ts nextAction and
// plan.ts), the schema's refusals naming dataImage, and the preview's words (sdk/providers/host.ts
// diff). Carried out on a real Ironic and a Redfish BMC: test/bmc/data-image-engine.test.ts.
import { expect } from "chai";
import { captureLogger } from "../support/capture-logger";
import { check, diff } from "../../sdk/providers/host";
import { hostSpecFromInputs, PlainHostInputs, secretDigest } from "../../provider/host/desired";
import { EXTRA, nextAction, nextDeleteAction } from "../../provider/host/lifecycle";
import { planChange, recordedNode } from "../../provider/host/plan";
import { dataImageStep } from "../../provider/host/data-image";
import type { VirtualMedia } from "../../provider/ironic/types";
import { ownerKeyId } from "../../provider/owner-record";

const key = "0123456789abcdef";
const ISO = "http://127.0.0.1:8080/data.iso";
const base: Record<string, unknown> = {
    name: "di",
    bmc: { address: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/abc", username: "admin", password: "pw" },
    online: true,
    bootMACAddress: "52:54:00:00:00:31",
    externallyProvisioned: true,
    inspectionMode: "disabled",
};
const spec = (i: Record<string, unknown>) => hostSpecFromInputs(i as unknown as PlainHostInputs, { apiVersion: "1.82", digestKey: key });
const ACTIVE = { provisionState: "active", powerState: "power on" };
const AVAILABLE = { provisionState: "available", powerState: "power off" };
const cd = (inserted: boolean, image: string | null = inserted ? "http://ironic/redfish/boot-x.iso" : null): VirtualMedia[] => [
    { media_types: ["CD", "DVD"], inserted, image },
];

function outputsOf(inputs: Record<string, unknown>, rec: { provisionState: string; powerState: string }): Record<string, unknown> {
    return {
        ...inputs,
        secretDigests: { key, bmcPassword: secretDigest(key, "pw"), ownerKeyId: ownerKeyId(key) },
        provisioningState: rec.provisionState === "active" ? "externally provisioned" : "available",
        ironicProvisionState: rec.provisionState,
        powerState: rec.powerState,
        poweredOn: rec.powerState === "power on",
        nodeUuid: "u",
    };
}

async function preview(oldInputs: Record<string, unknown>, newInputs: Record<string, unknown>, rec: { provisionState: string; powerState: string }) {
    const log = captureLogger();
    try {
        const d = await diff("u", outputsOf(oldInputs, rec), newInputs, log);
        return { d, said: log.warnings().join("\n") };
    } catch (e) {
        return { error: (e as Error).message, said: log.warnings().join("\n") };
    }
}

describe("data images: the decision (desired URL + recorded + the BMC's virtual CD)", () => {
    const withImage = spec({ ...base, dataImage: { url: ISO } });
    const without = spec(base);
    const node = (recorded?: string) => ({ extra: recorded ? { [EXTRA.dataImage]: recorded } : {} });

    it("asked for, nothing recorded, CD empty: attach", () => {
        expect(dataImageStep(withImage, node(), cd(false))).to.deep.include({ kind: "attach", url: ISO });
    });
    it("attached and still inserted: nothing", () => {
        expect(dataImageStep(withImage, node(ISO), cd(true)).kind).to.equal("none");
        // Not looked at (preview): the record stands for the CD.
        expect(dataImageStep(withImage, node(ISO)).kind).to.equal("none");
    });
    it("recorded but ejected meanwhile (outside pulumi-metal3, or by a rebuild): attach again", () => {
        const step = dataImageStep(withImage, node(ISO), cd(false));
        expect(step).to.deep.include({ kind: "attach", url: ISO });
        expect((step as { reason: string }).reason).to.contain("no media inserted");
    });
    it("removed: eject the recorded one; already ejected: only the record goes", () => {
        expect(dataImageStep(without, node(ISO), cd(true))).to.deep.include({ kind: "detach", url: ISO, reason: "dataImage removed" });
        expect(dataImageStep(without, node(ISO), cd(false)).kind).to.equal("forget");
    });
    it("URL changed: eject the old one first, then (next step) attach the new one", () => {
        const next = spec({ ...base, dataImage: { url: "http://127.0.0.1:8080/other.iso" } });
        expect(dataImageStep(next, node(ISO), cd(true))).to.deep.include({ kind: "detach", url: ISO });
        expect(dataImageStep(next, node(), cd(false))).to.deep.include({ kind: "attach", url: "http://127.0.0.1:8080/other.iso" });
    });
    it("a CD someone else inserted is never replaced: refused, saying how to eject it", () => {
        const step = dataImageStep(withImage, node(), cd(true, "http://elsewhere/x.iso"));
        expect(step.kind).to.equal("fail");
        expect((step as { message: string }).message)
            .to.contain("http://elsewhere/x.iso")
            .and.contain("baremetal node vmedia detach");
    });
    it("nothing asked, nothing recorded: nothing, whatever is in the CD (a virtual-media boot's own ISO stays)", () => {
        expect(dataImageStep(without, node(), cd(true)).kind).to.equal("none");
    });
});

describe("data images in the lifecycle and the plan", () => {
    it("a provisioned host: one attach step, no provision or power step, before a reboot asked in the same change", () => {
        const plan = planChange(spec(base), spec({ ...base, dataImage: { url: ISO }, rebootRequest: "r1" }), ACTIVE);
        expect(plan.steps.map((s) => s.kind)).to.deep.equal(["attach-data-image", "reboot"]);
        expect(plan.wipe).to.equal(undefined);
        expect(plan.costs).to.deep.include({ kind: "attach-data-image", url: ISO });
    });
    it("removed from a provisioned host: one detach step", () => {
        const plan = planChange(spec({ ...base, dataImage: { url: ISO } }), spec(base), ACTIVE);
        expect(plan.steps.map((s) => s.kind)).to.deep.equal(["detach-data-image"]);
        expect(plan.costs).to.deep.equal([{ kind: "detach-data-image", url: ISO }]);
    });
    it("unchanged: no step", () => {
        const s = spec({ ...base, dataImage: { url: ISO } });
        expect(planChange(s, s, ACTIVE).steps).to.deep.equal([]);
    });
    it("a host that is not provisioned: no step, the data image waits (said as a cost)", () => {
        const avail = { ...base, externallyProvisioned: false };
        const plan = planChange(spec(avail), spec({ ...avail, dataImage: { url: ISO } }), AVAILABLE);
        expect(plan.steps).to.deep.equal([]);
        expect(plan.costs).to.deep.equal([{ kind: "data-image-waits", url: ISO, ends: "available" }]);
    });
    it("the update takes the same step the preview announced (nextAction on the node with its virtual CD)", () => {
        const s = spec({ ...base, dataImage: { url: ISO } });
        const observed = recordedNode(spec(base), ACTIVE);
        expect(nextAction(s, { ...observed, vmedia: cd(false) })).to.deep.include({ kind: "attach-data-image", url: ISO });
    });
});

describe("data images: reprovision and delete", () => {
    const deployed = {
        ...base,
        externallyProvisioned: false,
        image: { url: "http://127.0.0.1/os.qcow2", checksum: "abc", format: "qcow2" },
        dataImage: { url: ISO },
    };
    it("a reprovision through virtual media (Ironic ejects every CD) attaches the data image again after the rebuild; through PXE it stays", () => {
        const vm = { ...deployed, bmc: { ...(base.bmc as object), address: "redfish-virtualmedia+http://127.0.0.1:8000/redfish/v1/Systems/abc" } };
        const changed = (i: Record<string, unknown>) => ({ ...i, image: { url: "http://127.0.0.1/os-2.qcow2", checksum: "abd", format: "qcow2" } });
        expect(planChange(spec(vm), spec(changed(vm)), ACTIVE).steps.map((s) => s.kind)).to.deep.equal(["deploy", "attach-data-image"]);
        expect(planChange(spec(deployed), spec(changed(deployed)), ACTIVE).steps.map((s) => s.kind)).to.deep.equal(["deploy"]);
    });
    it("deleting a provisioned host ejects its data image first (nothing else would once the node is gone); without one, as before", () => {
        const node = { ...recordedNode(spec(base), ACTIVE).node, extra: { [EXTRA.dataImage]: ISO } };
        expect(nextDeleteAction({ externallyProvisioned: true, disablePowerOff: false }, node)).to.deep.include({ kind: "detach-data-image", url: ISO });
        expect(nextDeleteAction({ externallyProvisioned: true, disablePowerOff: false }, { ...node, extra: {} }).kind).to.equal("set-maintenance");
    });
});

describe("data images: the preview", () => {
    it("attach on a provisioned host: WILL ATTACH DATA IMAGE <url> (no reboot, no wipe)", async () => {
        const { d, said } = await preview(base, { ...base, dataImage: { url: ISO } }, ACTIVE);
        expect(d!.reprovision).to.equal(undefined);
        expect(said).to.contain(
            `WILL ATTACH DATA IMAGE ${ISO} to host default~di (virtual CD; no reboot, no wipe): attach data image ${ISO} (virtual CD); ends active, power on`,
        );
        expect(said).to.not.contain("REPROVISION");
    });
    it("a URL not known until apply: still announced as an attach", async () => {
        const { UNKNOWN } = await import("../../sdk/schemas/common");
        for (const dataImage of [{ url: UNKNOWN }, UNKNOWN]) {
            const { said } = await preview(base, { ...base, dataImage }, ACTIVE);
            expect(said).to.contain("WILL ATTACH DATA IMAGE (known after apply) to host default~di");
        }
    });
    it("removed: WILL DETACH DATA IMAGE <url>", async () => {
        const { said } = await preview({ ...base, dataImage: { url: ISO } }, base, ACTIVE);
        expect(said).to.contain(`WILL DETACH DATA IMAGE ${ISO} from host default~di (ejected; no reboot, no wipe)`);
    });
    it("on a host that is not provisioned: it says the data image waits until the host is", async () => {
        const avail = { ...base, externallyProvisioned: false };
        const { said } = await preview(avail, { ...avail, dataImage: { url: ISO } }, AVAILABLE);
        expect(said).to.contain(`DATA IMAGE ${ISO} WAITS on host default~di: the host is not provisioned (it ends available)`);
        // At create too.
        const log = captureLogger();
        await check({}, { ...avail, dataImage: { url: ISO } }, undefined, log);
        expect(log.warnings().join("\n")).to.contain(`DATA IMAGE ${ISO} WAITS: the host is not provisioned`);
    });
});

describe("data images: bad values are refused at preview, naming dataImage", () => {
    const failures = async (inputs: Record<string, unknown>) => (await check({}, inputs, { url: "http://127.0.0.1:6385" }, captureLogger())).failures ?? [];
    it("a URL Ironic cannot serve to the BMC (scheme, no host, credentials in it)", async () => {
        for (const url of ["ftp://127.0.0.1/x.iso", "nfs://server/x.iso", "not a url", "http:///x.iso", "http://u:p@127.0.0.1/x.iso"]) {
            const f = await failures({ ...base, dataImage: { url } });
            expect(
                f.map((x) => x.property),
                url,
            ).to.include("dataImage.url");
        }
    });
    it("a BMC without virtual media (IPMI, fake)", async () => {
        const f = await failures({ ...base, bmc: { address: "ipmi://127.0.0.1:623", username: "u", password: "p" }, dataImage: { url: ISO } });
        expect(f).to.deep.include({
            property: "dataImage",
            reason: "a ipmi:// BMC has no virtual media (Ironic's ipmi hardware type cannot attach an ISO); data images need a Redfish-family BMC (redfish://, redfish-virtualmedia://, idrac-virtualmedia://, …)",
        });
    });
    it("a live ISO (booted from the same virtual CD)", async () => {
        const f = await failures({
            ...base,
            externallyProvisioned: false,
            image: { url: "http://127.0.0.1/live.iso", format: "live-iso" },
            dataImage: { url: ISO },
        });
        expect(f.map((x) => x.property)).to.include("dataImage");
    });
    it("an unknown property inside dataImage", async () => {
        const f = await failures({ ...base, dataImage: { url: ISO, checksum: "x" } });
        expect(f.map((x) => x.property).join(" ")).to.contain("dataImage");
    });
});
