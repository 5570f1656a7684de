// The annotations baremetal-operator reads for day-two requests, from the host's inputs
// (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go: RebootAnnotationPrefix,
// InspectAnnotationPrefix, DetachedAnnotation; their values as its webhook
// internal/webhooks/metal3.io/v1alpha1/baremetalhost_validation.go admits them). Pure.
//
// pulumi-metal3 carries the requests out itself (the object is paused); the annotations say on
// the object what the program asked. Which keys, and why:
// - `reboot.metal3.io: {"mode":"soft|hard"}` — the bare key, not `reboot.metal3.io/<suffix>`: to
//   BMO a suffixed key holds the host powered off until its writer removes it (remediation), the
//   bare key is a single reboot, which is what rebootRequest is. The mode is the one used here
//   (powerOffMode, default hard; BMO's own default is soft).
// - `inspect.metal3.io: ""` — BMO's "inspect again" (the value "disabled" is the other meaning of
//   the key, inspectionMode: disabled; the schema refuses the two together).
// - `baremetalhost.metal3.io/detached: ""` — BMO's defaults: removed from Ironic, and deleted
//   without power-off or deprovisioning, as pulumi-metal3 does.
// The reboot and inspection were done by pulumi-metal3: handOverPatch (handover.ts) removes them
// so a BMO taking the host over does not do them again; detached stays (it is a state, not a request).
import { DETACHED_ANNOTATION, INSPECT_ANNOTATION, REBOOT_ANNOTATION } from "./well-known";
import type { HostRenderInput } from "./types";

export function dayTwoAnnotations(
    input: Pick<HostRenderInput, "rebootRequest" | "powerOffMode" | "inspectRequest" | "detached" | "inspectionMode">,
): Record<string, string> {
    const out: Record<string, string> = {};
    if (input.rebootRequest !== undefined) out[REBOOT_ANNOTATION] = JSON.stringify({ mode: input.powerOffMode ?? "hard" });
    if (input.inspectRequest !== undefined && input.inspectionMode !== "disabled") out[INSPECT_ANNOTATION] = "";
    if (input.detached === true) out[DETACHED_ANNOTATION] = "";
    return out;
}
