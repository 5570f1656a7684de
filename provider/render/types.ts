// Shapes of the Kubernetes objects pulumi-metal3 emits, and of the inputs the renderers take.
// Field names are Metal³'s / Cluster API's JSON names (camelCase) because these objects are what
// `kubectl get bmh -o yaml` shows; Ironic's snake_case names never appear here.

/** metav1.OwnerReference. */
export interface OwnerReference {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
}

/** The part of metav1.ObjectMeta we set. Every emitted object carries an explicit namespace. */
export interface ObjectMeta {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: ObjectMeta;
}

/** A core/v1 Secret, values base64-encoded in `data` (as kubectl and make-bm-worker write them). */
export interface SecretObject extends KubeObject {
    apiVersion: "v1";
    kind: "Secret";
    type: string;
    data: Record<string, string>;
}

/** corev1.SecretReference as BMH and Metal3Machine use it (same namespace as the referrer). */
export interface SecretReference {
    name: string;
    namespace: string;
}

/** corev1.ObjectReference subset that CAPM3 writes into `spec.consumerRef`. */
export interface ConsumerRef {
    apiVersion: string;
    kind: string;
    name: string;
    namespace: string;
}

// The Metal³ spec vocabulary has one home, the host spec's value types (../host/spec-types); the renderer speaks the same words.
import type { AutomatedCleaningMode, BootMode, ChecksumType, ImageFormat, InspectionMode, RootDeviceHints } from "../host/spec-types";
export type { AutomatedCleaningMode, BootMode, ChecksumType, ImageFormat, InspectionMode, RootDeviceHints };

/** BareMetalHost `spec.image` (JSON key `format`, baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go). */
export interface ImageInput {
    url: string;
    checksum?: string;
    checksumType?: ChecksumType;
    format?: ImageFormat;
}

export interface HardwareRAIDVolume {
    level: "0" | "1" | "2" | "5" | "6" | "1+0" | "5+0" | "6+0";
    sizeGibibytes?: number;
    name?: string;
    rotational?: boolean;
    numberOfPhysicalDisks?: number;
    controller?: string;
    physicalDisks?: string[];
}

export interface SoftwareRAIDVolume {
    level: "0" | "1" | "1+0";
    sizeGibibytes?: number;
    rootVolume?: boolean;
    physicalDisks?: RootDeviceHints[];
}

export interface RaidConfig {
    hardwareRAIDVolumes?: HardwareRAIDVolume[] | null;
    softwareRAIDVolumes?: SoftwareRAIDVolume[] | null;
}

/** User, network or meta data: a string is stored as is, an object as JSON (valid YAML too). */
export type ConfigData = string | Record<string, unknown>;

