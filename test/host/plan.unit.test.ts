// One source decides whether a change wipes a host: every kind of change goes through the
// preview (diff(), which sees only the outputs of the last run: public inputs and salted secret
// digests) and through the lifecycle decision the update follows (nextAction, step after step,
// on a node registered and deployed with the real old inputs, secrets included), and both must
// say the same thing, which must be the expected one.
import { expect } from "chai";
import { captureLogger } from "../support/capture-logger";
import { diff } from "../../sdk/providers/host";
import { hostSpecFromInputs, PlainHostInputs, secretDigest } from "../../provider/host/desired";
import { ownerKeyId } from "../../provider/owner-record";
import { EXTRA, HostAction, nextAction } from "../../provider/host/lifecycle";
import { predictSteps, recordedNode } from "../../provider/host/plan";
import { stepText } from "../../provider/host/words";
import type { HostSpec } from "../../provider/host/spec";
import { UNKNOWN } from "../../sdk/schemas/common";

/** The resource's digest key, as its state holds it. */
const key = "fedcba9876543210";
const image = { url: "http://images.example/os-1.qcow2", checksum: "abc", format: "qcow2" };
const image2 = { url: "http://images.example/os-2.qcow2", checksum: "def", format: "qcow2" };
const base: Record<string, unknown> = {
    name: "h1",
    bmc: { address: "fake://plan", password: "bmc-pw" },
    online: true,
    bootMACAddress: "52:54:00:00:00:11",
    image,
    userData: "#cloud-config\n",
    networkData: "links: []\n",
    metaData: '{"role": "db"}',
    labels: { rack: "r1" },
};

interface Recorded {
    ironicProvisionState: string;
    powerState: string;
}
const ACTIVE: Recorded = { ironicProvisionState: "active", powerState: "power on" };
const ACTIVE_OFF: Recorded = { ironicProvisionState: "active", powerState: "power off" };
const AVAILABLE: Recorded = { ironicProvisionState: "available", powerState: "power off" };

/** The outputs a run with `inputs` leaves (what diff() gets as olds). */
function outputsOf(inputs: Record<string, unknown>, rec: Recorded): Record<string, unknown> {
    const { userData, networkData, metaData, bmc, ...pub } = inputs as Record<string, unknown> & { bmc: Record<string, unknown> };
    const { password, ...pubBmc } = bmc;
    return {
        ...pub,
        bmc: pubBmc,
        secretDigests: {
            key,
            bmcPassword: secretDigest(key, password),
            userData: secretDigest(key, userData),
            networkData: secretDigest(key, networkData),
            metaData: secretDigest(key, metaData),
            ownerKeyId: ownerKeyId(key),
        },
        provisioningState: rec.ironicProvisionState === "active" ? (inputs.externallyProvisioned ? "externally provisioned" : "provisioned") : "available",
        ironicProvisionState: rec.ironicProvisionState,
        powerState: rec.powerState,
        poweredOn: rec.powerState === "power on",
        nodeUuid: "u",
    };
}

const specOf = (i: Record<string, unknown>): HostSpec => hostSpecFromInputs(i as unknown as PlainHostInputs, { apiVersion: "1.82", digestKey: key });

/** The lifecycle's own answer: nextAction, step after step, from the node the old inputs (real secrets) left. */
function lifecycleDecision(oldInputs: Record<string, unknown>, newInputs: Record<string, unknown>, rec: Recorded): { verdict: string; steps: HostAction[] } {
    const oldSpec = specOf(oldInputs);
    const observed = recordedNode(oldSpec, { provisionState: rec.ironicProvisionState, powerState: rec.powerState });
    // The real node carries the fingerprint of the real (secret) data, which diff() never sees.
    if (oldSpec.deployment && rec.ironicProvisionState === "active" && !oldSpec.externallyProvisioned)
        expect(observed.node.extra[EXTRA.deployment]).to.equal(oldSpec.deployment.fingerprint);
    const newSpec = specOf(newInputs);
    const first = nextAction(newSpec, observed);
    const { steps, end, refusal } = predictSteps(newSpec, observed);
    if (refusal) return { verdict: "refuse", steps };
    if (first.kind === "done") return { verdict: "no wipe", steps };
    const wiped = rec.ironicProvisionState === "active" && steps.some((s) => s.kind === "undeploy" || (s.kind === "deploy" && s.rebuild));
    return { verdict: !wiped ? "no wipe" : end.provision_state === "active" ? "REPROVISION" : "DEPROVISION", steps };
}

