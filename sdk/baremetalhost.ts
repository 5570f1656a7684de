// `BareMetalHost`: one server, declared like Metal³'s BareMetalHost and driven through Ironic:
// enrolled, inspected, cleaned, optionally provisioned, powered as `online` says, and given back
// on destroy. Inputs: sdk/schemas/baremetalhost.ts; lifecycle: provider/host/lifecycle.ts.
import * as pulumi from "@pulumi/pulumi";
import type { IronicConnectionInput } from "./schemas/common";
import type { AutomatedCleaningMode, BootMode, ChecksumType, ImageFormat, InspectionMode, RootDeviceHints } from "../provider/host/spec";
import type { HardwareDetails } from "../provider/host/hardware";
import type { HardwareRAIDVolume } from "../provider/render/types";
import type { Metal3ProvisioningState } from "../provider/host/states";
import { hostProps, pauseStackCapture, secretOrUndefined } from "./resource-props";
import { outputNames, secretOutputNames } from "./schema/resources";

type Inputs<T> = { [K in keyof T]?: pulumi.Input<T[K]> };

/** One hardware RAID volume, as Metal³'s `spec.raid.hardwareRAIDVolumes[]`. */
export type BareMetalHostRaidVolume = HardwareRAIDVolume;

export interface BareMetalHostArgs {
    /** Host name (default: the Pulumi resource name). The Ironic node is `<namespace>~<name>`. */
    name?: pulumi.Input<string>;
    /** Namespace (default "default"), as in Metal³. */
    namespace?: pulumi.Input<string>;
    /** BMC URL and credentials; the password is stored as a secret. */
    bmc: pulumi.Input<{
        address: pulumi.Input<string>;
        username?: pulumi.Input<string>;
        password?: pulumi.Input<string>;
        disableCertificateVerification?: pulumi.Input<boolean>;
        /** CA bundle path on the Ironic conductor's machine that verifies a self-signed BMC (redfish_verify_ca); Redfish-family BMCs only. */
        caFile?: pulumi.Input<string>;
    }>;
    bootMACAddress?: pulumi.Input<string>;
    bootMode?: pulumi.Input<BootMode>;
    /** Desired power state (required, as in Metal³). */
    online: pulumi.Input<boolean>;
    description?: pulumi.Input<string>;
    architecture?: pulumi.Input<string>;
    rootDeviceHints?: pulumi.Input<Inputs<RootDeviceHints>>;
    automatedCleaningMode?: pulumi.Input<AutomatedCleaningMode>;
    inspectionMode?: pulumi.Input<InspectionMode>;
    externallyProvisioned?: pulumi.Input<boolean>;
    disablePowerOff?: pulumi.Input<boolean>;
    /** Setting it (with online) provisions; changing it reprovisions (wipes); removing it deprovisions. */
    image?: pulumi.Input<{
        url: pulumi.Input<string>;
        checksum?: pulumi.Input<string>;
        checksumType?: pulumi.Input<ChecksumType>;
        format?: pulumi.Input<ImageFormat>;
    }>;
    customDeploy?: pulumi.Input<{ method: pulumi.Input<string> }>;
    /** Config drive data; always stored as secrets. */
    userData?: pulumi.Input<string | Record<string, unknown>>;
    networkData?: pulumi.Input<string | Record<string, unknown>>;
    metaData?: pulumi.Input<string | Record<string, unknown>>;
    /** Pool attributes for Machines: labels (extra.metal3_labels), resource class, traits. */
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    resourceClass?: pulumi.Input<string>;
    traits?: pulumi.Input<pulumi.Input<string>[]>;
    raid?: pulumi.Input<{ hardwareRAIDVolumes?: pulumi.Input<BareMetalHostRaidVolume[]>; softwareRAIDVolumes?: pulumi.Input<unknown[]> }>;
    /** BIOS settings (Metal³ HostFirmwareSettings spec.settings): manual cleaning on a host that is not provisioned, servicing (no wipe, a reboot) on a provisioned one; checked at preview against the registry the host reported. */
    firmware?: pulumi.Input<{ settings?: pulumi.Input<Record<string, pulumi.Input<string | number>>> }>;
    /** Take over this Ironic node (UUID or name) instead of enrolling: this provider's `pulumi import`. */
    adoptNode?: pulumi.Input<string>;
    /** With adoptNode: take the node even though it carries another owner's record, another resource's deployment or a claim (refused without). */
    adoptForce?: pulumi.Input<boolean>;
    /** ironic-python-agent images (URLs) for cleaning and agent deploys; default: stack config `pulumi-metal3:deployKernel` etc., else Ironic's own defaults. */
    deployKernel?: pulumi.Input<string>;
    deployRamdisk?: pulumi.Input<string>;
    /** The agent as an ISO, for virtual-media drivers (redfish-virtualmedia://, idrac-virtualmedia://, ...). */
    deployIso?: pulumi.Input<string>;
    /** A token (e.g. a timestamp) whose change means "reboot now" (Metal³'s reboot.metal3.io): a provisioned, running host is rebooted, nothing else changes. */
    rebootRequest?: pulumi.Input<string>;
    /** How reboots and `online: false` on a provisioned host power it off: "hard" (default) or "soft" (ACPI shutdown, hard after timeouts.softPowerOff). */
    powerOffMode?: pulumi.Input<"hard" | "soft">;
    /** A token whose change means "inspect again" (Metal³'s inspect.metal3.io): manage → inspect → provide on a host that is not provisioned; refused on a provisioned one. */
    inspectRequest?: pulumi.Input<string>;
    /** true: stop managing the host (its Ironic node is removed, the server left as it is); false again: re-attached without reprovisioning. */
    detached?: pulumi.Input<boolean>;
    /** An ISO kept in the provisioned host's virtual CD (Metal³'s DataImage spec.url): attached with no reboot or wipe, ejected when removed; waits while the host is not provisioned. Redfish-family BMCs only. */
    dataImage?: pulumi.Input<{ url: pulumi.Input<string> }>;
    /** Deadlines as durations like customTimeouts ("90s", "20m", "1h30m"): whole operations (create/update/delete) and phases (register, inspect, clean, deploy, deprovision, power, softPowerOff). */
    timeouts?: pulumi.Input<
        Inputs<{
            create: string;
            update: string;
            delete: string;
            register: string;
            inspect: string;
            clean: string;
            deploy: string;
            deprovision: string;
            power: string;
            softPowerOff: string;
        }>
    >;
    /** Which Ironic (missing fields: stack config `pulumi-metal3:ironic*`, then the environment). */
    ironic?: pulumi.Input<Inputs<IronicConnectionInput>>;
    /** Also publish the host as Metal³ Kubernetes objects (BMC Secret, data Secrets, BareMetalHost). */
    kubernetes?: { provider?: import("@pulumi/kubernetes").Provider; namespace?: string };
}

