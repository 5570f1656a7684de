// Firmware (BIOS) settings of a host, as Metal³'s HostFirmwareSettings (baremetal-operator
// apis/metal3.io/v1alpha1/hostfirmwaresettings_types.go: spec.settings, a map of BIOS attribute
// name → value) applied through Ironic's BIOS interface: by manual cleaning on a host that is not
// provisioned, by servicing (Ironic API 1.87) on an active one, never by reprovisioning. Pure:
// the lifecycle (lifecycle.ts) asks firmwarePending, converge.ts carries the step out, the
// preview (plan.ts, sdk/providers/host.ts) checks the settings against the registry Ironic
// reported (GET /v1/nodes/{id}/bios?detail=True, recorded in the outputs) and says the cost.
//
// The step, `bios.apply_configuration`, is declared `requires_ramdisk=False` for cleaning and
// servicing in Ironic's Redfish BIOS interface (ironic/drivers/modules/redfish/bios.py): it PATCHes
// the BIOS Settings resource and reboots the host to apply them; no agent is booted (manual
// cleaning is asked with disable_ramdisk; servicing goes without a ramdisk by itself when no step
// needs one, ironic/conductor/servicing.py do_node_service).
import { createHash } from "crypto";
import { canonicalJson } from "../canonical-json";
import { EXTRA } from "../extra-keys";
import type { BiosSetting, Node } from "../ironic/types";

export type { BiosSetting };

/** What the program asks: attribute name → value (Ironic takes every value as a string). */
export interface FirmwarePlan {
    settings: Record<string, string>;
    /** Recorded on the node (extra) once applied: a different one means "apply again". */
    fingerprint: string;
}

/** The registry entry of one setting, as recorded in the outputs (what the preview checks against). */
export interface FirmwareRegistryEntry {
    type?: string;
    allowableValues?: string[];
    lowerBound?: number;
    upperBound?: number;
    minLength?: number;
    maxLength?: number;
    readOnly?: boolean;
}

/** The plan for `firmware.settings`, or undefined when the program does not manage firmware settings. */
export function firmwarePlan(settings: Record<string, string | number | boolean> | undefined): FirmwarePlan | undefined {
    if (!settings || Object.keys(settings).length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const k of Object.keys(settings).sort()) out[k] = String(settings[k]);
    return {
        settings: out,
        fingerprint: createHash("sha256")
            .update(`firmware\0${canonicalJson(out)}`)
            .digest("hex")
            .slice(0, 32),
    };
}

/** The program manages firmware settings and the node does not carry them yet. */
export function firmwarePending(plan: FirmwarePlan | undefined, node: Pick<Node, "extra">): boolean {
    return !!plan && node.extra?.[EXTRA.firmware] !== plan.fingerprint;
}

/** The clean or service step that applies `plan` (bios.apply_configuration takes a list of {name, value}). */
export function firmwareSteps(plan: FirmwarePlan): object[] {
    return [{ interface: "bios", step: "apply_configuration", args: { settings: Object.entries(plan.settings).map(([name, value]) => ({ name, value })) } }];
}

/** Settings Ironic reports, name → value (password-typed attributes left out: never shown). */
export function reportedSettings(settings: BiosSetting[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of [...settings].sort((a, b) => a.name.localeCompare(b.name))) {
        if (s.attribute_type === "Password") continue;
        out[s.name] = s.value ?? "";
    }
    return out;
}

/**
 * The registry as recorded in the outputs (only what the check needs); undefined when Ironic
 * reports none (its fake BIOS interface: names and values only), so nothing is refused on a guess.
 */
export function registryOf(settings: BiosSetting[]): Record<string, FirmwareRegistryEntry> | undefined {
    if (!settings.some((s) => s.attribute_type || s.allowable_values?.length || s.read_only)) return undefined;
    const out: Record<string, FirmwareRegistryEntry> = {};
    for (const s of [...settings].sort((a, b) => a.name.localeCompare(b.name))) {
        const e: FirmwareRegistryEntry = {};
        if (s.attribute_type) e.type = s.attribute_type;
        if (s.allowable_values && s.allowable_values.length) e.allowableValues = [...s.allowable_values];
        if (typeof s.lower_bound === "number") e.lowerBound = s.lower_bound;
        if (typeof s.upper_bound === "number") e.upperBound = s.upper_bound;
        if (typeof s.min_length === "number") e.minLength = s.min_length;
        if (typeof s.max_length === "number") e.maxLength = s.max_length;
        if (s.read_only) e.readOnly = true;
        out[s.name] = e;
    }
    return out;
}

/**
 * Why each desired setting cannot be applied, checked against the registry the host reported
 * (as BMO checks a HostFirmwareSettings against its FirmwareSchema,
 * baremetal-operator controllers/metal3.io/hostfirmwaresettings_controller.go): an unknown name, a read-only
 * setting, a value outside the allowable values or bounds. Empty: nothing to refuse (also when no
 * registry was recorded: nothing to check against yet).
 */
export function firmwareProblems(
    settings: Record<string, string>,
    registry: Record<string, FirmwareRegistryEntry> | undefined,
): { name: string; message: string }[] {
    if (!registry || Object.keys(registry).length === 0) return [];
    const problems: { name: string; message: string }[] = [];
    for (const [name, value] of Object.entries(settings)) {
        const r = registry[name];
        if (!r) {
            problems.push({ name, message: `the host reports no BIOS setting "${name}" (it has: ${Object.keys(registry).join(", ")})` });
            continue;
        }
        if (r.readOnly) {
            problems.push({ name, message: `BIOS setting "${name}" is read-only on this host` });
            continue;
        }
        if (r.allowableValues && !r.allowableValues.includes(value)) {
            problems.push({ name, message: `"${value}" is not an allowed value of BIOS setting "${name}" (allowed: ${r.allowableValues.join(", ")})` });
            continue;
        }
        if (r.type === "Integer" || r.lowerBound !== undefined || r.upperBound !== undefined) {
            const n = Number(value);
            if (r.type === "Integer" && !/^-?\d+$/.test(value)) problems.push({ name, message: `BIOS setting "${name}" takes an integer (got "${value}")` });
            else if (r.lowerBound !== undefined && n < r.lowerBound)
                problems.push({ name, message: `BIOS setting "${name}" must be at least ${r.lowerBound} (got ${value})` });
            else if (r.upperBound !== undefined && n > r.upperBound)
                problems.push({ name, message: `BIOS setting "${name}" must be at most ${r.upperBound} (got ${value})` });
            continue;
        }
        if (r.type === "Boolean" && value !== "true" && value !== "false") {
            problems.push({ name, message: `BIOS setting "${name}" takes true or false (got "${value}")` });
            continue;
        }
        if (r.minLength !== undefined && value.length < r.minLength)
            problems.push({ name, message: `BIOS setting "${name}" must be at least ${r.minLength} characters` });
        else if (r.maxLength !== undefined && value.length > r.maxLength)
            problems.push({ name, message: `BIOS setting "${name}" must be at most ${r.maxLength} characters` });
    }
    return problems;
}
