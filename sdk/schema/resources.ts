// The resource contract, written once: each resource's zod input schema (the source of truth),
// which inputs are secret or force a replacement, which inputs its outputs withhold (kept as
// digests only), and its computed outputs. Everything else is derived from here: schema.json
// (generate.ts), the dynamic and native classes' outputs and secret outputs (sdk/baremetalhost.ts,
// sdk/machine.ts, sdk/plugin/native.ts), the secrets the SDK marks on inputs (resource-props.ts),
// the plugin's secret paths (sdk/plugin/server.ts) and the host provider's key lists
// (sdk/providers/host.ts). test/contract.unit.test.ts fails when any of them marks another set.
import type { ZodTypeAny } from "zod";
import { bareMetalHostInputsSchema, HOST_SECRET_INPUTS } from "../schemas/baremetalhost";
import { machineArgsSchema, MACHINE_REPLACE_PROPERTIES, MACHINE_SECRET_INPUTS } from "../schemas/machine";

/** The Pulumi package: resource tokens `metal3:index:*`, config `metal3:*`, plugin `pulumi-resource-metal3`. */
export const PACKAGE = "metal3";

export interface OutputSpec {
    type?: string;
    $ref?: string;
    items?: Record<string, unknown>;
    description: string;
    secret?: boolean;
    required?: boolean;
}

export interface ResourceEntry {
    type: string;
    description: string;
    inputs: ZodTypeAny;
    /** Input paths (`bmc.password`) whose values are secrets. */
    secretInputs: readonly string[];
    /**
     * Input paths the outputs do not echo (their keyed digests are in `secretDigests` instead);
     * every other input is echoed into the outputs as given.
     */
    withheldInputs: readonly string[];
    replaceOnChanges: readonly string[];
    outputs: Record<string, OutputSpec>;
}

const any = { $ref: "pulumi.json#/Any" };

export const RESOURCES: ResourceEntry[] = [
    {
        type: "BareMetalHost",
        description:
            "One server, declared like Metal³'s BareMetalHost and driven through Ironic: enrolled, inspected, cleaned, " +
            "optionally provisioned with an image, powered as `online` says, and given back on destroy. " +
            "Dynamic twin: pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost.",
        inputs: bareMetalHostInputsSchema,
        secretInputs: HOST_SECRET_INPUTS,
        withheldInputs: ["bmc.password", "userData", "networkData", "metaData"],
        replaceOnChanges: ["name", "namespace", "bootMACAddress"],
        outputs: {
            nodeUuid: { type: "string", description: "Ironic node UUID (also the resource id)." },
            nodeName: { type: "string", description: "Ironic node name, `<namespace>~<name>`." },
            provisioningState: {
                type: "string",
                description: "Metal³ provisioning state (registering, inspecting, preparing, available, provisioning, provisioned, deprovisioning, ...).",
            },
            ironicProvisionState: { type: "string", description: "Ironic's own provision state." },
            poweredOn: { type: "boolean", description: "Whether Ironic reports the host powered on." },
            powerState: { type: "string", description: "Ironic power state.", required: false },
            maintenance: { type: "boolean", description: "Whether the node is in Ironic maintenance." },
            hardware: { ...any, description: "Metal³ HardwareDetails from Ironic's inventory, else the node's properties." },
            errorMessage: { type: "string", description: "Ironic last_error (empty when healthy)." },
            lastUpdated: { type: "string", description: "When the node last changed in Ironic." },
            driver: { type: "string", description: "Ironic hardware type chosen from the BMC URL scheme." },
            firmwareSettings: {
                ...any,
                description:
                    "The BIOS settings Ironic reports after the last run (name → value; passwords left out), when the host's BIOS interface reads any.",
                required: false,
            },
            firmwareRegistry: {
                ...any,
                description:
                    "The BIOS registry Ironic reported (per setting: type, allowableValues, lowerBound/upperBound, min/maxLength, readOnly): the next preview checks firmware.settings against it.",
                required: false,
            },
            attachedDataImage: {
                type: "string",
                description:
                    "The dataImage URL pulumi-metal3 attached to the host's virtual CD, once the BMC showed it inserted (Metal³ DataImage status.attachedImage.url); absent when none is.",
                required: false,
            },
            detachedDeploymentRecord: {
                type: "string",
                description:
                    "While detached: the deployment record (a keyed digest) the removed Ironic node carried, written on it again when it is re-attached.",
                required: false,
            },
            secretDigests: { ...any, description: "Digests of secret inputs, to detect changes without storing them.", secret: true },
        },
    },
    {
        type: "Machine",
        description:
            "A Cluster API style machine: claims a host from the pool atomically through an Ironic allocation, deploys an image on it, " +
            "and is replaced (never edited) when what is on its disk changes. Dynamic twin: pulumi-nodejs:dynamic/pulumi-metal3:Machine.",
        inputs: machineArgsSchema,
        secretInputs: MACHINE_SECRET_INPUTS,
        withheldInputs: [],
        replaceOnChanges: MACHINE_REPLACE_PROPERTIES,
        outputs: {
            hostName: { type: "string", description: "Name of the claimed BareMetalHost." },
            nodeUuid: { type: "string", description: "Ironic node UUID of the claimed host." },
            providerID: { type: "string", description: "CAPM3 form: metal3://<namespace>/<host>/<machine>." },
            addresses: { type: "array", items: any, description: "Addresses from the host's inspection inventory." },
            provisioningState: { type: "string", description: "Metal³ provisioning state of the claimed host." },
            ready: { type: "boolean", description: "True when the host is active with the Machine's image." },
            allocationUuid: { type: "string", description: "The Ironic allocation holding the claim (also the resource id)." },
            allocationName: { type: "string", description: "Allocation name, `<namespace>~<machine>`." },
            machineName: { type: "string", description: "Resolved machine name." },
            machineNamespace: { type: "string", description: "Resolved namespace." },
            specDigestKey: {
                type: "string",
                description: "Key of the spec hash recorded on the allocation (an HMAC, so the allocation reveals nothing of the user data).",
                secret: true,
            },
        },
    },
];

export type ResourceType = "BareMetalHost" | "Machine";

export function resourceEntry(type: ResourceType): ResourceEntry {
    const r = RESOURCES.find((x) => x.type === type);
    if (!r) throw new Error(`no resource ${type} in the contract`);
    return r;
}

/** The computed outputs a class declares (besides the inputs it echoes). */
export function outputNames(type: ResourceType): string[] {
    return Object.keys(resourceEntry(type).outputs);
}

/** The input names (keys of the zod object). */
export function inputNames(type: ResourceType): string[] {
    const s = resourceEntry(type).inputs as ZodTypeAny & { shape?: Record<string, unknown>; _def: any };
    // machineArgsSchema is the object wrapped in superRefine (ZodEffects): its object is `_def.schema`.
    const obj = s.shape ? s : s._def?.schema;
    return Object.keys(obj.shape);
}

/**
 * Top-level outputs that are secret as a whole (`additionalSecretOutputs`): those the contract
 * marks secret, and every echoed input that holds a secret (a Machine echoes its user data; a
 * host echoes its connection, credentials included).
 */
export function secretOutputNames(type: ResourceType): string[] {
    const r = resourceEntry(type);
    const own = Object.entries(r.outputs)
        .filter(([, o]) => o.secret)
        .map(([k]) => k);
    const echoed = r.secretInputs.filter((p) => !r.withheldInputs.includes(p)).map((p) => p.split(".")[0]);
    return [...new Set([...own, ...echoed])];
}