/** The Metal³ provisioning states (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go, ProvisioningState); there is no `error` state. */
export const PROVISIONING_STATES = [
    "",
    "unmanaged",
    "registering",
    "match profile",
    "inspecting",
    "preparing",
    "ready",
    "available",
    "provisioning",
    "provisioned",
    "externally provisioned",
    "deprovisioning",
    "powering off before delete",
    "deleting",
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

/** CRD enum of `status.operationalStatus`. */
export type OperationalStatus = "" | "OK" | "discovered" | "error" | "delayed" | "detached" | "servicing";

/** CRD enum of `status.errorType`. */
export type HostErrorType =
    | "provisioned registration error"
    | "registration error"
    | "inspection error"
    | "preparation error"
    | "provisioning error"
    | "power management error"
    | "servicing error";

/** baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go (HardwareDetails): `status.hardware` / HardwareData `spec.hardware`. */
export interface HardwareDetails {
    systemVendor?: { manufacturer?: string; productName?: string; serialNumber?: string };
    firmware?: { bios?: { date?: string; vendor?: string; version?: string } };
    ramMebibytes?: number;
    cpu?: { arch?: string; model?: string; clockMegahertz?: number; flags?: string[]; count?: number };
    nics?: Array<{
        name?: string;
        model?: string;
        mac?: string;
        ip?: string;
        speedGbps?: number;
        vlans?: Array<{ id?: number; name?: string }>;
        vlanId?: number;
        pxe?: boolean;
        lldp?: { switchID?: string; portID?: string; switchSystemName?: string };
        pciAddress?: string;
    }>;
    storage?: Array<{
        name?: string;
        alternateNames?: string[];
        rotational?: boolean;
        type?: "HDD" | "SSD" | "NVME";
        sizeBytes?: number;
        vendor?: string;
        model?: string;
        serialNumber?: string;
        wwn?: string;
        wwnVendorExtension?: string;
        wwnWithExtension?: string;
        hctl?: string;
    }>;
    hostname?: string;
}

/**
 * What the BareMetalHost resource observed in Ironic (its outputs), the input of `hostStatus`.
 * `provisioningState` is already in Metal³'s vocabulary; `ironicProvisionState` is Ironic's raw
 * `provision_state`, used only to classify an error.
 */
export interface HostStatusInput {
    /** Ironic node UUID: becomes `status.provisioning.ID`, how BMO finds the node after hand-over. */
    nodeUuid: string;
    provisioningState: ProvisioningState;
    ironicProvisionState?: string;
    poweredOn: boolean;
    /** HardwareDetails (extra keys such as the resource's `source` are dropped, see hardware.ts). */
    hardware?: HardwareDetails;
    /** Ironic `last_error` (or our own failure text); empty or absent when healthy. */
    errorMessage?: string;
    /** Overrides the error type inferred from `ironicProvisionState`. */
    errorType?: HostErrorType;
    errorCount?: number;
    provisioningFailCount?: number;
    /** When the node was last read (ISO 8601 or Date); omitted from the status when absent. */
    lastUpdated?: string | Date;
    /** resourceVersion of the BMC Secret the credentials were verified with (BMO `goodCredentials`). */
    credentialsVersion?: string;
}

/** CRD `status` of a BareMetalHost, as far as we fill it. Required keys are non-optional. */
export interface BareMetalHostStatus {
    operationalStatus: OperationalStatus;
    errorType?: HostErrorType;
    errorMessage: string;
    errorCount: number;
    provisioningFailCount: number;
    poweredOn: boolean;
    lastUpdated?: string;
    provisioning: {
        state: ProvisioningState;
        ID: string;
        image?: ImageInput;
        bootMode?: BootMode;
        rootDeviceHints?: RootDeviceHints;
        customDeploy?: { method: string };
        raid?: RaidConfig;
    };
    hardware?: HardwareDetails;
    hardwareProfile?: string;
    goodCredentials?: { credentials: SecretReference; credentialsVersion?: string };
    triedCredentials?: { credentials: SecretReference; credentialsVersion?: string };
}

/** Input of `renderBareMetalHost`: the BareMetalHost resource's arguments, in Metal³ spec names. */
export interface HostRenderInput {
    name: string;
    /** Kubernetes namespace; also the `<namespace>~<name>` Ironic node name prefix. Default "default". */
    namespace?: string;
    labels?: Record<string, string>;
    /** username/password may be absent only for fake:// (the Secret then holds empty values). */
    bmc: { address: string; username?: string; password?: string; disableCertificateVerification?: boolean };
    bootMACAddress?: string;
    bootMode?: BootMode;
    online: boolean;
    image?: ImageInput;
    customDeploy?: { method: string };
    userData?: ConfigData;
    networkData?: ConfigData;
    metaData?: ConfigData;
    rootDeviceHints?: RootDeviceHints;
    automatedCleaningMode?: AutomatedCleaningMode;
    description?: string;
    architecture?: string;
    externallyProvisioned?: boolean;
    disablePowerOff?: boolean;
    inspectionMode?: InspectionMode;
    raid?: RaidConfig;
    /** BIOS settings: rendered as a HostFirmwareSettings object beside the host (firmware.ts). */
    firmware?: { settings?: Record<string, string | number> };
    /** Which changes may be applied to the provisioned host by servicing: a HostUpdatePolicy beside it (firmware.ts). */
    updatePolicy?: { firmwareSettings?: "onReboot" };
    /** Day-two requests, rendered as the annotations BMO reads (day-two.ts). */
    rebootRequest?: string;
    powerOffMode?: "hard" | "soft";
    inspectRequest?: string;
    detached?: boolean;
    /** The data image kept in the host's virtual CD, emitted as a DataImage object of the host's name (data-image.ts). */
    dataImage?: { url: string };
    /** Set when a Machine holds the host (CAPM3 points it at the Metal3Machine). */
    consumerRef?: ConsumerRef;
    /** What Ironic reports; becomes the `baremetalhost.metal3.io/status` annotation. */
    status?: HostStatusInput;
    /** The Machine holding the host, when one does: see HostClaim (claim.ts). */
    claim?: HostClaim;
}

/**
 * A Machine's hold on a host, as Metal³ shows it on the BareMetalHost (CAPM3's claim and
 * setHostSpec, then BMO's status once the host is provisioned). Rendered by the host's own object,
 * the one writer of every field of it (claim.ts says why).
 */
export interface HostClaim {
    /** Fields CAPM3 writes on the host: consumerRef, image/customDeploy, data refs, automatedCleaningMode. */
    spec: {
        consumerRef?: ConsumerRef;
        image?: ImageInput;
        customDeploy?: { method: string };
        userData?: SecretReference;
        metaData?: SecretReference;
        networkData?: SecretReference;
        automatedCleaningMode?: AutomatedCleaningMode;
    };
    /** Labels CAPM3 puts on a claimed host (cluster-name). */
    labels?: Record<string, string>;
    /** `spec.online` as the Machine leaves it (CAPM3 sets it true; a ready Machine's host runs). */
    online: boolean;
    /** What the Machine observed of the node: the status annotation's provisioning state, ID, power. */
    provisioningState: ProvisioningState;
    nodeUuid: string;
    poweredOn: boolean;
    ironicProvisionState?: string;
}

export interface BareMetalHostObject extends KubeObject {
    apiVersion: "metal3.io/v1alpha1";
    kind: "BareMetalHost";
    spec: Record<string, unknown> & { online: boolean; bmc: { address: string; credentialsName: string } };
}

/** Metal³ HostFirmwareSettings (crds/metal3.io_hostfirmwaresettings.yaml): spec only, status is BMO's. */
export interface HostFirmwareSettingsObject extends KubeObject {
    apiVersion: "metal3.io/v1alpha1";
    kind: "HostFirmwareSettings";
    spec: { settings: Record<string, string | number> };
}

/** Metal³ HostUpdatePolicy (crds/metal3.io_hostupdatepolicies.yaml): what BMO may apply to a provisioned host by servicing. */
export interface HostUpdatePolicyObject extends KubeObject {
    apiVersion: "metal3.io/v1alpha1";
    kind: "HostUpdatePolicy";
    spec: { firmwareSettings?: "onReboot" };
}

export interface RenderedHost {
    bmcSecret: SecretObject;
    dataSecrets: { userData?: SecretObject; networkData?: SecretObject; metaData?: SecretObject };
    host: BareMetalHostObject;
    /** When the host sets firmware.settings. */
    firmwareSettings?: HostFirmwareSettingsObject;
    /** When the host sets updatePolicy. */
    updatePolicy?: HostUpdatePolicyObject;
}
