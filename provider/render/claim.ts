// A host held by a Machine, on its BareMetalHost object.
//
// One writer per object: the host's own BareMetalHost object (sdk/kubernetes.ts emitHostObjects)
// carries every field, those of the Machine that holds it included. Two writers (the host object
// and a server-side-apply patch from the Machine, as before) cannot converge: the Machine runs
// after the host in an `up`, so the host object's `online` and status annotation are stale the
// moment the Machine deploys; a forced patch takes them over, and when the Machine goes its patch
// is relinquished and takes them with it (no `online`, no status: baremetal-operator would
// register and inspect the host again). So the host object waits for the Machines of the program
// (sdk/claims.ts) and renders what Metal³ shows for a claimed host, from what the Machine saw:
//   spec:        consumerRef, image/customDeploy, userData/networkData/metaData refs,
//                automatedCleaningMode (CAPM3 setHostSpec), online as the Machine left it
//   labels:      cluster.x-k8s.io/cluster-name (CAPM3)
//   status:      provisioning.state (provisioned once deployed), provisioning.ID = node UUID,
//                provisioning.image = the Machine's image, poweredOn (the host resource's
//                hardware and credentials stay)
// With no Machine holding it, the host renders its own declaration and its own observed state:
// `available`, `online` as declared.
import type { HostRenderInput } from "./types";

/** The host input with the claim's fields in place of the host's own (a claimed host has none of its own). */
export function withClaim(input: HostRenderInput): HostRenderInput {
    const claim = input.claim;
    if (!claim) return input;
    const who = `BareMetalHost ${input.namespace ?? "default"}/${input.name}`;
    if (input.image || input.customDeploy || input.externallyProvisioned)
        throw new Error(`${who}: claimed by a Machine but has its own image/customDeploy/externallyProvisioned (such a host is never claimed)`);
    const labels = { ...(input.labels ?? {}), ...(claim.labels ?? {}) };
    return {
        ...input,
        labels: Object.keys(labels).length ? labels : undefined,
        online: claim.online,
        image: claim.spec.image,
        customDeploy: claim.spec.customDeploy,
        automatedCleaningMode: claim.spec.automatedCleaningMode ?? input.automatedCleaningMode,
        consumerRef: claim.spec.consumerRef,
        status: input.status && {
            ...input.status,
            nodeUuid: claim.nodeUuid || input.status.nodeUuid,
            provisioningState: claim.provisioningState,
            ironicProvisionState: claim.ironicProvisionState,
            poweredOn: claim.poweredOn,
            // The host resource's own error (if any) is from before the claim; the Machine's state rules.
            errorMessage: "",
            errorType: undefined,
        },
    };
}
