// HardwareDetails as the BareMetalHost CRD declares it (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go, HardwareDetails), from whatever the host
// resource reports. The resource's own type may carry more (e.g. where the data came from) or
// numbers Ironic gave as floats; the status annotation must hold only what the CRD knows, with the
// CRD's types, or writing it back as `.status` after hand-over would be refused.
import type { HardwareDetails } from "./types";

type Json = Record<string, unknown>;
type Field = "string" | "int" | "number" | "bool" | "strings" | ((v: unknown) => unknown);

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function pick(value: unknown, fields: Record<string, Field>): Json | undefined {
    if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
    const out: Json = {};
    for (const [key, kind] of Object.entries(fields)) {
        const v = (value as Json)[key];
        const converted = convert(v, kind);
        if (converted !== undefined) out[key] = converted;
    }
    return Object.keys(out).length ? out : undefined;
}

function convert(v: unknown, kind: Field): unknown {
    if (v === undefined || v === null) return undefined;
    if (typeof kind === "function") return kind(v);
    switch (kind) {
        case "string":
            return typeof v === "string" ? v : undefined;
        case "bool":
            return typeof v === "boolean" ? v : undefined;
        case "number":
            return typeof v === "number" && Number.isFinite(v) ? v : undefined;
        case "int":
            return typeof v === "number" && Number.isFinite(v) ? Math.round(v) : undefined;
        case "strings":
            return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
    }
}

const list = (fields: Record<string, Field>) => (v: unknown) => (Array.isArray(v) ? v.map((x) => pick(x, fields) ?? {}) : undefined);
const vlanId = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 4094 ? v : undefined);
const mac = (v: unknown) => (typeof v === "string" && MAC.test(v) ? v : undefined);
const diskType = (v: unknown) => (v === "HDD" || v === "SSD" || v === "NVME" ? v : undefined);

const HARDWARE_FIELDS: Record<string, Field> = {
    systemVendor: (v) => pick(v, { manufacturer: "string", productName: "string", serialNumber: "string" }),
    firmware: (v) => pick(v, { bios: (b) => pick(b, { date: "string", vendor: "string", version: "string" }) }),
    ramMebibytes: "int",
    cpu: (v) => pick(v, { arch: "string", model: "string", clockMegahertz: "number", flags: "strings", count: "int" }),
    nics: list({
        name: "string",
        model: "string",
        mac,
        ip: "string",
        speedGbps: "int",
        vlans: list({ id: vlanId, name: "string" }),
        vlanId,
        pxe: "bool",
        lldp: (v) => pick(v, { switchID: "string", portID: "string", switchSystemName: "string" }),
        pciAddress: "string",
    }),
    storage: list({
        name: "string",
        alternateNames: "strings",
        rotational: "bool",
        type: diskType,
        sizeBytes: "int",
        vendor: "string",
        model: "string",
        serialNumber: "string",
        wwn: "string",
        wwnVendorExtension: "string",
        wwnWithExtension: "string",
        hctl: "string",
    }),
    hostname: "string",
};

/** The CRD's HardwareDetails from any hardware-like object; unknown keys dropped, types coerced. */
export function crdHardware(hardware: unknown): HardwareDetails | undefined {
    return pick(hardware, HARDWARE_FIELDS) as HardwareDetails | undefined;
}