/** The BMC input for the Kubernetes objects: password always secret, the rest as given. */
function bmcFields(bmc: BareMetalHostArgs["bmc"]): any {
    const plain = bmc && typeof bmc === "object" && !pulumi.Output.isInstance(bmc) && !(bmc instanceof Promise);
    if (!plain) return pulumi.output(bmc).apply((b) => ({ ...b, username: b.username ?? "", password: pulumi.secret(b.password ?? "") }));
    const b = bmc as {
        address: pulumi.Input<string>;
        username?: pulumi.Input<string>;
        password?: pulumi.Input<string>;
        disableCertificateVerification?: pulumi.Input<boolean>;
    };
    return {
        address: b.address,
        username: b.username ?? "",
        password: pulumi.secret(b.password ?? ""),
        disableCertificateVerification: b.disableCertificateVerification,
    };
}

/** Computed outputs, besides the (non-secret) inputs echoed back: the contract's (sdk/schema/resources.ts). */
export const OUTPUT_NAMES: readonly string[] = outputNames("BareMetalHost");
/** Outputs kept secret as a whole: the contract's. */
export const SECRET_OUTPUTS: readonly string[] = secretOutputNames("BareMetalHost");

/** The dynamic provider (its own module: see sdk/providers/host-dynamic.ts). */
export import bareMetalHostProvider = require("./providers/host-dynamic");

export class BareMetalHost extends pulumi.dynamic.Resource {
    /** Ironic node UUID (also the resource id). */
    public readonly nodeUuid!: pulumi.Output<string>;
    /** Ironic node name, `<namespace>~<name>`. */
    public readonly nodeName!: pulumi.Output<string>;
    /** Metal³ provisioning state: registering, inspecting, preparing, available, provisioning, provisioned, ... */
    public readonly provisioningState!: pulumi.Output<Metal3ProvisioningState>;
    /** Ironic's own provision state (enroll, manageable, available, active, ...). */
    public readonly ironicProvisionState!: pulumi.Output<string>;
    public readonly poweredOn!: pulumi.Output<boolean>;
    public readonly powerState!: pulumi.Output<string | null>;
    public readonly maintenance!: pulumi.Output<boolean>;
    /** Metal³ HardwareDetails from Ironic's inspection inventory, else the node's properties. */
    public readonly hardware!: pulumi.Output<HardwareDetails>;
    /** Ironic last_error ("" when healthy). */
    public readonly errorMessage!: pulumi.Output<string>;
    public readonly lastUpdated!: pulumi.Output<string>;
    /** Ironic driver chosen from the BMC scheme. */
    public readonly driver!: pulumi.Output<string>;
    /** The dataImage URL attached to the host's virtual CD (Metal³ DataImage status.attachedImage.url); undefined when none is. */
    public readonly attachedDataImage!: pulumi.Output<string | undefined>;
    public readonly online!: pulumi.Output<boolean>;
    public readonly labels!: pulumi.Output<Record<string, string> | undefined>;
    public readonly traits!: pulumi.Output<string[] | undefined>;
    public readonly resourceClass!: pulumi.Output<string | undefined>;
    /** The BIOS settings Ironic reports after the last run (passwords left out); undefined when the BMC reads none. */
    public readonly firmwareSettings!: pulumi.Output<Record<string, string> | undefined>;

