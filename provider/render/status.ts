// From what the BareMetalHost resource observed in Ironic to the BareMetalHost `status` shape of the
// CRD (crds/metal3.io_baremetalhosts.yaml), and from that status to the `baremetalhost.metal3.io/status` annotation.
//
// Why an annotation: the status subresource ignores `status` on create/update, and writing the
// subresource needs a second API call per host that Pulumi cannot model. BMO restores `status`
// from this annotation when the host's status is empty (baremetal-operator internal/controller/metal3.io/baremetalhost_controller.go), which is exactly the
// hand-over case: see `handover.ts`.
import { crdHardware } from "./hardware";
import { compact } from "./meta";
import type {
    BareMetalHostStatus,
    BootMode,
    HostErrorType,
    HostStatusInput,
    ImageInput,
    OperationalStatus,
    ProvisioningState,
    RaidConfig,
    RootDeviceHints,
    SecretReference,
} from "./types";

/** The spec that was actually applied to the node; copied into `status.provisioning` as BMO does. */
export interface AppliedHostSpec {
    image?: ImageInput;
    customDeploy?: { method: string };
    bootMode?: BootMode;
    rootDeviceHints?: RootDeviceHints;
    raid?: RaidConfig;
    /** The BMC Secret the node's driver_info came from (`goodCredentials` / `triedCredentials`). */
    credentials?: SecretReference;
}

/** Ironic failure states and the Metal³ error type BMO records for them (baremetal-operator pkg/provisioner/ironic/ironic.go). */
function errorTypeFor(ironicState: string | undefined, state: ProvisioningState): HostErrorType | undefined {
    switch (ironicState) {
        case "enroll":
        case "verifying":
            return "registration error";
        case "inspect failed":
            return "inspection error";
        case "clean failed":
            // Manual cleaning (RAID/BIOS) belongs to preparing; automated cleaning runs inside
            // provisioning and deprovisioning, where BMO reports it as a provisioning error.
            return state === "preparing" ? "preparation error" : "provisioning error";
        case "deploy failed":
        case "error":
            return "provisioning error";
        case "adopt failed":
            return "provisioned registration error";
        case "service failed":
            return "servicing error";
        case "manageable":
        case "available":
        case "active":
            // A stable node with last_error: BMO's only source of that is a failed power change.
            return "power management error";
        default:
            return undefined;
    }
}

const REGISTERED_STATES: ReadonlySet<string> = new Set<ProvisioningState>([
    "inspecting",
    "match profile",
    "preparing",
    "ready",
    "available",
    "provisioning",
    "provisioned",
    "externally provisioned",
    "deprovisioning",
    "powering off before delete",
]);
const PREPARED_STATES: ReadonlySet<string> = new Set<ProvisioningState>(["ready", "available", "provisioning", "provisioned", "deprovisioning"]);
const DEPLOYED_STATES: ReadonlySet<string> = new Set<ProvisioningState>(["provisioned", "deprovisioning"]);

/** metav1.Time serialises to whole seconds, RFC 3339. */
export function kubeTime(t: string | Date): string {
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) throw new Error(`not a timestamp: ${String(t)}`);
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Maps the BareMetalHost resource's observed outputs into the CRD `status` shape: every field the
 * CRD requires is present (errorCount, errorMessage, operationalStatus, poweredOn, provisioning.ID,
 * provisioning.state, provisioningFailCount), `provisioning.ID` is the Ironic node UUID.
 */
export function hostStatus(observed: HostStatusInput, applied: AppliedHostSpec = {}): BareMetalHostStatus {
    const state = observed.provisioningState;
    const errorMessage = observed.errorMessage ?? "";
    const failing = errorMessage !== "";
    const errorType = failing ? (observed.errorType ?? errorTypeFor(observed.ironicProvisionState, state)) : undefined;
    const servicing = observed.ironicProvisionState === "servicing" || observed.ironicProvisionState === "service wait";
    const operationalStatus: OperationalStatus = failing ? "error" : servicing ? "servicing" : "OK";
    const deployed = DEPLOYED_STATES.has(state);
    const credentialsGood = REGISTERED_STATES.has(state) && errorType !== "registration error";
    const credentials = applied.credentials ? compact({ credentials: applied.credentials, credentialsVersion: observed.credentialsVersion }) : undefined;

    return compact({
        operationalStatus,
        errorType,
        errorMessage,
        errorCount: observed.errorCount ?? (failing ? 1 : 0),
        provisioningFailCount: observed.provisioningFailCount ?? (observed.ironicProvisionState === "deploy failed" ? 1 : 0),
        poweredOn: observed.poweredOn,
        // Only what the resource observed: "now" would make the render impure and every preview a diff.
        lastUpdated: observed.lastUpdated === undefined || observed.lastUpdated === "" ? undefined : kubeTime(observed.lastUpdated),
        provisioning: compact({
            state,
            ID: observed.nodeUuid,
            image: deployed && applied.image ? compact({ ...applied.image }) : undefined,
            customDeploy: deployed ? applied.customDeploy : undefined,
            bootMode: deployed ? applied.bootMode : undefined,
            rootDeviceHints: PREPARED_STATES.has(state) ? applied.rootDeviceHints : undefined,
            raid: PREPARED_STATES.has(state) ? applied.raid : undefined,
        }),
        hardware: crdHardware(observed.hardware),
        goodCredentials: credentialsGood ? credentials : undefined,
        triedCredentials: REGISTERED_STATES.has(state) || state === "registering" ? credentials : undefined,
    }) as BareMetalHostStatus;
}

/**
 * BMO's webhook accepts a narrower set in the status annotation than the CRD does in `status`
 * (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go has no `servicing` operational status and no `servicing error`).
 */
export const ANNOTATION_OPERATIONAL_STATUSES: readonly OperationalStatus[] = ["", "OK", "discovered", "error", "delayed", "detached"];
export const ANNOTATION_ERROR_TYPES: readonly HostErrorType[] = [
    "provisioned registration error",
    "registration error",
    "inspection error",
    "preparation error",
    "provisioning error",
    "power management error",
];

/**
 * The annotation value: the status as JSON, narrowed so BMO's webhook admits it. A servicing host
 * is reported `OK` (servicing is transient; BMO re-detects it from Ironic), and a servicing error
 * keeps its message and `error` status but drops the type the webhook refuses.
 */
export function statusAnnotationValue(status: BareMetalHostStatus): string {
    const out: BareMetalHostStatus = { ...status };
    if (!ANNOTATION_OPERATIONAL_STATUSES.includes(out.operationalStatus)) out.operationalStatus = "OK";
    if (out.errorType !== undefined && !ANNOTATION_ERROR_TYPES.includes(out.errorType)) delete out.errorType;
    return JSON.stringify(out);
}
