// The public entry of pulumi-metal3: what a Pulumi program imports.
export { BareMetalHost, bareMetalHostProvider } from "./baremetalhost";
export type { BareMetalHostArgs, BareMetalHostRaidVolume } from "./baremetalhost";
export { Machine, machineProvider } from "./machine";
export type { MachineArgs } from "./machine";
export { hostState } from "./claims";
export type { HostState, HostStateOutputs } from "./claims";
export { Metal3Crds, metal3CrdFiles } from "./crds";
export type { Metal3CrdsArgs } from "./crds";
export type { KubernetesTarget } from "./kubernetes";
export { IRONIC_CONFIG_KEYS } from "./connection";
export { UNKNOWN } from "./schemas/common";
export type { IronicConnectionInput } from "./schemas/common";
/** The same resources as custom resources of the Pulumi package `metal3` (plugin pulumi-resource-metal3). */
export * as native from "./plugin/native";