    constructor(name: string, args: BareMetalHostArgs, opts: pulumi.CustomResourceOptions = {}) {
        const { kubernetes, ...hostArgs } = args;
        const props = hostProps(name, hostArgs, OUTPUT_NAMES);
        // Registration without stack capture: see pauseStackCapture.
        const resume = pauseStackCapture();
        try {
            super(
                bareMetalHostProvider,
                name,
                props,
                { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...SECRET_OUTPUTS] },
                "pulumi-metal3",
                "BareMetalHost",
            );
        } finally {
            resume();
        }

        // KUBERNETES CALL SITE: publish the Metal³ objects (BMC Secret, data Secrets, a paused
        // BareMetalHost carrying this host's status) through sdk/kubernetes.ts.
        if (kubernetes !== undefined) emitHostKubernetesObjects(this, this, name, hostArgs, kubernetes, true);
    }
}

/** The outputs of a host resource (dynamic or native) its BareMetalHost object's status shows. */
export interface HostStatusOutputs {
    nodeUuid: pulumi.Output<string>;
    provisioningState: pulumi.Output<Metal3ProvisioningState>;
    ironicProvisionState: pulumi.Output<string>;
    poweredOn: pulumi.Output<boolean>;
    hardware: pulumi.Output<HardwareDetails>;
    errorMessage: pulumi.Output<string>;
    lastUpdated: pulumi.Output<string>;
}

/**
 * The host's Metal³ objects (BMC Secret, data Secrets, a paused BareMetalHost carrying the host's
 * status) through sdk/kubernetes.ts, children of `parent`: the dynamic class itself, or the
 * plugin's BareMetalHostWithObjects component (sdk/plugin/components.ts). `withClaims`: the object
 * shows the hold of a Machine of the same program (sdk/claims.ts); the plugin's components cannot
 * (docs/PLUGIN.md). @pulumi/kubernetes is loaded here, lazily, so programs without `kubernetes`
 * never load it.
 */
export function emitHostKubernetesObjects(
    parent: pulumi.Resource,
    self: HostStatusOutputs,
    name: string,
    hostArgs: Omit<BareMetalHostArgs, "kubernetes">,
    kubernetes: NonNullable<BareMetalHostArgs["kubernetes"]>,
    withClaims: boolean,
): void {
    const { bmc, userData, networkData, metaData, ...rest } = hostArgs;
    const { emitHostObjects } = require("./kubernetes");
    const { hostClaimFor } = require("./claims") as typeof import("./claims");
    const hostName = rest.name ?? name;
    const namespace = pulumi.output(rest.namespace).apply((n) => n || kubernetes.namespace || "default");
    emitHostObjects(
        parent,
        {
            name: rest.name ?? name,
            namespace: rest.namespace,
            labels: rest.labels,
            // Field by field when given as a plain object, so only the password is secret.
            bmc: bmcFields(bmc),
            bootMACAddress: rest.bootMACAddress,
            bootMode: rest.bootMode,
            online: rest.online,
            image: rest.image,
            customDeploy: rest.customDeploy,
            userData: secretOrUndefined(userData),
            networkData: secretOrUndefined(networkData),
            metaData: secretOrUndefined(metaData),
            rootDeviceHints: rest.rootDeviceHints,
            automatedCleaningMode: rest.automatedCleaningMode,
            description: rest.description,
            architecture: rest.architecture,
            externallyProvisioned: rest.externallyProvisioned,
            disablePowerOff: rest.disablePowerOff,
            inspectionMode: rest.inspectionMode,
            raid: rest.raid,
            firmware: rest.firmware,
            rebootRequest: rest.rebootRequest,
            powerOffMode: rest.powerOffMode,
            inspectRequest: rest.inspectRequest,
            detached: rest.detached,
            dataImage: rest.dataImage,
            status: {
                nodeUuid: self.nodeUuid,
                provisioningState: self.provisioningState,
                ironicProvisionState: self.ironicProvisionState,
                poweredOn: self.poweredOn,
                hardware: self.hardware,
                errorMessage: self.errorMessage,
                lastUpdated: self.lastUpdated,
            },
        },
        { provider: kubernetes.provider, namespace: kubernetes.namespace ?? "default" },
        // After the host's own run, the Machine of the program that holds it, if any. A host
        // with its own deployment is never claimed: it does not wait for the Machines.
        {
            claim: !withClaims
                ? undefined
                : pulumi
                      .all([rest.image, rest.customDeploy, rest.externallyProvisioned])
                      .apply(([image, customDeploy, external]) =>
                          image || customDeploy || external ? undefined : hostClaimFor(namespace, hostName, self.nodeUuid),
                      ),
        },
    );
}
