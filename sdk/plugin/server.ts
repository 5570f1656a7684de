// The `pulumi-resource-metal3` plugin: Pulumi's ResourceProvider gRPC protocol, served on the
// generated stubs shipped in @pulumi/pulumi/proto (pulumi.provider.main drops customTimeouts,
// provider config, import and detailed diffs: docs/PLUGIN.md). Wire glue only: every operation
// calls the same handlers as the dynamic resources (sdk/providers/host.ts, machine.ts).
import * as path from "path";
import * as host from "../providers/host";
import * as machine from "../providers/machine";
import { PROVIDER_KEY } from "../providers/errors";
import { connectionFromStackConfig, deployImagesFromStackConfig, DeployImageConfig } from "../connection";
import { configureOwnerKey } from "../owner";
import type { IronicConnectionInput } from "../schemas/common";
import { IronicClient } from "../../provider/ironic";
import { mergeConnection } from "../connection";
import { generateSchema } from "../schema/generate";
import { PACKAGE, resourceEntry, ResourceType, secretOutputNames } from "../schema/resources";
import type { LoggerFor } from "./engine-log";
import { stderrLogger } from "../../provider/log";
import { importedHostInputs } from "./import";
import { Path, unwrapSecrets, valueAt, wrapSecrets } from "./secrets";
import { construct } from "./construct";
import { COMPONENTS } from "./components";

const grpc = require("@grpc/grpc-js");

const providerProto = require("@pulumi/pulumi/proto/provider_pb");

const pluginProto = require("@pulumi/pulumi/proto/plugin_pb");

const statusProto = require("@pulumi/pulumi/proto/status_pb");

const structProto = require("google-protobuf/google/protobuf/struct_pb");

const anyProto = require("google-protobuf/google/protobuf/any_pb");

const emptyProto = require("google-protobuf/google/protobuf/empty_pb");

export const HOST_TOKEN = `${PACKAGE}:index:BareMetalHost`;
export const MACHINE_TOKEN = `${PACKAGE}:index:Machine`;
/** The schema, plugin and SDK share the package's one version. */
export const VERSION: string = require(path.join(__dirname, "..", "..", "..", "package.json")).version;

const TYPE_OF_TOKEN: Record<string, ResourceType> = { [HOST_TOKEN]: "BareMetalHost", [MACHINE_TOKEN]: "Machine" };

/** Outputs that are secret whatever the inputs were: the contract's (sdk/schema/resources.ts), as schema.json marks them. */
export function alwaysSecretOutputs(token: string): Path[] {
    return secretOutputNames(TYPE_OF_TOKEN[token]).map((k) => [k]);
}

/**
 * Inputs that are secret whatever the program sent: the contract's secret input paths. A YAML or
 * Go program's literal BMC or Ironic password arrives plain; check marks it, so state holds it
 * encrypted as it does a `pulumi.secret`.
 */
export function knownSecretInputs(token: string): Path[] {
    return resourceEntry(TYPE_OF_TOKEN[token]).secretInputs.map((p) => p.split("."));
}
/** Inputs kept through a refresh although Ironic cannot give them back (it never shows them). */
const WRITE_ONLY_INPUTS: Path[] = [["bmc", "password"], ["userData"], ["networkData"], ["metaData"], ["ironic"]];
/** The dynamic host's partial-state marker, which the shared handlers expect on their inputs. */
const NATIVE_PROVIDER_MARK = "metal3-plugin";

type Callback = (err: unknown, resp?: unknown) => void;
type Props = Record<string, any>;

