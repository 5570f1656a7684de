// Metal³ RAID spec → Ironic target_raid_config and the manual-cleaning steps that apply it
// (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go RAIDConfig; pkg/provisioner/ironic/raid.go). Pure.
import { ironicRootDevice } from "./instance";
import type { HardwareRAIDVolume, SoftwareRAIDVolume } from "../render/types";
import type { RaidPlan, RootDeviceHints } from "./spec-types";

export type { RaidPlan };

// The Metal³ RAID volume shapes are defined once, with the CRD's level enums, in provider/render/types.
export type HardwareRaidVolume = HardwareRAIDVolume;
export type SoftwareRaidVolume = SoftwareRAIDVolume;

export interface RaidSpec {
    hardwareRAIDVolumes?: HardwareRaidVolume[];
    softwareRAIDVolumes?: SoftwareRaidVolume[];
}

/** The plan for `raid`, or undefined when the program does not manage RAID. `[]` clears the config. */
export function raidPlan(raid: RaidSpec | undefined, rootDeviceHints: RootDeviceHints | undefined): RaidPlan | undefined {
    if (!raid) return undefined;
    const hw = raid.hardwareRAIDVolumes;
    const sw = raid.softwareRAIDVolumes;
    if (sw && sw.length > 0) {
        const anyRoot = sw.some((v) => v.rootVolume);
        return {
            raidInterface: "agent",
            logical_disks: sw.map((v, i) => ({
                size_gb: v.sizeGibibytes ? v.sizeGibibytes : "MAX",
                raid_level: v.level,
                controller: "software",
                ...(v.physicalDisks?.length ? { physical_disks: v.physicalDisks.map((d) => ironicRootDevice(d) ?? {}) } : {}),
                // BMO: the first volume is the root unless another one says it is.
                ...((anyRoot ? v.rootVolume : i === 0 && !rootDeviceHints) ? { is_root_volume: true } : {}),
            })),
        };
    }
    if (!hw) return sw ? { logical_disks: [] } : undefined;
    return {
        logical_disks: hw.map((v, i) => ({
            size_gb: v.sizeGibibytes ? v.sizeGibibytes : "MAX",
            raid_level: v.level,
            ...(v.name ? { volume_name: v.name } : {}),
            ...(v.controller ? { controller: v.controller } : {}),
            ...(v.physicalDisks?.length ? { physical_disks: v.physicalDisks } : {}),
            ...(v.rotational !== undefined ? { disk_type: v.rotational ? "hdd" : "ssd" } : {}),
            ...(v.numberOfPhysicalDisks ? { number_of_physical_disks: v.numberOfPhysicalDisks } : {}),
            ...(i === 0 && !rootDeviceHints ? { is_root_volume: true } : {}),
        })),
    };
}

/** Manual clean steps: delete the old configuration, (software RAID: wipe metadata,) create the new one. */
export function raidCleanSteps(plan: RaidPlan, opts: { eraseMetadata: boolean }): object[] {
    const steps: object[] = [{ interface: "raid", step: "delete_configuration" }];
    if (opts.eraseMetadata) steps.push({ interface: "deploy", step: "erase_devices_metadata" });
    if (plan.logical_disks.length) steps.push({ interface: "raid", step: "create_configuration" });
    return steps;
}
