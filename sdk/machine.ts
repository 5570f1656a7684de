// `Machine`: a Cluster API style machine on bare metal. It claims a BareMetalHost from the pool
// (atomically, through an Ironic allocation), deploys its image with a config drive, and is
// replaced, never edited, when what is on the disk changes. See docs/CLAIMS.md.
import * as pulumi from "@pulumi/pulumi";
import type { IronicConnectionInput, UNKNOWN } from "./schemas/common";
import type { MachineArgsInput } from "./schemas/machine";
import type { MachineKubernetesOptions } from "./kubernetes";
import { machineProps, secretOrUndefined } from "./resource-props";

type Inputs<T> = { [K in keyof T]?: pulumi.Input<T[K]> };
/** Users never write the preview sentinel: drop it from the argument types. */
type KnownInputs<T> = { [K in keyof T]?: pulumi.Input<Exclude<NonNullable<T[K]>, typeof UNKNOWN>> };

export interface MachineArgs extends KnownInputs<Omit<MachineArgsInput, "ironic" | "userData" | "networkData" | "metaData">> {
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

/** A Machine's computed outputs, besides its inputs. */
export const OUTPUT_NAMES = [
    "machineName",
    "machineNamespace",
    "hostName",
    "nodeUuid",
    "providerID",
    "addresses",
    "provisioningState",
    "ready",
    "allocationUuid",
    "allocationName",
    "specDigestKey",
] as const;

/**
 * The dynamic provider. Tiny on purpose: each method loads the implementation at call time in
 * the provider host (so nothing but this object is serialized into state), and `configure`
 * keeps the stack-config connection on `this`.
 */
export const machineProvider = {
    connection: undefined as IronicConnectionInput | undefined,
    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        // configure runs once per provider process: the place to make it end with its engine.
        require("pulumi-metal3/dist/sdk/providers/engine-watch").watchEngine();
        const { connectionFromStackConfig } = require("pulumi-metal3/dist/sdk/connection");
        this.connection = connectionFromStackConfig((k: string) => req.config.get(k));
    },
    async check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
        return require("pulumi-metal3/dist/sdk/providers/machine").check(olds, news);
    },
    async diff(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
        return require("pulumi-metal3/dist/sdk/providers/machine").diff(this, id, olds, news);
    },
    async create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
        return require("pulumi-metal3/dist/sdk/providers/machine").create(this, inputs);
    },
    async read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
        return require("pulumi-metal3/dist/sdk/providers/machine").read(this, id, props);
    },
    async update(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
        return require("pulumi-metal3/dist/sdk/providers/machine").update(this, id, olds, news);
    },
    async delete(id: string, props: any): Promise<void> {
        return require("pulumi-metal3/dist/sdk/providers/machine").remove(this, id, props);
    },
};

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
        super(
            machineProvider,
            name,
            props,
            {
                ...opts,
                deleteBeforeReplace: opts.deleteBeforeReplace ?? deleteBeforeReplace,
                additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "userData", "networkData", "metaData", "specDigestKey"],
            },
            "pulumi-metal3",
            "Machine",
        );

        // KUBERNETES CALL SITE: the CAPI Machine + Metal3Machine objects for this Machine (and
        // the claim patches on its BareMetalHost) are rendered by `emitMachineObjects` in
        // sdk/kubernetes.ts; loaded lazily so programs without `kubernetes` never load
        // @pulumi/kubernetes.
        if (kubernetes !== undefined) {
            if (args.clusterName === undefined)
                throw new Error(`Machine ${name}: clusterName is required when kubernetes is set (Cluster API Machines belong to a cluster)`);
            const { emitMachineObjects } = require("./kubernetes") as typeof import("./kubernetes");
            emitMachineObjects(
                this,
                {
                    name: this.machineName,
                    namespace: this.machineNamespace,
                    clusterName: args.clusterName,
                    labels: args.labels,
                    host: { name: this.hostName },
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
    }
}
