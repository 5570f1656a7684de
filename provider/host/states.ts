// Ironic provision states → Metal³ provisioning states (REFERENCE §6.1), for what users see.
// Differences from BMO, on purpose: a host that is ready to be claimed is Ironic `available`
// (provided and cleaned) rather than `manageable`, so Ironic allocations can pick it.
import type { Node } from "../ironic/types";

export type Metal3ProvisioningState =
    | ""
    | "registering"
    | "inspecting"
    | "preparing"
    | "available"
    | "provisioning"
    | "provisioned"
    | "externally provisioned"
    | "deprovisioning"
    | "deleting";

/** Ironic states where something is running in the conductor and we can only wait. */
export const TRANSIENT_STATES = new Set([
    "verifying",
    "inspecting",
    "inspect wait",
    "cleaning",
    "clean wait",
    "deploying",
    "wait call-back",
    "deleting",
    "adopting",
    "rescuing",
    "rescue wait",
    "unrescuing",
    "servicing",
    "service wait",
]);

/** Ironic states that mean the last operation failed (node.last_error says why). */
export const FAILED_STATES = new Set([
    "inspect failed",
    "clean failed",
    "deploy failed",
    "adopt failed",
    "rescue failed",
    "unrescue failed",
    "service failed",
    "error",
]);

/**
 * The Metal³ word for where the node is. `externallyProvisioned` distinguishes an adopted node
 * from one we deployed; cleaning is "deprovisioning" when it follows an undeploy.
 */
export function metal3State(node: Node | undefined, opts: { externallyProvisioned?: boolean; deprovisioning?: boolean } = {}): Metal3ProvisioningState {
    if (!node) return "";
    const state = node.provision_state;
    const target = node.target_provision_state;
    switch (state) {
        case "enroll":
        case "verifying":
            return "registering";
        case "inspecting":
        case "inspect wait":
        case "inspect failed":
            return "inspecting";
        case "manageable":
            if (target === "active") return opts.externallyProvisioned ? "externally provisioned" : "provisioning";
            return "preparing";
        case "cleaning":
        case "clean wait":
        case "clean failed":
            // After an undeploy Ironic cleans on its way to `available`: BMO calls that deprovisioning.
            return opts.deprovisioning ? "deprovisioning" : "preparing";
        case "available":
            return "available";
        case "deploying":
        case "wait call-back":
        case "deploy failed":
            return "provisioning";
        case "active":
        case "rescue":
        case "rescuing":
        case "rescue wait":
        case "rescue failed":
        case "unrescuing":
        case "unrescue failed":
        case "servicing":
        case "service wait":
        case "service failed":
            return opts.externallyProvisioned ? "externally provisioned" : "provisioned";
        case "adopting":
        case "adopt failed":
            return "externally provisioned";
        case "deleting":
        case "error":
            return "deprovisioning";
        default:
            return "registering";
    }
}