function toStruct(v: Props): unknown {
    return structProto.Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));
}
function fromStruct(s: any): { plain: Props; secrets: Path[] } {
    const { plain, secrets } = unwrapSecrets(s ? s.toJavaScript() : {});
    return { plain: plain ?? {}, secrets };
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` → its parts. */
export function urnParts(urn: string): { stack: string; project: string; type: string; name: string } {
    const [head, project = "", types = "", ...rest] = urn.split("::");
    const typeChain = types.split("$");
    return { stack: head.replace(/^urn:pulumi:/, ""), project, type: typeChain[typeChain.length - 1], name: rest.join("::") };
}

function withoutMark<T extends Props>(p: T): T {
    const { [PROVIDER_KEY]: _m, ...rest } = p;
    return rest as T;
}

/** A handler error as gRPC status; with `id`, the engine's "created but failed to initialize". */
function grpcError(e: any, secrets: Path[]): unknown {
    const message = e instanceof Error ? e.message : String(e);
    const metadata = new grpc.Metadata();
    if (e && typeof e.id === "string" && e.id) {
        const detail = new providerProto.ErrorResourceInitFailed();
        detail.setId(e.id);
        detail.setProperties(toStruct(wrapSecrets(withoutMark(e.properties ?? {}), secrets)));
        detail.setReasonsList(e.reasons ?? [message]);
        const details = new anyProto.Any();
        details.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
        const status = new statusProto.Status();
        status.setCode(grpc.status.UNKNOWN);
        status.setMessage(message);
        status.addDetails(details);
        metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    }
    return { code: grpc.status.UNKNOWN, message, metadata };
}

/** The owner record as sent (a protobuf Struct: its keys come back sorted), compared field by field. */
function sameOwner(sent: unknown, owner: { stack: string; resource: string }): boolean {
    const o = sent as { stack?: unknown; resource?: unknown } | null;
    return !!o && typeof o === "object" && o.stack === owner.stack && o.resource === owner.resource && Object.keys(o).length === 2;
}

export class Metal3Provider {
    private connection: IronicConnectionInput | undefined;
    private deployImages: DeployImageConfig | undefined;

    /** `logFor`: the logger of each request's resource (main.ts: the engine's log, sdk/plugin/engine-log.ts). */
    /**
     * `logFor`: the logger of each request's resource (main.ts: the engine's log, sdk/plugin/engine-log.ts).
     * `engineAddress`: the engine's address, for the runtime that Construct points at it (construct.ts).
     */
    constructor(
        private readonly logFor: LoggerFor = () => stderrLogger,
        private readonly engineAddress = "",
    ) {}

    private typeOf(req: any): string {
        const t = req.getType?.() || urnParts(req.getUrn()).type;
        if (t !== HOST_TOKEN && t !== MACHINE_TOKEN) throw new Error(`unknown resource type ${t} (this plugin serves ${HOST_TOKEN} and ${MACHINE_TOKEN})`);
        return t;
    }
    private machineCtx(): machine.MachineProviderContext {
        return { connection: this.connection };
    }
    /** Secret paths of the outputs: those of the inputs (as sent, and the contract's) plus the always-secret ones. */
    private outputSecrets(type: string, inputSecrets: Path[]): Path[] {
        const whole = alwaysSecretOutputs(type);
        // A path inside an output that is secret as a whole is covered by it (no secret inside a secret).
        const inside = (p: Path) => p.length > 1 && whole.some((w) => w[0] === p[0]);
        return [...[...inputSecrets, ...knownSecretInputs(type)].filter((p) => !inside(p)), ...whole];
    }

    /** Wraps a unary handler: errors as gRPC status. */
    private unary(fn: (req: any) => Promise<unknown>, secretsOf: (req: any) => Path[] = () => []) {
        return (call: { request: any }, callback: Callback) => {
            fn(call.request).then(
                (resp) => callback(null, resp),
                (e) => {
                    let secrets: Path[] = [];
                    try {
                        secrets = secretsOf(call.request);
                    } catch {
                        /* best effort */
                    }
                    callback(grpcError(e, secrets));
                },
            );
        };
    }

    service(): Record<string, unknown> {
        const createSecrets = (req: any) => this.outputSecrets(this.typeOf(req), fromStruct(req.getProperties()).secrets);
        const updateSecrets = (req: any) => this.outputSecrets(this.typeOf(req), fromStruct(req.getNews()).secrets);
        return {
            getPluginInfo: (_call: unknown, cb: Callback) => cb(null, new pluginProto.PluginInfo().setVersion(VERSION)),
            getSchema: this.unary(async () => new providerProto.GetSchemaResponse().setSchema(JSON.stringify(generateSchema()))),
            checkConfig: this.unary(async (req) => this.checkConfig(req)),
            diffConfig: this.unary(async (req) => this.diffConfig(req)),
            configure: this.unary(async (req) => this.configure(req)),
            check: this.unary(async (req) => this.check(req)),
            diff: this.unary(async (req) => this.diff(req)),
            create: this.unary(async (req) => this.create(req), createSecrets),
            read: this.unary(async (req) => this.read(req)),
            update: this.unary(async (req) => this.update(req), updateSecrets),
            delete: this.unary(async (req) => this.delete(req)),
            // The components with the Kubernetes objects (components.ts), for every language.
            construct: this.unary(async (req) => construct(this.engineAddress, COMPONENTS, req)),
            cancel: (_call: unknown, cb: Callback) => cb(null, new emptyProto.Empty()),
        };
    }

    // ---- provider config: metal3:ironicUrl etc. ------------------------------------------------

    private async checkConfig(req: any) {
        const { plain: news } = fromStruct(req.getNews());
        const failures: unknown[] = [];
        const insecure = news.ironicInsecure;
        if (insecure !== undefined && !["true", "false", true, false].includes(insecure)) {
            failures.push(new providerProto.CheckFailure().setProperty("ironicInsecure").setReason(`must be true or false, not ${JSON.stringify(insecure)}`));
        }
        const authType = news.ironicAuthType;
        if (authType !== undefined && !["none", "http_basic", "token", "noauth"].includes(authType)) {
            failures.push(
                new providerProto.CheckFailure().setProperty("ironicAuthType").setReason(`must be none, http_basic or token, not ${JSON.stringify(authType)}`),
            );
        }
        // Handed back as received: the engine keeps the secret ones secret.
        return new providerProto.CheckResponse().setInputs(req.getNews()).setFailuresList(failures);
    }

    private async diffConfig(req: any) {
        const olds = withoutVersion(fromStruct(req.getOlds()).plain);
        const news = withoutVersion(fromStruct(req.getNews()).plain);
        const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const resp = new providerProto.DiffResponse();
        resp.setChanges(keys.length ? providerProto.DiffResponse.DiffChanges.DIFF_SOME : providerProto.DiffResponse.DiffChanges.DIFF_NONE);
        resp.setDiffsList(keys);
        return resp;
    }

    private async configure(req: any) {
        const vars: Record<string, string> = {};
        for (const [k, v] of req.getVariablesMap().entries()) vars[k] = v;
        const args = fromStruct(req.getArgs()).plain;
        // The dynamic resources read `pulumi-metal3:<key>`; this package's config is `metal3:<key>`,
        // which the engine sends as `metal3:config:<key>` in the variables and `<key>` in the args.
        const get = (key: string) => {
            const bare = key.replace(/^pulumi-metal3:/, "");
            const v = vars[`${PACKAGE}:config:${bare}`] ?? vars[`${PACKAGE}:${bare}`] ?? args[bare];
            return v === undefined || v === null ? undefined : String(v);
        };
        this.connection = connectionFromStackConfig(get);
        this.deployImages = deployImagesFromStackConfig(get);
        configureOwnerKey(get);
        // Output values (acceptOutputs) reach Construct only (the engine marshals Check/Create without
        // them): a component's nested secret (bmc.password) arrives as a secret Output of its own.
        return new providerProto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(false).setAcceptresources(false).setAcceptoutputs(true);
    }

    // ---- resources ----------------------------------------------------------------------------

    private async check(req: any) {
        const type = this.typeOf(req);
        const { plain: olds } = fromStruct(req.getOlds());
        const { plain: news, secrets } = fromStruct(req.getNews());
        const { stack, project, name } = urnParts(req.getUrn());
        // What the TypeScript classes fill in, for programs in any language (and for import).
        if (news.name === undefined) news.name = req.getName() || name;
        // The owner record is this stack's, never an input: a program naming another stack as owner
        // would take over that stack's nodes (issue 20). The TypeScript classes send the same value.
        const owner = { stack: `${project}/${stack}`, resource: req.getName() || name };
        const ownerFailure =
            type === HOST_TOKEN && news.owner !== undefined && !sameOwner(news.owner, owner)
                ? [
                      {
                          property: "owner",
                          reason: `is not an input: the provider records the declaring stack itself (${owner.stack}, resource ${owner.resource})`,
                      },
                  ]
                : [];
        if (type === HOST_TOKEN) news.owner = owner;
        // The claim's owner likewise: a Machine naming another stack would reuse that stack's claims.
        const claimOwnerFailure =
            type === MACHINE_TOKEN && news.claimOwner !== undefined && news.claimOwner !== owner.stack
                ? [{ property: "claimOwner", reason: `is not an input: the provider records the declaring stack itself (${owner.stack})` }]
                : [];
        if (type === MACHINE_TOKEN) news.claimOwner = owner.stack;
        const checked =
            type === HOST_TOKEN ? await host.check(olds, news, this.connection, this.logFor(req.getUrn())) : await machine.check(olds, news, this.connection);
        const result = { ...checked, failures: [...ownerFailure, ...claimOwnerFailure, ...(checked.failures ?? [])] };
        const resp = new providerProto.CheckResponse().setInputs(toStruct(wrapSecrets(result.inputs ?? news, [...secrets, ...knownSecretInputs(type)])));
        resp.setFailuresList((result.failures ?? []).map((f) => new providerProto.CheckFailure().setProperty(f.property).setReason(f.reason)));
        return resp;
    }

    private async diff(req: any) {
        const type = this.typeOf(req);
        const { plain: olds } = fromStruct(req.getOlds());
        const { plain: news } = fromStruct(req.getNews());
        let changed: string[];
        let result: { changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean };
        if (type === HOST_TOKEN) {
            const d = await host.diff(req.getId(), olds, news, this.logFor(req.getUrn()));
            result = d;
            changed = d.changed;
        } else {
            result = await machine.diff(this.machineCtx(), req.getId(), olds, news);
            changed = machine.diffInputs(olds, news).changed;
        }
        const replaces = result.replaces ?? [];
        const resp = new providerProto.DiffResponse();
        const K = providerProto.PropertyDiff.Kind;
        resp.setChanges(result.changes ? providerProto.DiffResponse.DiffChanges.DIFF_SOME : providerProto.DiffResponse.DiffChanges.DIFF_NONE);
        if (!result.changes) return resp;
        resp.setReplacesList(replaces);
        resp.setDeletebeforereplace(result.deleteBeforeReplace === true);
        const keys = [...new Set([...changed, ...replaces])];
        resp.setDiffsList([...new Set(keys.map((k) => k.split(".")[0]))]);
        resp.setHasdetaileddiff(true);
        const detailed = resp.getDetaileddiffMap();
        for (const k of keys) {
            const path = k.split(".");
            const before = valueAt(olds, path);
            const after = valueAt(news, path);
            const replace = replaces.includes(k) || replaces.includes(path[0]);
            const kind =
                before === undefined
                    ? replace
                        ? K.ADD_REPLACE
                        : K.ADD
                    : after === undefined
                      ? replace
                          ? K.DELETE_REPLACE
                          : K.DELETE
                      : replace
                        ? K.UPDATE_REPLACE
                        : K.UPDATE;
            detailed.set(k, new providerProto.PropertyDiff().setKind(kind).setInputdiff(true));
        }
        return resp;
    }

    private async create(req: any) {
        const type = this.typeOf(req);
        const { plain: inputs, secrets } = fromStruct(req.getProperties());
        const deadlineMs = req.getTimeout() > 0 ? req.getTimeout() * 1000 : undefined;
        const marked = { ...inputs, [PROVIDER_KEY]: NATIVE_PROVIDER_MARK };
        const result =
            type === HOST_TOKEN
                ? await host.create(marked, this.connection, this.deployImages, deadlineMs, this.logFor(req.getUrn()))
                : await machine.create(this.machineCtx(), marked, deadlineMs, this.logFor(req.getUrn()));
        const resp = new providerProto.CreateResponse().setId(result.id);
        resp.setProperties(toStruct(wrapSecrets(withoutMark(result.outs ?? {}), this.outputSecrets(type, secrets))));
        return resp;
    }

    private async update(req: any) {
        const type = this.typeOf(req);
        const { plain: olds } = fromStruct(req.getOlds());
        const { plain: news, secrets } = fromStruct(req.getNews());
        const deadlineMs = req.getTimeout() > 0 ? req.getTimeout() * 1000 : undefined;
        const marked = { ...news, [PROVIDER_KEY]: NATIVE_PROVIDER_MARK };
        const result =
            type === HOST_TOKEN
                ? await host.update(req.getId(), olds, marked, this.connection, this.deployImages, deadlineMs, this.logFor(req.getUrn()))
                : await machine.update(this.machineCtx(), req.getId(), olds, marked, deadlineMs, this.logFor(req.getUrn()));
        return new providerProto.UpdateResponse().setProperties(toStruct(wrapSecrets(withoutMark(result.outs ?? {}), this.outputSecrets(type, secrets))));
    }

    private async delete(req: any) {
        const type = this.typeOf(req);
        const { plain: props } = fromStruct(req.getProperties());
        const deadlineMs = req.getTimeout() > 0 ? req.getTimeout() * 1000 : undefined;
        if (type === HOST_TOKEN) await host.remove(req.getId(), props, this.connection, deadlineMs, this.logFor(req.getUrn()));
        else await machine.remove(this.machineCtx(), req.getId(), props, deadlineMs, this.logFor(req.getUrn()));
        return new emptyProto.Empty();
    }

    private async read(req: any) {
        const type = this.typeOf(req);
        const id: string = req.getId();
        const { plain: props, secrets: propSecrets } = fromStruct(req.getProperties());
        const { plain: oldInputs, secrets: inputSecrets } = fromStruct(req.getInputs());
        const importing = Object.keys(props).length === 0;
        let result: { id?: string; props?: Props; inputs?: Props };
        if (type === HOST_TOKEN) {
            const known = importing ? await this.importedHost(id) : props;
            result = await host.read(importing ? String(known.__uuid) : id, withoutUuid(known), this.connection, this.logFor(req.getUrn()));
        } else {
            if (importing) throw new Error(`importing a Machine is not supported: import its host (${HOST_TOKEN}) and declare the Machine, which claims it`);
            result = await machine.read(this.machineCtx(), id, props);
        }
        const resp = new providerProto.ReadResponse();
        // Gone (deleted out of band): an empty id, and refresh drops the resource.
        if (!result.id) return resp.setId("");
        // What Ironic never gives back (passwords, config drive) stays as the program gave it.
        const inputs: Props = { ...(result.inputs ?? {}) };
        for (const p of WRITE_ONLY_INPUTS) {
            const old = valueAt(oldInputs, p);
            if (old === undefined || valueAt(inputs, p) !== undefined) continue;
            if (p.length === 1) inputs[p[0]] = old;
            else if (inputs[p[0]] && typeof inputs[p[0]] === "object") inputs[p[0]] = { ...inputs[p[0]], [p[1]]: old };
        }
        resp.setId(result.id);
        resp.setProperties(toStruct(wrapSecrets(withoutMark(result.props ?? {}), this.outputSecrets(type, propSecrets))));
        resp.setInputs(toStruct(wrapSecrets(withoutMark(inputs), inputSecrets)));
        return resp;
    }

    /** `pulumi import`: the node by UUID or name, as the inputs a program would declare. */
    private async importedHost(id: string): Promise<Props> {
        const client = await IronicClient.connect(mergeConnection(undefined, this.connection));
        try {
            const node = await client.findNode(id);
            if (!node) {
                throw new Error(
                    `cannot import ${HOST_TOKEN} "${id}": Ironic at ${client.url} has no node with that UUID or name ` +
                        "(list them with `baremetal node list`; the id to import is the node's UUID or its name, e.g. default~host-0)",
                );
            }
            return { ...(await importedHostInputs(client, node)), __uuid: node.uuid };
        } finally {
            await client.close();
        }
    }
}

function withoutVersion(p: Props): Props {
    const { version: _v, ...rest } = p;
    return rest;
}

function withoutUuid(p: Props): Props {
    const { __uuid: _u, ...rest } = p;
    return rest;
}
