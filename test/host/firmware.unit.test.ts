// Firmware settings, the pure half (provider/host/firmware.ts): the check against the registry
// Ironic reports, the step Ironic is asked to run, and the lifecycle's one decision (manual
// cleaning when not provisioned, servicing when active, never a rebuild) as the preview (diff)
// announces it. Against the real Ironic and a Redfish BMC with BIOS: test/lab/firmware-engine.test.ts.
import { expect } from "chai";
import { firmwarePlan, firmwareProblems, firmwareSteps, registryOf, reportedSettings } from "../../provider/host/firmware";
import type { BiosSetting } from "../../provider/ironic/types";
import { hostSpecFromInputs, PlainHostInputs, secretDigest } from "../../provider/host/desired";
import { planChange } from "../../provider/host/plan";
import { dayTwoWords } from "../../sdk/providers/host-preview";
import { check, diff } from "../../sdk/providers/host";
import { captureLogger } from "../support/capture-logger";
import { ownerKeyId } from "../../provider/owner-record";

// As Ironic 39 reports sushy-tools' BIOS registry (GET /v1/nodes/{id}/bios?detail=True).
const BIOS: BiosSetting[] = [
    { name: "ProcTurboMode", value: "Enabled", attribute_type: "Enumeration", allowable_values: ["Enabled", "Disabled"], read_only: false },
    { name: "NumCores", value: "10", attribute_type: "Integer", lower_bound: 10, upper_bound: 20, read_only: true },
    { name: "SerialNumber", value: "QPX12345", attribute_type: "String", min_length: 0, max_length: 16, read_only: false },
    { name: "SysPassword", value: "", attribute_type: "Password", read_only: false },
];

