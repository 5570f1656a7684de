// Rendering of the Metal³ and Cluster API objects pulumi-metal3 emits. Pure functions of the
// resources' inputs and observed state: no Pulumi, no I/O (except CRD loading in crd-validation).
export * from "./types";
export * from "./well-known";
export { renderBareMetalHost, hostObjectList } from "./baremetalhost";
export { renderHostFirmwareSettings, renderHostUpdatePolicy } from "./firmware";
export { withClaim } from "./claim";
export { renderDataImage } from "./data-image";
export type { DataImageObject, DataImageRenderInput } from "./data-image";
export { renderMachine, machineObjectList } from "./machine";
export type {
    MachineApiVersion,
    MachineRenderInput,
    HostSelectorInput,
    SelectorOperator,
    RenderedMachine,
    MachineObject,
    Metal3MachineObject,
    HostClaimPatch,
} from "./machine";
export { hostStatus, statusAnnotationValue, kubeTime, ANNOTATION_OPERATIONAL_STATUSES, ANNOTATION_ERROR_TYPES } from "./status";
export type { AppliedHostSpec } from "./status";
export { objectMetaProblems, secretProblems, renderSecret, configDataText } from "./meta";
export { CrdSchemas, defaultCrdDir, packageRoot, apiserverSchema } from "./crd-validation";
export type { CrdVersion } from "./crd-validation";
export { handOverPatch, pausedByUs } from "./handover";
export { crdHardware } from "./hardware";
