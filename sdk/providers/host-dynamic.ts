// The BareMetalHost dynamic provider: the object the engine's dynamic-provider host calls. Alone in
// its module (`export =`) so that Pulumi's closure serializer, which records a captured object
// that is a module's exports in node_modules as `require(...)` of that module, writes a few
// hundred bytes into every resource's state (`__provider`, in its inputs and outputs) instead of
// this object's source: the engine rewrites the whole checkpoint after each step, so each byte
// per resource costs O(N²) at N resources (docs/PERFORMANCE.md). Where the package is not under a
// node_modules directory (this repository's own tests, through its self-link) the serializer
// copies the object by value, as before. Each method loads the implementation from the installed
// package at call time either way, and `configure` keeps the stack-config connection on `this`.
import type * as pulumi from "@pulumi/pulumi";
import type { IronicConnectionInput } from "../schemas/common";

const bareMetalHostProvider = {
    connection: undefined as IronicConnectionInput | undefined,
    deployImages: undefined as Record<string, string> | undefined,
    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        // configure runs once per provider process: the place to make it end with its engine.
        require("pulumi-metal3/dist/sdk/providers/engine-watch").watchEngine();
        const { connectionFromStackConfig, deployImagesFromStackConfig } = require("pulumi-metal3/dist/sdk/connection");
        this.connection = connectionFromStackConfig((k: string) => req.config.get(k));
        require("pulumi-metal3/dist/sdk/owner").configureOwnerKey((k: string) => req.config.get(k));
        this.deployImages = deployImagesFromStackConfig((k: string) => req.config.get(k));
    },
    async check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
        return require("pulumi-metal3/dist/sdk/providers/host").check(olds, news, this.connection);
    },
    async diff(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
        return require("pulumi-metal3/dist/sdk/providers/host").diff(id, olds, news);
    },
    async create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
        return require("pulumi-metal3/dist/sdk/providers/host").create(inputs, this.connection, this.deployImages);
    },
    async read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
        return require("pulumi-metal3/dist/sdk/providers/host").read(id, props, this.connection);
    },
    async update(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
        return require("pulumi-metal3/dist/sdk/providers/host").update(id, olds, news, this.connection, this.deployImages);
    },
    async delete(id: string, props: any): Promise<void> {
        return require("pulumi-metal3/dist/sdk/providers/host").remove(id, props, this.connection);
    },
};

export = bareMetalHostProvider;
