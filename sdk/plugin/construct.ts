// The plugin's `Construct`: the engine asks the plugin to build a component (a `remote: true`
// registration from a YAML, Python or Go program). Like @pulumi/pulumi 3.248.0's own provider
// server (sdk/nodejs/provider/server.ts in pulumi/pulumi, `Server.construct`, not exported), it
// points this process's Pulumi runtime at the engine's resource monitor, runs the component's
// constructor (which registers its children through the engine as a program would), and answers
// with the component's URN and outputs once every child registration has completed.
import * as pulumi from "@pulumi/pulumi";

const providerProto = require("@pulumi/pulumi/proto/provider_pb");

const structProto = require("google-protobuf/google/protobuf/struct_pb");

const settings = require("@pulumi/pulumi/runtime/settings");

const runtimeConfig = require("@pulumi/pulumi/runtime/config");

const localState = require("@pulumi/pulumi/runtime/state");

const rpc = require("@pulumi/pulumi/runtime/rpc");

const { deserializeInputs } = require("@pulumi/pulumi/provider/server");

/** Builds the component `type` named `name`; returns it and the outputs to answer with. */
export type ComponentFactory = (
    name: string,
    inputs: Record<string, any>,
    opts: pulumi.ComponentResourceOptions,
) => Promise<{ component: pulumi.ComponentResource; state: Record<string, pulumi.Input<unknown>> }>;

/** One Construct request → ConstructResponse (run in its own runtime state, as upstream's server). */
export function construct(engineAddr: string, factories: Record<string, ComponentFactory>, req: any): Promise<unknown> {
    return localState.withLocalStorage(async () => {
        const type: string = req.getType();
        const name: string = req.getName();
        const factory = factories[type];
        if (!factory) throw new Error(`pulumi-resource-metal3 has no component ${type} (it builds ${Object.keys(factories).join(", ")})`);
        settings.resetOptions(
            req.getProject(),
            req.getStack(),
            req.getParallel(),
            engineAddr,
            req.getMonitorendpoint(),
            req.getDryrun(),
            req.getOrganization(),
        );
        await settings.awaitFeatureSupport();
        const config: Record<string, string> = {};
        for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
        runtimeConfig.setAllConfig(config, req.getConfigsecretkeysList());

        const inputs = await deserializeInputs(req.getInputs(), req.getInputdependenciesMap());
        const providers: Record<string, pulumi.ProviderResource> = {};
        // A provider reference `<urn>::<id>`, as upstream's createProviderResource falls back to.
        for (const [pkg, ref] of req.getProvidersMap().entries()) providers[pkg] = new pulumi.DependencyProviderResource(ref);
        const opts: pulumi.ComponentResourceOptions = {
            dependsOn: req.getDependenciesList().map((urn: string) => new pulumi.DependencyResource(urn)),
            protect: req.getProtect(),
            providers,
            parent: req.getParent() ? new pulumi.DependencyResource(req.getParent()) : undefined,
        };
        const { component, state } = await factory(name, inputs, opts);
        const resp = new providerProto.ConstructResponse();
        resp.setUrn(await (component.urn as any).promise());
        const [serialized, deps] = await rpc.serializeResourceProperties(`construct(${type}, ${name})`, state);
        const depsMap = resp.getStatedependenciesMap();
        for (const [key, resources] of deps as Map<string, Set<pulumi.Resource>>) {
            const d = new providerProto.ConstructResponse.PropertyDependencies();
            d.setUrnsList(await Promise.all(Array.from(resources).map((r) => (r.urn as any).promise())));
            depsMap.set(key, d);
        }
        resp.setState(structProto.Struct.fromJavaScript(serialized));
        // Every child registration done (in `up`, every child created) before answering.
        await settings.waitForRPCs();
        return resp;
    });
}