const key = "fedcba9876543210";
const base: Record<string, unknown> = {
    name: "fw",
    bmc: { address: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/abc", username: "admin", password: "pw" },
    online: true,
    bootMACAddress: "52:54:00:00:00:21",
    inspectionMode: "disabled",
    automatedCleaningMode: "disabled",
};
function outputsOf(inputs: Record<string, unknown>, state: "available" | "active"): Record<string, unknown> {
    const { bmc, ...pub } = inputs as Record<string, unknown> & { bmc: Record<string, unknown> };
    const { password, ...pubBmc } = bmc;
    return {
        ...pub,
        bmc: pubBmc,
        secretDigests: { key, bmcPassword: secretDigest(key, password), ownerKeyId: ownerKeyId(key) },
        ironicProvisionState: state,
        provisioningState: state === "active" ? "externally provisioned" : "available",
        powerState: "power on",
        poweredOn: true,
        nodeUuid: "u",
        firmwareSettings: reportedSettings(BIOS),
        firmwareRegistry: registryOf(BIOS),
    };
}
const spec = (i: Record<string, unknown>) => hostSpecFromInputs(i as unknown as PlainHostInputs, { apiVersion: "1.82", digestKey: key });

describe("firmware settings (pure)", () => {
    it("the plan: values as strings, names sorted, a fingerprint that changes with any value; none for no settings", () => {
        const p = firmwarePlan({ ProcTurboMode: "Disabled", NumCores: 12 })!;
        expect(p.settings).to.deep.equal({ NumCores: "12", ProcTurboMode: "Disabled" });
        expect(firmwarePlan({ ProcTurboMode: "Enabled", NumCores: 12 })!.fingerprint).to.not.equal(p.fingerprint);
        expect(firmwarePlan({ NumCores: "12", ProcTurboMode: "Disabled" })!.fingerprint).to.equal(p.fingerprint);
        expect(firmwarePlan(undefined)).to.equal(undefined);
        expect(firmwarePlan({})).to.equal(undefined);
    });

    it("the step: bios.apply_configuration with the settings as a list of {name, value}", () => {
        expect(firmwareSteps(firmwarePlan({ ProcTurboMode: "Disabled" })!)).to.deep.equal([
            { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcTurboMode", value: "Disabled" }] } },
        ]);
    });

    it("reported settings leave passwords out; no registry is recorded from Ironic's fake BIOS (names and values only)", () => {
        expect(reportedSettings(BIOS)).to.deep.equal({ NumCores: "10", ProcTurboMode: "Enabled", SerialNumber: "QPX12345" });
        expect(registryOf([{ name: "A", value: "1" }])).to.equal(undefined);
        expect(registryOf(BIOS)!.NumCores).to.deep.equal({ type: "Integer", lowerBound: 10, upperBound: 20, readOnly: true });
    });

    it("the check names each setting the registry refuses: read-only, not allowed, out of bounds, too long, unknown", () => {
        const r = registryOf(BIOS);
        expect(firmwareProblems({ ProcTurboMode: "Disabled", SerialNumber: "X1" }, r)).to.deep.equal([]);
        expect(firmwareProblems({ NumCores: "12" }, r)).to.deep.equal([{ name: "NumCores", message: 'BIOS setting "NumCores" is read-only on this host' }]);
        expect(firmwareProblems({ ProcTurboMode: "Maybe" }, r)[0].message).to.equal(
            '"Maybe" is not an allowed value of BIOS setting "ProcTurboMode" (allowed: Enabled, Disabled)',
        );
        expect(firmwareProblems({ SerialNumber: "x".repeat(17) }, r)[0].message).to.equal('BIOS setting "SerialNumber" must be at most 16 characters');
        expect(firmwareProblems({ Nope: "1" }, r)[0].name).to.equal("Nope");
        const bounded = registryOf([{ name: "Cores", value: "4", attribute_type: "Integer", lower_bound: 1, upper_bound: 8 }]);
        expect(firmwareProblems({ Cores: "9" }, bounded)[0].message).to.equal('BIOS setting "Cores" must be at most 8 (got 9)');
        expect(firmwareProblems({ Cores: "two" }, bounded)[0].message).to.equal('BIOS setting "Cores" takes an integer (got "two")');
        // Nothing recorded yet: nothing refused on a guess.
        expect(firmwareProblems({ NumCores: "12" }, undefined)).to.deep.equal([]);
    });

    it("an available host: manual cleaning (manage → clean → provide), announced as WILL CLEAN, no wipe", () => {
        const old = spec(base);
        const plan = planChange(old, spec({ ...base, firmware: { settings: { ProcTurboMode: "Disabled" } } }), {
            provisionState: "available",
            powerState: "power off",
        });
        expect(plan.steps.map((s) => s.kind)).to.deep.equal(["provision", "configure-firmware", "provision"]);
        expect(plan.firmware).to.equal("clean");
        expect(plan.wipe).to.equal(undefined);
        expect(plan.ends.provisionState).to.equal("available");
        expect(dayTwoWords(plan, "default~fw")).to.match(
            /^WILL CLEAN \(manual cleaning for firmware settings, no agent; reboots the host\) host default~fw: firmware settings changed/,
        );
    });

    it("a provisioned host (ours or externally provisioned): servicing, announced as WILL SERVICE (no wipe), ends active; never a rebuild", () => {
        const image = { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" };
        const updatePolicy = { firmwareSettings: "onReboot" };
        for (const inputs of [
            { ...base, image, updatePolicy },
            { ...base, externallyProvisioned: true, updatePolicy },
        ]) {
            const plan = planChange(spec(inputs), spec({ ...inputs, firmware: { settings: { ProcTurboMode: "Disabled" } } }), {
                provisionState: "active",
                powerState: "power on",
            });
            expect(plan.steps).to.deep.equal([{ kind: "configure-firmware", via: "service" }]);
            expect(plan.wipe).to.equal(undefined);
            expect(plan.ends.provisionState).to.equal("active");
            expect(dayTwoWords(plan, "default~fw")).to.equal(
                "WILL SERVICE (no wipe; reboots the host) host default~fw: firmware settings changed: service (firmware settings, reboot); ends active, power on",
            );
        }
    });

    it("without updatePolicy.firmwareSettings (as Metal³ without a HostUpdatePolicy) a provisioned host's settings change fails the preview naming updatePolicy; an available host is still cleaned", async () => {
        const olds = outputsOf({ ...base, externallyProvisioned: true }, "active");
        const news = { ...base, externallyProvisioned: true, firmware: { settings: { ProcTurboMode: "Disabled" } } };
        let refused: Error | undefined;
        await diff("u", olds, news, captureLogger()).catch((e: Error) => (refused = e));
        expect(refused?.message).to.contain("firmware.settings changed on a provisioned host").and.contain('updatePolicy: { firmwareSettings: "onReboot" }');
        const available = planChange(spec(base), spec({ ...base, firmware: { settings: { ProcTurboMode: "Disabled" } } }), {
            provisionState: "available",
            powerState: "power off",
        });
        expect(available.refusal).to.equal(undefined);
        expect(available.steps.map((s) => s.kind)).to.include("configure-firmware");
    });

    it("the preview (diff) says WILL SERVICE for a provisioned host, and check refuses a read-only setting naming firmware.settings.<name>", async () => {
        const updatePolicy = { firmwareSettings: "onReboot" };
        const olds = outputsOf({ ...base, externallyProvisioned: true, updatePolicy }, "active");
        const news = { ...base, externallyProvisioned: true, updatePolicy, firmware: { settings: { ProcTurboMode: "Disabled" } } };
        const log = captureLogger();
        const d = await diff("u", olds, news, log);
        expect(d.changed).to.deep.equal(["firmware"]);
        expect(d.reprovision).to.equal(undefined);
        expect(log.text()).to.contain("WILL SERVICE (no wipe; reboots the host) host default~fw: firmware settings changed");
        const refused = await check(olds, { ...news, firmware: { settings: { NumCores: "12", ProcTurboMode: "Maybe" } } }, { url: "http://127.0.0.1:1" });
        expect(refused.failures).to.deep.equal([
            { property: "firmware.settings.NumCores", reason: 'BIOS setting "NumCores" is read-only on this host' },
            {
                property: "firmware.settings.ProcTurboMode",
                reason: '"Maybe" is not an allowed value of BIOS setting "ProcTurboMode" (allowed: Enabled, Disabled)',
            },
        ]);
        expect((await check(olds, news, { url: "http://127.0.0.1:1" })).failures ?? []).to.deep.equal([]);
    });
});
