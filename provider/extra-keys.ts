// What pulumi-metal3 writes into Ironic's free-form `extra` fields, and how it reads it back:
// the keys on a host's node (BareMetalHost), on the node a Machine holds, and on a Machine's
// allocation, plus the host labels. One home, so the host lifecycle, the claim and the Machine
// agree on every name. Pure, a leaf.
import type { Node } from "./ironic/types";

/** Keys the BareMetalHost keeps in node.extra. */
export const EXTRA = {
    managed: "pulumi_metal3_managed",
    bmcFingerprint: "pulumi_metal3_bmc",
    deployment: "pulumi_metal3_deployment",
    raid: "pulumi_metal3_raid",
    /** Fingerprint of the firmware (BIOS) settings last applied (provider/host/firmware.ts). */
    firmware: "pulumi_metal3_firmware",
    labels: "metal3_labels",
    /** Who declared the host: `<project>/<stack>`, the format Machines record on their claims. */
    owner: "pulumi_metal3_owner",
    /** The Pulumi resource name that declared the host, within that stack. */
    resource: "pulumi_metal3_resource",
    /** "true" while the host's own program puts (or keeps) an image on it: not for Machines. */
    hostImage: "pulumi_metal3_host_image",
    /** The last `rebootRequest` carried out (or recorded without a reboot): a new one means "reboot now". */
    reboot: "pulumi_metal3_reboot",
    /** The last `inspectRequest` carried out: a new one means "inspect again". */
    inspect: "pulumi_metal3_inspect",
    /** On a node re-enrolled after a detach: the provision state it had ("active": adopt it, never deploy). */
    reattach: "pulumi_metal3_reattach",
    /** The dataImage URL attached by virtual media (recorded once the BMC showed it inserted). */
    dataImage: "pulumi_metal3_data_image",
} as const;

/** The Machine's name and cluster, as both its allocation and the node it holds record them. */
const MACHINE_KEY = "pulumi_metal3_machine";
const CLUSTER_KEY = "pulumi_metal3_cluster";

/** node.extra keys a Machine writes on the host it holds (removed when it lets go). */
export const MACHINE_NODE_EXTRA = {
    machine: MACHINE_KEY,
    labels: "pulumi_metal3_machine_labels",
    description: "pulumi_metal3_machine_description",
    cluster: CLUSTER_KEY,
} as const;

/** Keys of `allocation.extra` that record who owns the claim. */
export const OWNER_KEYS = {
    machine: MACHINE_KEY,
    cluster: CLUSTER_KEY,
    specHash: "pulumi_metal3_spec_hash",
    owner: EXTRA.owner,
} as const;

/** An extra value that holds a JSON object, also when stored as its JSON text; anything else is {}. */
export function extraObject(raw: unknown): object {
    if (typeof raw === "string") {
        try {
            raw = JSON.parse(raw);
        } catch {
            return {};
        }
    }
    return raw && typeof raw === "object" ? raw : {};
}

/** The host's labels (string values only); tolerates the object stored as a JSON string. */
export function hostLabels(node: Pick<Node, "extra">): Record<string, string> {
    const raw = extraObject(node.extra?.[EXTRA.labels]);
    const labels: Record<string, string> = {};
    if (Array.isArray(raw)) return labels;
    for (const [k, v] of Object.entries(raw)) if (typeof v === "string") labels[k] = v;
    return labels;
}
