// The BareMetalHost inputs as the provider reads them: validated (the SDK's zod schema,
// sdk/schemas/baremetalhost.ts, is the one source of truth for validation and checks at compile
// time that what it accepts fits this type), defaults not yet applied, no unknowns left. Here so
// that provider/ never imports from sdk/.
import type { RaidSpec } from "./raid";
import type { HostOwner, PhaseTimeouts } from "./spec";
import type { AutomatedCleaningMode, BootMode, HostImage, InspectionMode, RootDeviceHints } from "./spec-types";

/** Deadlines as durations ("20m", "1h30m"): the whole operation's and each phase's. A number is state of earlier releases, in minutes (provider/duration.ts). */
export type HostTimeoutsInput = Partial<Record<keyof PhaseTimeouts | "create" | "update", string | number>>;

/** Config drive data: text (e.g. cloud-config) or an object (JSON). */
export type ConfigDataInput = string | Record<string, unknown>;

export interface HostInputs {
    name?: string;
    namespace?: string;
    bmc: { address: string; username?: string; password?: string; disableCertificateVerification?: boolean; caFile?: string };
    bootMACAddress?: string;
    bootMode?: BootMode;
    online: boolean;
    description?: string;
    architecture?: string;
    rootDeviceHints?: RootDeviceHints;
    automatedCleaningMode?: AutomatedCleaningMode;
    inspectionMode?: InspectionMode;
    externallyProvisioned?: boolean;
    disablePowerOff?: boolean;
    image?: HostImage;
    customDeploy?: { method: string };
    userData?: ConfigDataInput;
    networkData?: ConfigDataInput;
    metaData?: ConfigDataInput;
    labels?: Record<string, string>;
    resourceClass?: string;
    traits?: string[];
    raid?: RaidSpec;
    /** Metal³ HostFirmwareSettings spec: BIOS attribute name → value. */
    firmware?: { settings?: Record<string, string | number | boolean> };
    /** Metal³ HostUpdatePolicy: "onReboot" lets firmware settings be applied to a provisioned host by servicing. */
    updatePolicy?: { firmwareSettings?: "onReboot" };
    deployKernel?: string;
    deployRamdisk?: string;
    deployIso?: string;
    adoptNode?: string;
    adoptForce?: boolean;
    owner?: HostOwner;
    rebootRequest?: string;
    powerOffMode?: "hard" | "soft";
    inspectRequest?: string;
    detached?: boolean;
    dataImage?: { url: string };
    timeouts?: HostTimeoutsInput;
    /** The Ironic connection: read by the SDK glue, not by the lifecycle. */
    ironic?: unknown;
}

/** Inputs with the name set (the SDK sets it to the resource name). */
export type PlainHostInputs = HostInputs & { name: string };
