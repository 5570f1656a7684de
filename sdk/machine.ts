// `Machine`: a Cluster API style machine on bare metal. It claims a BareMetalHost from the pool
// (atomically, through an Ironic allocation), deploys its image with a config drive, and is
// replaced, never edited, when what is on the disk changes. See docs/CLAIMS.md.
import * as pulumi from "@pulumi/pulumi";
import type { IronicConnectionInput, UNKNOWN } from "./schemas/common";
import type { MachineArgsInput } from "./schemas/machine";
import type { MachineKubernetesOptions } from "./kubernetes";
import { machineProps, pauseStackCapture, secretOrUndefined } from "./resource-props";
import { outputNames, secretOutputNames } from "./schema/resources";

type Inputs<T> = { [K in keyof T]?: pulumi.Input<T[K]> };
/** Users never write the preview sentinel: drop it from the argument types. */
type KnownInputs<T> = { [K in keyof T]?: pulumi.Input<Exclude<NonNullable<T[K]>, typeof UNKNOWN>> };

export interface MachineArgs extends KnownInputs<Omit<MachineArgsInput, "ironic" | "userData" | "networkData" | "metaData" | "claimOwner" | "poolOwnerKeys">> {
    /**
     * Owner keys of other stacks (their `pulumi-metal3:ownerKey`, e.g. a StackReference's secret
     * output) whose hosts this Machine may claim, besides this stack's own; stored as a secret.
     * A host is claimed only when its keyed owner record verifies under one of them.
     */
    poolOwnerKeys?: pulumi.Input<pulumi.Input<string>[]>;
    /** User data for the config drive (e.g. cloud-init); stored as a secret. */
    userData?: pulumi.Input<string>;
    /** network_data.json for the config drive (object or JSON/YAML text); stored as a secret. */
    networkData?: pulumi.Input<string | Record<string, unknown>>;
    /** Meta data merged over the defaults of meta_data.json; stored as a secret. */
    metaData?: pulumi.Input<string | Record<string, unknown>>;
    /** How to reach Ironic (missing fields: stack config `pulumi-metal3:ironic*`, then the environment). */
    ironic?: pulumi.Input<Inputs<IronicConnectionInput>>;
    /**
     * Release the old host before claiming a new one when the Machine is replaced: for pools
     * without a spare host. Same as the Pulumi resource option `deleteBeforeReplace: true`
     * (the provider also does it by itself when the new spec names the same host, or when no
     * eligible host is free at preview time).
     */
    deleteBeforeReplace?: boolean;
    /**
     * Also publish the Cluster API Machine and Metal3Machine objects (and claim the host's
     * BareMetalHost object) in this Kubernetes cluster; see sdk/kubernetes.ts. Needs clusterName.
     */
    kubernetes?: MachineKubernetesOptions;
}

function compactDefined<T extends Record<string, unknown>>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A Machine's computed outputs, besides its inputs: the contract's (sdk/schema/resources.ts). */
export const OUTPUT_NAMES: readonly string[] = outputNames("Machine");
/** Outputs kept secret as a whole (the config drive, the connection, the digest key): the contract's. */
export const SECRET_OUTPUTS: readonly string[] = secretOutputNames("Machine");

/** The dynamic provider (its own module: see sdk/providers/machine-dynamic.ts). */
export import machineProvider = require("./providers/machine-dynamic");

export class Machine extends pulumi.dynamic.Resource {
    /** Name of the claimed BareMetalHost. */
    public readonly hostName!: pulumi.Output<string>;
    /** Ironic node UUID of the claimed host. */
    public readonly nodeUuid!: pulumi.Output<string>;
    /** CAPM3 form: metal3://<namespace>/<host>/<machine>. */
    public readonly providerID!: pulumi.Output<string>;
    /** Addresses from the host's inspection inventory (InternalIP, Hostname, InternalDNS). */
    public readonly addresses!: pulumi.Output<{ type: string; address: string }[]>;
    /** Metal³ provisioning state of the host: provisioned, provisioning, ... */
    public readonly provisioningState!: pulumi.Output<string>;
    /** True when the host is active with the Machine's image. */
    public readonly ready!: pulumi.Output<boolean>;
    /** The Ironic allocation holding the claim (also the resource id). */
    public readonly allocationUuid!: pulumi.Output<string>;
    public readonly allocationName!: pulumi.Output<string>;
    public readonly machineName!: pulumi.Output<string>;
    public readonly machineNamespace!: pulumi.Output<string>;
    /** Key of the spec hash on the allocation (secret). */
    public readonly specDigestKey!: pulumi.Output<string>;

