// What a BareMetalHost asks of its Ironic node, after input validation and defaulting: the
// "desired" half of the lifecycle decision (lifecycle.ts). Metal³ words; no Ironic calls here.
import type { BmcProfile } from "./bmc";
import type { OwnerKeys } from "../owner-record";
import type { FirmwarePlan } from "./firmware";
import type { HostImage, RaidPlan, RootDeviceHints, BootMode, AutomatedCleaningMode, InspectionMode } from "./spec-types";

// The value types live in the leaf module spec-types.ts (no cycle with raid, instance and the
// renderers); re-exported so `./spec` stays the one place callers import the host's words from.
export type { AutomatedCleaningMode, BootMode, ChecksumType, HostImage, ImageFormat, InspectionMode, RaidPlan, RootDeviceHints } from "./spec-types";

/** What to put on the disk and in the config drive; `fingerprint` identifies it without revealing secrets. */
export interface Deployment {
    image?: HostImage;
    customDeploy?: { method: string };
    userData?: string | Record<string, unknown>;
    networkData?: string | Record<string, unknown>;
    metaData?: string | Record<string, unknown>;
    rootDeviceHints?: RootDeviceHints;
    bootMode: BootMode;
    /** Keyed digest over everything above: a change means the host must be reprovisioned. */
    fingerprint: string;
    /** The unkeyed form older releases wrote on the node (migration only: never written). */
    legacyFingerprint?: string;
}

/** Per-phase deadlines in milliseconds. */
export interface PhaseTimeouts {
    register: number;
    inspect: number;
    clean: number;
    deploy: number;
    deprovision: number;
    power: number;
    delete: number;
    /** How long a soft power-off may take before the hard one (powerOffMode: soft), as BMO's 180 s. */
    softPowerOff: number;
}

/** Who declares a host: `<project>/<stack>` (as Machines record on their claims) and the resource name. */
export interface HostOwner {
    stack: string;
    resource: string;
}

export interface HostSpec {
    /** BareMetalHost name and namespace; the Ironic node is `<namespace>~<name>`. */
    name: string;
    namespace: string;
    nodeName: string;
    bmc: BmcProfile;
    /** Keyed digest (HMAC, see desired.ts keyedDigest) of the BMC address + credentials, kept on the node to notice credential changes. */
    bmcFingerprint: string;
    /** driver_info deploy_kernel/deploy_ramdisk/deploy_iso to set (null: remove); empty: leave them to Ironic. */
    deployImages: Record<string, string | null>;
    /** The unkeyed form older releases wrote on the node (migration only: never written). */
    legacyBmcFingerprint?: string;
    /** Id of the key of this spec's digests, to tell a digest made under another key from a change. */
    digestKeyId?: string;
    bootMACAddress?: string;
    bootMode: BootMode;
    online: boolean;
    description?: string;
    architecture?: string;
    automatedCleaningMode: AutomatedCleaningMode;
    inspectionMode: InspectionMode;
    externallyProvisioned: boolean;
    disablePowerOff: boolean;
    /** Undefined: the host should end deprovisioned, in Ironic `available`. */
    deployment?: Deployment;
    labels: Record<string, string>;
    resourceClass: string;
    traits: string[];
    /** Recorded on the node (extra) at enrol; find-or-enrol takes over only nodes carrying it. */
    owner?: HostOwner;
    /**
     * The keys of the owner record's MAC (provider/owner-record.ts): written under `write`, a node
     * is this host's only when its record verifies under one of them.
     */
    ownerKeys?: OwnerKeys;
    /**
     * `adoptForce`: adopting takes the node from another owner (its owner record, its claim) and
     * replaces a deployment another resource recorded, as the preview announced.
     */
    adoptForce?: boolean;
    /** A token whose change means "reboot now" (Metal³'s reboot.metal3.io annotation); recorded on the node. */
    rebootRequest?: string;
    /** How power-offs of a provisioned host and reboots are done: soft (ACPI, falling back to hard after timeouts.softPowerOff) or hard. */
    powerOffMode: "hard" | "soft";
    /** A token whose change means "inspect again" (Metal³'s inspect.metal3.io annotation); only for hosts that are not provisioned. */
    inspectRequest?: string;
    /** Stop managing the host: its Ironic node is removed, the server left as it is (Metal³'s detached annotation). */
    detached: boolean;
    /** An ISO to keep attached by virtual media to the provisioned host (Metal³'s DataImage spec.url); data-image.ts. */
    dataImage?: { url: string };
    /** RAID the program manages (undefined: left alone), applied by manual cleaning before provide. */
    raid?: RaidPlan & { fingerprint: string };
    /** Firmware (BIOS) settings the program manages (undefined: left alone): manual cleaning, or servicing when active (firmware.ts). */
    firmware?: FirmwarePlan;
    /** updatePolicy.firmwareSettings is "onReboot": firmware settings may be applied to the provisioned host by servicing. */
    serviceFirmware: boolean;
}