async function previewDecision(
    oldInputs: Record<string, unknown>,
    newInputs: Record<string, unknown>,
    rec: Recorded,
): Promise<{ verdict: string; message: string }> {
    const log = captureLogger();
    try {
        const d = await diff("u", outputsOf(oldInputs, rec), newInputs, log);
        const message = log.warnings().join(" ");
        if (d.replaces?.length) return { verdict: "replace", message };
        if (!d.changes) return { verdict: "nothing", message };
        if (!d.reprovision) return { verdict: "update", message };
        return { verdict: d.reprovision.split("|")[0].replace(" (wipe)", ""), message };
    } catch (e) {
        return { verdict: "refuse", message: (e as Error).message };
    }
}

const without = (k: string) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
const raid = { hardwareRAIDVolumes: [{ level: "1" }] };
const ipmi = { address: "ipmi://127.0.0.1:6230", username: "admin", password: "password" };

// [what, old inputs, new inputs, recorded node, expected verdict, text the preview must say]
const TABLE: Array<[string, Record<string, unknown>, Record<string, unknown>, Recorded, string, string?]> = [
    ["nothing changed", base, base, ACTIVE, "nothing"],
    ["image on a provisioned host", base, { ...base, image: image2 }, ACTIVE, "REPROVISION", "image changed: rebuild; ends active, power on"],
    ["userData", base, { ...base, userData: "#cloud-config\nusers: []\n" }, ACTIVE, "REPROVISION", "userData changed"],
    ["networkData", base, { ...base, networkData: "links: [{id: eth0}]\n" }, ACTIVE, "REPROVISION", "networkData changed"],
    ["metaData", base, { ...base, metaData: '{"role": "web"}' }, ACTIVE, "REPROVISION", "metaData changed"],
    [
        "online: false with an image change → deprovisioned, not reprovisioned",
        base,
        { ...base, online: false, image: image2 },
        ACTIVE,
        "DEPROVISION",
        "host default~h1: online, image changed: undeploy (image or data changed while offline: deprovisioning); ends available, power off",
    ],
    ["online: false alone → powered off, no wipe", base, { ...base, online: false }, ACTIVE, "update"],
    [
        "online: true with an image change on a host that was off → reprovisioned",
        { ...base, online: false },
        { ...base, image: image2 },
        ACTIVE_OFF,
        "REPROVISION",
        "image changed",
    ],
    ["bootMode", base, { ...base, bootMode: "legacy" }, ACTIVE, "REPROVISION", "bootMode changed"],
    ["rootDeviceHints", base, { ...base, rootDeviceHints: { deviceName: "/dev/sdb" } }, ACTIVE, "REPROVISION", "rootDeviceHints changed"],
    ["customDeploy instead of an image", base, { ...without("image"), customDeploy: { method: "install_os" } }, ACTIVE, "REPROVISION", "customDeploy changed"],
    ["image removed", base, without("image"), ACTIVE, "DEPROVISION", "image removed: undeploy (image removed: deprovisioning); ends available, power off"],
    ["RAID added on a provisioned host → applied by a reprovision", base, { ...base, raid }, ACTIVE, "REPROVISION", "raid changed: undeploy (RAID changed"],
    [
        "RAID on an externally provisioned host → refused at preview",
        { ...base, externallyProvisioned: true },
        { ...base, externallyProvisioned: true, raid },
        ACTIVE,
        "refuse",
        "RAID cannot be applied to an externally provisioned host",
    ],
    ["labels", base, { ...base, labels: { rack: "r2" } }, ACTIVE, "update"],
    ["description", base, { ...base, description: "db server" }, ACTIVE, "update"],
    ["automatedCleaningMode", base, { ...base, automatedCleaningMode: "disabled" }, ACTIVE, "update"],
    ["inspectionMode", base, { ...base, inspectionMode: "disabled" }, ACTIVE, "update"],
    ["externallyProvisioned: true on our host", base, { ...base, externallyProvisioned: true }, ACTIVE, "update"],
    ["BMC address, same scheme", base, { ...base, bmc: { address: "fake://other", password: "bmc-pw" } }, ACTIVE, "update"],
    ["BMC password", base, { ...base, bmc: { address: "fake://plan", password: "new-pw" } }, ACTIVE, "update"],
    ["BMC scheme fake → ipmi on a provisioned host → driver switched in place", base, { ...base, bmc: ipmi }, ACTIVE, "update"],
    [
        "BMC scheme ipmi → redfish on an available host",
        { ...base, bmc: ipmi },
        { ...base, bmc: { address: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", username: "u", password: "p" } },
        AVAILABLE,
        "update",
    ],
    ["image on an available host → deploy, no wipe", without("image"), base, AVAILABLE, "update"],
    ["boot MAC → new node", base, { ...base, bootMACAddress: "52:54:00:00:00:12" }, ACTIVE, "replace"],
    ["name → new node", base, { ...base, name: "h2" }, ACTIVE, "replace"],
    ["namespace → new node", base, { ...base, namespace: "prod" }, ACTIVE, "replace"],
];

describe("host/plan: the preview and the update take the same decision", () => {
    for (const [what, oldInputs, newInputs, rec, expected, says] of TABLE) {
        it(`${what} → ${expected}`, async () => {
            const preview = await previewDecision(oldInputs, newInputs, rec);
            expect(preview.verdict, `preview: ${preview.message}`).to.equal(expected);
            if (says) expect(preview.message).to.contain(says);
            if (expected === "replace") return; // a new node: no update of this one to compare with
            const lifecycle = lifecycleDecision(oldInputs, newInputs, rec);
            const noWipe = expected === "update" || expected === "nothing";
            expect(lifecycle.verdict, `lifecycle steps: ${lifecycle.steps.map((a) => stepText(a)).join(" → ")}`).to.equal(noWipe ? "no wipe" : expected);
        });
    }

    it("the BMC scheme switch on an active node is one patch in maintenance: no undeploy, no rebuild", () => {
        const { steps } = lifecycleDecision(base, { ...base, bmc: ipmi }, ACTIVE);
        expect(steps.map((s) => (s.kind === "patch" && s.inMaintenance ? "patch-in-maintenance" : s.kind))).to.deep.equal(["patch-in-maintenance"]);
        const ops = (steps[0] as Extract<HostAction, { kind: "patch" }>).ops.map((o) => `${o.op} ${o.path}`);
        expect(ops).to.include.members(["add /driver", "add /boot_interface", "remove /power_interface", "add /driver_info/ipmi_address"]);
    });

    it("no input changed, but the last rebuild never reached Ironic (a failed update kept as partial state) → the preview announces the rebuild the update will do", async () => {
        const log = captureLogger();
        const d = await diff("u", { ...outputsOf(base, ACTIVE), deploymentPending: true }, base, log);
        expect(d.changes).to.equal(true);
        expect(d.reprovision).to.match(/^REPROVISION \(wipe\)/);
        // A wipe announced at preview is a warning, not mere progress.
        const message = log.warnings().join(" ");
        expect(message).to.contain("WILL REPROVISION (wipe) host default~h1: the last deploy never reached Ironic: rebuild; ends active, power on");
        // And the lifecycle on such a node: a pending record whose deploy Ironic never took means a rebuild.
        const oldSpec = specOf(base);
        const observed = recordedNode(oldSpec, { provisionState: "active", powerState: "power on", deploymentPending: true });
        expect(nextAction(oldSpec, observed)).to.deep.include({ kind: "deploy", rebuild: true });
    });

    it("an image unknown at preview on a provisioned host → announced as a possible wipe", async () => {
        const preview = await previewDecision(base, { ...base, image: UNKNOWN }, ACTIVE);
        expect(preview.verdict).to.equal("POSSIBLY REPROVISION");
        expect(preview.message).to.contain("image not known until apply");
        // A secret unknown at preview, too.
        expect((await previewDecision(base, { ...base, userData: UNKNOWN }, ACTIVE)).verdict).to.equal("POSSIBLY REPROVISION");
        // Labels unknown at preview never wipe.
        expect((await previewDecision(base, { ...base, labels: UNKNOWN }, ACTIVE)).verdict).to.equal("update");
    });

    it("secrets never reach the preview's message or plan", async () => {
        const log = captureLogger();
        const d = await diff("u", outputsOf(base, ACTIVE), { ...base, userData: "#cloud-config\npassword: do-not-leak\n" }, log);
        const out = log.text() + JSON.stringify(d);
        expect(out).to.contain("REPROVISION");
        expect(out).to.not.contain("do-not-leak");
        expect(out).to.not.contain("bmc-pw");
    });
});