    constructor(name: string, args: MachineArgs, opts: pulumi.CustomResourceOptions = {}) {
        const { deleteBeforeReplace, kubernetes, ...machineArgs } = args;
        const props = machineProps(name, machineArgs, OUTPUT_NAMES);
        // Registration without stack capture: see pauseStackCapture.
        const resume = pauseStackCapture();
        try {
            super(
                machineProvider,
                name,
                props,
                {
                    ...opts,
                    deleteBeforeReplace: opts.deleteBeforeReplace ?? deleteBeforeReplace,
                    additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...SECRET_OUTPUTS],
                },
                "pulumi-metal3",
                "Machine",
            );
        } finally {
            resume();
        }

        // KUBERNETES CALL SITE: the CAPI Machine + Metal3Machine objects for this Machine (and
        // the claim patches on its BareMetalHost) are rendered by `emitMachineObjects` in
        // sdk/kubernetes.ts; loaded lazily so programs without `kubernetes` never load
        // @pulumi/kubernetes.
        const emitted = kubernetes === undefined ? undefined : emitMachineKubernetesObjects(this, this, name, args, kubernetes);

        // The host's own BareMetalHost object shows this Machine's hold on it (sdk/claims.ts): once
        // the Machine holds a host, as Metal³ shows a claimed host. Without Kubernetes objects of
        // its own, only the image and state (no consumerRef to a Metal3Machine that does not exist).
        const { registerHostClaim } = require("./claims") as typeof import("./claims");
        const ownImage =
            args.image === undefined
                ? undefined
                : pulumi.output(args.image).apply((i) => ({
                      url: i.url as string,
                      checksum: i.checksum as string | undefined,
                      checksumType: i.checksumType as any,
                      format: (i.diskFormat ?? i.format) as any,
                  }));
        registerHostClaim(
            pulumi
                .all([
                    pulumi.all([this.machineNamespace, this.machineName]),
                    this.hostName,
                    this.nodeUuid,
                    this.provisioningState,
                    this.ready,
                    emitted?.hostClaim,
                    ownImage,
                    args.customDeploy,
                ])
                .apply(([[namespace, machineName], host, nodeUuid, provisioningState, ready, patch, image, customDeploy]) => {
                    if (!host) return undefined;
                    const spec = patch
                        ? { ...(patch.spec as object) }
                        : compactDefined({ image, customDeploy: customDeploy ? { method: String((customDeploy as { method: unknown }).method) } : undefined });
                    return {
                        namespace,
                        host,
                        machine: `${namespace}/${machineName}`,
                        claim: {
                            spec,
                            labels: patch?.metadata.labels,
                            // CAPM3 sets online on the host it claims; the Machine's create ends with the host powered on.
                            online: true,
                            provisioningState: provisioningState as any,
                            nodeUuid,
                            // A ready Machine's converge ended with power on (provider/machine/lifecycle.ts).
                            poweredOn: ready === true,
                        },
                    };
                }),
        );
    }
}

/** The outputs of a Machine resource (dynamic or native) its Cluster API objects show. */
export interface MachineIdentityOutputs {
    machineName: pulumi.Output<string>;
    machineNamespace: pulumi.Output<string>;
    hostName: pulumi.Output<string>;
}

/**
 * The Machine's Cluster API objects (bootstrap/data Secrets, Machine, Metal3Machine) through
 * `emitMachineObjects` in sdk/kubernetes.ts, children of `parent`: the dynamic class itself, or
 * the plugin's MachineWithObjects component (sdk/plugin/components.ts, which passes
 * `claimHost: false`). @pulumi/kubernetes is loaded here, lazily, so programs without
 * `kubernetes` never load it.
 */
export function emitMachineKubernetesObjects(
    parent: pulumi.Resource,
    self: MachineIdentityOutputs,
    name: string,
    args: MachineArgs,
    kubernetes: MachineKubernetesOptions,
): import("./kubernetes").EmittedMachineObjects {
    if (args.clusterName === undefined)
        throw new Error(`Machine ${name}: clusterName is required when kubernetes is set (Cluster API Machines belong to a cluster)`);
    const { emitMachineObjects } = require("./kubernetes") as typeof import("./kubernetes");
    return emitMachineObjects(
        parent,
        {
            name: self.machineName,
            namespace: self.machineNamespace,
            clusterName: args.clusterName,
            labels: args.labels,
            host: { name: self.hostName },
            hostSelector: args.hostSelector as any,
            image:
                args.image === undefined
                    ? undefined
                    : pulumi.output(args.image).apply((i) => ({
                          url: i.url as string,
                          checksum: i.checksum as string | undefined,
                          checksumType: i.checksumType as "md5" | "sha256" | "sha512" | undefined,
                          format: (i.diskFormat ?? i.format) as any,
                      })),
            customDeploy: args.customDeploy as any,
            userData: secretOrUndefined(args.userData) as any,
            metaData: secretOrUndefined(args.metaData) as any,
            networkData: secretOrUndefined(args.networkData) as any,
            automatedCleaningMode: args.automatedCleaningMode as any,
            failureDomain: args.failureDomain,
        },
        kubernetes,
    );
}
