// `metal3.BareMetalHost` / `metal3.Machine` of the Pulumi package `metal3`: custom resources
// served by the pulumi-resource-metal3 plugin (sdk/plugin/server.ts), beside the dynamic classes.
// Same arguments (minus `kubernetes`: the dynamic classes emit the objects, and for other
// languages the plugin's components do, components.ts), same secrets, same
// outputs (all from the contract, sdk/schema/resources.ts): the plugin runs the very handlers the
// dynamic provider does.
//
//   import { native as metal3 } from "pulumi-metal3";
//   new metal3.BareMetalHost("host-0", { bmc: { address: "ipmi://10.0.0.5", password }, online: true });
import * as pulumi from "@pulumi/pulumi";
import type { HardwareDetails } from "../../provider/host/hardware";
import type { Metal3ProvisioningState } from "../../provider/host/states";
import { OUTPUT_NAMES as HOST_OUTPUTS, SECRET_OUTPUTS as HOST_SECRET_OUTPUTS } from "../baremetalhost";
import { OUTPUT_NAMES as MACHINE_OUTPUTS, SECRET_OUTPUTS as MACHINE_SECRET_OUTPUTS } from "../machine";
import { hostProps, HostPropsArgs, machineProps, MachinePropsArgs, pauseStackCapture } from "../resource-props";

/** The dynamic resources' type tokens: alias them when moving a stack to the plugin (docs/PLUGIN.md). */
export const DYNAMIC_TYPES = {
    BareMetalHost: "pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost",
    Machine: "pulumi-nodejs:dynamic/pulumi-metal3:Machine",
} as const;

export type NativeBareMetalHostArgs = HostPropsArgs;
export type NativeMachineArgs = MachinePropsArgs;

export class BareMetalHost extends pulumi.CustomResource {
    static readonly __pulumiType = "metal3:index:BareMetalHost";

    public readonly nodeUuid!: pulumi.Output<string>;
    public readonly nodeName!: pulumi.Output<string>;
    public readonly provisioningState!: pulumi.Output<Metal3ProvisioningState>;
    public readonly ironicProvisionState!: pulumi.Output<string>;
    public readonly poweredOn!: pulumi.Output<boolean>;
    public readonly powerState!: pulumi.Output<string | null>;
    public readonly maintenance!: pulumi.Output<boolean>;
    public readonly hardware!: pulumi.Output<HardwareDetails>;
    public readonly errorMessage!: pulumi.Output<string>;
    public readonly lastUpdated!: pulumi.Output<string>;
    public readonly driver!: pulumi.Output<string>;
    public readonly online!: pulumi.Output<boolean>;

    constructor(name: string, args: NativeBareMetalHostArgs, opts: pulumi.CustomResourceOptions = {}) {
        // With `opts.id` (a read of an existing host) the engine takes no inputs.
        const props: Record<string, unknown> = opts.id ? Object.fromEntries(HOST_OUTPUTS.map((o) => [o, undefined])) : hostProps(name, args, HOST_OUTPUTS);
        const resume = pauseStackCapture(); // see resource-props.ts
        try {
            super(BareMetalHost.__pulumiType, name, props, {
                ...opts,
                additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...HOST_SECRET_OUTPUTS],
            });
        } finally {
            resume();
        }
    }
}

export class Machine extends pulumi.CustomResource {
    static readonly __pulumiType = "metal3:index:Machine";

    public readonly hostName!: pulumi.Output<string>;
    public readonly nodeUuid!: pulumi.Output<string>;
    public readonly providerID!: pulumi.Output<string>;
    public readonly addresses!: pulumi.Output<{ type: string; address: string }[]>;
    public readonly provisioningState!: pulumi.Output<string>;
    public readonly ready!: pulumi.Output<boolean>;
    public readonly allocationUuid!: pulumi.Output<string>;
    public readonly allocationName!: pulumi.Output<string>;
    public readonly machineName!: pulumi.Output<string>;
    public readonly machineNamespace!: pulumi.Output<string>;

    constructor(name: string, args: NativeMachineArgs, opts: pulumi.CustomResourceOptions = {}) {
        const props = machineProps(name, args ?? {}, MACHINE_OUTPUTS);
        const resume = pauseStackCapture(); // see resource-props.ts
        try {
            super(Machine.__pulumiType, name, props, {
                ...opts,
                additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...MACHINE_SECRET_OUTPUTS],
            });
        } finally {
            resume();
        }
    }
}
