// Handing a host over from pulumi-metal3 to a real baremetal-operator (BMO).
//
// pulumi-metal3 drives Ironic itself and publishes each host as a BareMetalHost that is
//   - paused for BMO (`baremetalhost.metal3.io/paused: pulumi-metal3`), so a BMO watching the
//     namespace and pointed at the same Ironic does not fight over the node, and
//   - annotated with `baremetalhost.metal3.io/status`: the CRD status (provisioning.state,
//     provisioning.ID = Ironic node UUID, poweredOn, hardware, operationalStatus, errorType,
//     errorMessage, errorCount, provisioningFailCount, goodCredentials with the BMC Secret's
//     resourceVersion, ...), in the narrower form BMO's webhook admits.
//
// BMO restores `status` from that annotation when the host's status is empty, which it is for
// every object we created (the status subresource is never written by us), then deletes the
// annotation (baremetal-operator internal/controller/metal3.io/baremetalhost_controller.go). With `provisioning.ID` it finds the node by UUID, not by name or
// MAC, and continues from the recorded state: a provisioned host is adopted in its steady state
// (no re-deploy), an available host stays available, errors keep their count (backoff) and
// `provisioningFailCount` (retry limit).
//
// Hand-over, per host:
//   1. `pulumi refresh` then `pulumi up`, so the status annotation carries Ironic's current state.
//   2. Point BMO at the same Ironic (IRONIC_ENDPOINT) and let it watch the namespace. Configure its
//      deploy ramdisk (DEPLOY_KERNEL_URL / DEPLOY_RAMDISK_URL): BMO PATCHes them into driver_info.
//   3. Stop pulumi-metal3 from managing the node without deleting anything:
//      `pulumi state delete --target-dependents <BareMetalHost URN>` (drops the host and its
//      Kubernetes children from the stack; Ironic and the cluster keep them).
//   4. Remove the pause: `kubectl annotate bmh <name> baremetalhost.metal3.io/paused-`
//      (or apply `handOverPatch()` as a JSON merge patch).
//   BMO then claims the BMC Secret (owner reference, finalizer) and, since our goodCredentials
//   name the Secret's current resourceVersion, does not re-register the credentials.
//
// Limits: `fake://` hosts cannot be handed over (BMO has no fake-hardware BMC type and will
// report a registration error). A host claimed by a Machine keeps its consumerRef to the
// Metal3Machine; for CAPM3 to take the Machine over too, the CAPI Machine/Metal3Machine objects
// must be dropped from the stack the same way, with CAPI and CAPM3 running. The annotation is only
// as fresh as the last `pulumi up`: a host whose status changed since is reconciled by BMO from
// whatever Ironic reports, which is safe because BMO re-reads the node by UUID.
import { INSPECT_ANNOTATION, PAUSED_ANNOTATION, PAUSED_BY_US, REBOOT_ANNOTATION } from "./well-known";
import type { BareMetalHostObject } from "./types";

/**
 * JSON merge patch that un-pauses a host we emitted (null deletes the annotation), and removes the
 * reboot and inspection requests pulumi-metal3 already carried out (day-two.ts), so BMO does not
 * do them again; `inspect.metal3.io: disabled` (inspectionMode) is kept. Given the host, only the
 * annotations it carries are named.
 */
export function handOverPatch(host?: Pick<BareMetalHostObject, "metadata">): { metadata: { annotations: Record<string, null> } } {
    const annotations: Record<string, null> = { [PAUSED_ANNOTATION]: null };
    const has = (k: string) => !host || host.metadata.annotations?.[k] !== undefined;
    if (has(REBOOT_ANNOTATION)) annotations[REBOOT_ANNOTATION] = null;
    if (host?.metadata.annotations?.[INSPECT_ANNOTATION] === "") annotations[INSPECT_ANNOTATION] = null;
    return { metadata: { annotations } };
}

/** True when the host is paused by pulumi-metal3 (not by CAPM3's `metal3.io/capm3` or someone else). */
export function pausedByUs(host: Pick<BareMetalHostObject, "metadata">): boolean {
    return host.metadata.annotations?.[PAUSED_ANNOTATION] === PAUSED_BY_US;
}
