// Ironic provision states → Metal³ provisioning states (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go, ProvisioningState), for what users see.
// Differences from BMO, on purpose: a host that is ready to be claimed is Ironic `available`
// (provided and cleaned) rather than `manageable`, so Ironic allocations can pick it.
import type { Node } from "../ironic/types";
import { knownProvisionState, unknownState } from "../ironic/provision-states";

export type Metal3ProvisioningState =
    "" | "registering" | "inspecting" | "preparing" | "available" | "provisioning" | "provisioned" | "externally provisioned" | "deprovisioning" | "deleting";

// The failed and transient sets are Ironic's words, defined once with the client.
export { FAILED_STATES, TRANSIENT_STATES } from "../ironic/provision-states";

/**
 * The Metal³ word for where the node is. `externallyProvisioned` distinguishes an adopted node
 * from one we deployed; cleaning is "deprovisioning" when it follows an undeploy.
 */
export function metal3State(node: Node | undefined, opts: { externallyProvisioned?: boolean; deprovisioning?: boolean } = {}): Metal3ProvisioningState {
    if (!node) return "";
    const state = knownProvisionState(node.provision_state);
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
        case "clean hold":
            // After an undeploy Ironic cleans on its way to `available`: BMO calls that deprovisioning.
            return opts.deprovisioning ? "deprovisioning" : "preparing";
        case "available":
            return "available";
        case "deploying":
        case "wait call-back":
        case "deploy failed":
        case "deploy hold":
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
        case "service hold":
            return opts.externallyProvisioned ? "externally provisioned" : "provisioned";
        case "adopting":
        case "adopt failed":
            return "externally provisioned";
        case "deleting":
        case "error":
            return "deprovisioning";
        default:
            // A state a newer Ironic added: say nothing we cannot know.
            unknownState(state);
            return "registering";
    }
}
