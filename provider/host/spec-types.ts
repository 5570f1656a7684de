// The value types a host spec is made of, shared by the spec (spec.ts), RAID (raid.ts), the
// instance fields (instance.ts) and the Metal³ renderers (../render/types.ts). A leaf: it imports
// nothing, so none of those modules depend on each other through their types.

export type BootMode = "UEFI" | "UEFISecureBoot" | "legacy";
export type AutomatedCleaningMode = "metadata" | "disabled";
export type InspectionMode = "agent" | "fast" | "disabled";
export type ImageFormat = "raw" | "qcow2" | "vdi" | "vmdk" | "live-iso";
export type ChecksumType = "md5" | "sha256" | "sha512" | "auto";

/** Metal³ RootDeviceHints (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go). */
export interface RootDeviceHints {
    deviceName?: string;
    hctl?: string;
    model?: string;
    vendor?: string;
    serialNumber?: string;
    minSizeGigabytes?: number;
    wwn?: string;
    wwnWithExtension?: string;
    wwnVendorExtension?: string;
    rotational?: boolean;
}

export interface HostImage {
    url: string;
    checksum?: string;
    checksumType?: ChecksumType;
    format?: ImageFormat;
}

/** RAID as Ironic takes it: target_raid_config logical disks (built by raid.ts raidPlan). */
export interface RaidPlan {
    logical_disks: Record<string, unknown>[];
    /** raid_interface the plan needs: "agent" for software RAID, undefined = the driver's own. */
    raidInterface?: string;
}
