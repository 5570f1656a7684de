// The plugin's components: `metal3:index:BareMetalHostWithObjects` and
// `metal3:index:MachineWithObjects`, for programs in any language (YAML, Python, Go) to get the
// Metal³ / Cluster API objects the TypeScript dynamic classes emit with `kubernetes:`. Each holds
// the plugin's custom resource of the same name (metal3:index:BareMetalHost / Machine, the same
// handlers) and the Kubernetes objects rendered by the same code as the dynamic classes
// (sdk/baremetalhost.ts emitHostKubernetesObjects, sdk/machine.ts emitMachineKubernetesObjects,
// sdk/kubernetes.ts), registered through the engine as `kubernetes:*` resources: the cluster is
// the program's `kubernetes` provider (the component's `providers` option) or the ambient
// kubeconfig. docs/PLUGIN.md "Kubernetes objects" says why components and what differs.
import * as pulumi from "@pulumi/pulumi";
import { emitHostKubernetesObjects } from "../baremetalhost";
import { emitMachineKubernetesObjects } from "../machine";
import { outputNames } from "../schema/resources";
import type { ComponentFactory } from "./construct";
import { BareMetalHost, Machine } from "./native";

export const HOST_COMPONENT_TOKEN = "metal3:index:BareMetalHostWithObjects";
export const MACHINE_COMPONENT_TOKEN = "metal3:index:MachineWithObjects";

/** The `kubernetes` input of the components: where the objects go (all optional). */
export interface ComponentKubernetesInput {
    /** Namespace of objects whose resource has no namespace of its own (default "default"). */
    namespace?: string;
    /** Cluster API version of Machine and Metal3Machine (Machine only; default v1beta1). */
    apiVersion?: "v1beta1" | "v1beta2";
}

/** The `kubernetes` input, resolved: it chooses names and versions, so it must be plain. */
async function kubernetesInput(value: unknown): Promise<ComponentKubernetesInput> {
    const v = (pulumi.Output.isInstance(value) ? await (value as any).promise() : value) ?? {};
    const namespace = pulumi.Output.isInstance(v.namespace) ? await v.namespace.promise() : v.namespace;
    const apiVersion = pulumi.Output.isInstance(v.apiVersion) ? await v.apiVersion.promise() : v.apiVersion;
    return { namespace: namespace || undefined, apiVersion: apiVersion || undefined };
}

function outputsOf(resource: pulumi.Resource, names: readonly string[]): Record<string, pulumi.Output<unknown>> {
    return Object.fromEntries(names.map((n) => [n, (resource as unknown as Record<string, pulumi.Output<unknown>>)[n]]));
}

class BareMetalHostWithObjects extends pulumi.ComponentResource {
    constructor(name: string, inputs: Record<string, any>, k8s: ComponentKubernetesInput, opts: pulumi.ComponentResourceOptions) {
        super(HOST_COMPONENT_TOKEN, name, {}, opts);
        const { kubernetes: _k, ...hostArgs } = inputs;
        // Named as the component: the node's name defaults to it, as for a plain BareMetalHost.
        const host = new BareMetalHost(name, hostArgs as any, { parent: this, dependsOn: opts.dependsOn });
        emitHostKubernetesObjects(this, host, name, hostArgs as any, { namespace: k8s.namespace ?? "default" }, false);
        this.outputs = outputsOf(host, outputNames("BareMetalHost"));
        this.registerOutputs(this.outputs);
    }
    readonly outputs: Record<string, pulumi.Output<unknown>>;
}

class MachineWithObjects extends pulumi.ComponentResource {
    constructor(name: string, inputs: Record<string, any>, k8s: ComponentKubernetesInput, opts: pulumi.ComponentResourceOptions) {
        super(MACHINE_COMPONENT_TOKEN, name, {}, opts);
        const { kubernetes: _k, ...machineArgs } = inputs;
        const machine = new Machine(name, machineArgs as any, { parent: this, dependsOn: opts.dependsOn });
        // claimHost false: the host's BareMetalHost object is its own component's, built before
        // this Machine exists (docs/PLUGIN.md), so it cannot show the claim.
        emitMachineKubernetesObjects(this, machine, name, machineArgs as any, { namespace: k8s.namespace, apiVersion: k8s.apiVersion, claimHost: false });
        this.outputs = outputsOf(machine, outputNames("Machine"));
        this.registerOutputs(this.outputs);
    }
    readonly outputs: Record<string, pulumi.Output<unknown>>;
}

type AsyncFactory = ComponentFactory;

export const COMPONENTS: Record<string, AsyncFactory> = {
    [HOST_COMPONENT_TOKEN]: async (name, inputs, opts) => {
        const c = new BareMetalHostWithObjects(name, inputs, await kubernetesInput(inputs.kubernetes), opts);
        return { component: c, state: c.outputs };
    },
    [MACHINE_COMPONENT_TOKEN]: async (name, inputs, opts) => {
        const c = new MachineWithObjects(name, inputs, await kubernetesInput(inputs.kubernetes), opts);
        return { component: c, state: c.outputs };
    },
};
