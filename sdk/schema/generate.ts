// Generates the top-level schema.json (Pulumi package schema) from the zod input schemas, which are
// the single source of truth. `--check` fails when the committed schema.json is stale.
//
//   npm run schema            # rewrite schema.json
//   node dist/sdk/schema/generate.js --check
import * as fs from "fs";
import * as path from "path";
import { zodToJsonSchema } from "zod-to-json-schema";
import { UNKNOWN } from "../schemas/common";
import { RESOURCES, PACKAGE, ResourceType, secretOutputNames } from "./resources";

type JsonSchema = Record<string, any>;
type PulumiType = Record<string, any>;

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const SCHEMA_PATH = path.join(REPO_ROOT, "schema.json");

function pascal(s: string): string {
    return s.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/** Drops the preview-time unknown sentinel from unions: it is an engine detail, not a user type. */
function withoutUnknown(options: JsonSchema[]): JsonSchema[] {
    return options.filter((o) => !(o.const === UNKNOWN || (Array.isArray(o.enum) && o.enum.length === 1 && o.enum[0] === UNKNOWN)));
}

class Converter {
    readonly types: Record<string, PulumiType> = {};

    /** JSON Schema (from zod) → Pulumi schema type reference; nested objects become named types. */
    typeRef(s: JsonSchema, typeName: string): PulumiType {
        if (s.anyOf || s.oneOf) {
            const opts = withoutUnknown(s.anyOf ?? s.oneOf);
            if (opts.length === 1) return this.typeRef({ ...opts[0], description: s.description ?? opts[0].description }, typeName);
            const prims = opts.map((o) => o.type);
            if (prims.every((t) => t === "string")) return { type: "string" };
            return { $ref: "pulumi.json#/Any" };
        }
        if (s.allOf && s.allOf.length === 1) return this.typeRef(s.allOf[0], typeName);
        if (Array.isArray(s.type)) {
            const t = s.type.filter((x: string) => x !== "null");
            return t.length === 1 ? this.typeRef({ ...s, type: t[0] }, typeName) : { $ref: "pulumi.json#/Any" };
        }
        if (s.const !== undefined || s.enum)
            return { type: typeof (s.const ?? s.enum[0]) === "number" ? "number" : typeof (s.const ?? s.enum[0]) === "boolean" ? "boolean" : "string" };
        switch (s.type) {
            case "string":
            case "boolean":
            case "number":
            case "integer":
                return { type: s.type };
            case "array":
                return { type: "array", items: this.typeRef(s.items ?? {}, typeName + "Item") };
            case "object":
                if (s.properties && Object.keys(s.properties).length > 0) {
                    const token = `${PACKAGE}:index:${typeName}`;
                    this.types[token] = {
                        type: "object",
                        description: s.description,
                        properties: this.properties(s.properties, typeName, []),
                        required: s.required?.length ? s.required : undefined,
                    };
                    return { $ref: `#/types/${token}` };
                }
                return {
                    type: "object",
                    additionalProperties:
                        s.additionalProperties && s.additionalProperties !== true
                            ? this.typeRef(s.additionalProperties, typeName + "Value")
                            : { $ref: "pulumi.json#/Any" },
                };
            default:
                return { $ref: "pulumi.json#/Any" };
        }
    }

    properties(props: Record<string, JsonSchema>, owner: string, secretPaths: readonly string[], prefix = ""): Record<string, PulumiType> {
        const out: Record<string, PulumiType> = {};
        for (const [name, s] of Object.entries(props)) {
            const ref = this.typeRef(s, owner + pascal(name));
            const secret = secretPaths.includes(prefix + name);
            out[name] = { ...ref, description: s.description ?? findDescription(s), ...(secret ? { secret: true } : {}) };
        }
        return out;
    }
}

function findDescription(s: JsonSchema): string | undefined {
    for (const o of s.anyOf ?? s.oneOf ?? []) if (o.description) return o.description;
    return undefined;
}

/** Marks nested secret inputs (e.g. `bmc.password`) on the generated nested types. */
function markNestedSecrets(conv: Converter, resourceType: string, secrets: readonly string[]): void {
    for (const p of secrets.filter((x) => x.includes("."))) {
        const [head, leaf] = p.split(".");
        const token = `${PACKAGE}:index:${resourceType}${pascal(head)}`;
        const t = conv.types[token];
        if (t?.properties?.[leaf]) t.properties[leaf].secret = true;
    }
}

/**
 * Inputs the plugin's Check fills in when a program leaves them out (sdk/plugin/server.ts): the
 * resource's name and its owner. Required by the zod schemas, optional for programs in any
 * language (a YAML program's type check would otherwise demand `name`).
 */
const FILLED_BY_CHECK = new Set(["name", "owner", "claimOwner"]);

const KUBERNETES_TARGET = `${PACKAGE}:index:KubernetesTarget`;

/**
 * `<Type>WithObjects`: the plugin's component holding the resource and its Kubernetes objects
 * (sdk/plugin/components.ts). Same inputs plus `kubernetes`; its outputs are the resource's
 * computed outputs (not the echoed inputs: the component's state holds no credentials).
 */
function withObjectsComponent(type: ResourceType, resource: Record<string, any>): Record<string, any> {
    const computed = Object.keys(RESOURCES.find((r) => r.type === type)!.outputs);
    return {
        isComponent: true,
        description: `A ${type} (metal3:index:${type}) and its Metal³ / Cluster API Kubernetes objects, as the TypeScript classes' \`kubernetes\` option emits them (docs/PLUGIN.md).`,
        inputProperties: { ...resource.inputProperties, kubernetes: { $ref: `#/types/${KUBERNETES_TARGET}`, description: "Where the Kubernetes objects go." } },
        requiredInputs: resource.requiredInputs,
        properties: Object.fromEntries(computed.map((k) => [k, resource.properties[k]])),
        required: resource.required,
    };
}

export function generateSchema(): Record<string, any> {
    const conv = new Converter();
    const resources: Record<string, any> = {};
    for (const r of RESOURCES) {
        const js = (zodToJsonSchema as (s: unknown, o: unknown) => unknown)(r.inputs, { $refStrategy: "none", target: "jsonSchema7" }) as JsonSchema;
        const obj = js.type === "object" ? js : (js.allOf?.[0] ?? js.anyOf?.[0] ?? js);
        const topSecrets = r.secretInputs.filter((x) => !x.includes("."));
        const inputProperties = conv.properties(obj.properties ?? {}, r.type, topSecrets);
        markNestedSecrets(conv, r.type, r.secretInputs);
        const outputProperties: Record<string, any> = {};
        for (const [name, o] of Object.entries(r.outputs)) outputProperties[name] = { ...o };
        for (const [name, spec] of Object.entries(inputProperties)) if (!(name in outputProperties)) outputProperties[name] = spec;
        resources[`${PACKAGE}:index:${r.type}`] = {
            description: r.description,
            inputProperties,
            requiredInputs: (obj.required ?? []).filter((k: string) => !FILLED_BY_CHECK.has(k)),
            properties: outputProperties,
            required: Object.keys(r.outputs).filter((k) => r.outputs[k].required !== false),
        };
        for (const o of Object.values(outputProperties)) delete (o as any).required;
        for (const name of r.replaceOnChanges) if (inputProperties[name]) inputProperties[name].replaceOnChanges = true;
        // Outputs secret as a whole (the contract's, as the classes' additionalSecretOutputs).
        const properties = resources[`${PACKAGE}:index:${r.type}`].properties;
        for (const name of secretOutputNames(r.type as ResourceType)) if (properties[name]) properties[name] = { ...properties[name], secret: true };
        resources[`${PACKAGE}:index:${r.type}WithObjects`] = withObjectsComponent(r.type as ResourceType, resources[`${PACKAGE}:index:${r.type}`]);
    }
    conv.types[KUBERNETES_TARGET] = {
        type: "object",
        description:
            "Where the component's Kubernetes objects go; the cluster is the component's `kubernetes` provider (resource option) or the ambient kubeconfig.",
        properties: {
            namespace: { type: "string", description: 'Namespace of objects whose resource sets none (default "default").' },
            apiVersion: {
                type: "string",
                description: "Cluster API version of the Machine and Metal3Machine objects: v1beta1 (default) or v1beta2. Machine only.",
            },
        },
    };
    return {
        name: PACKAGE,
        displayName: "Metal³ bare metal (Ironic)",
        version: require(path.join(REPO_ROOT, "package.json")).version,
        description:
            "Bare-metal provisioning in the style of Metal³: BareMetalHost and Machine resources that drive OpenStack Ironic " +
            "(served by the pulumi-resource-metal3 plugin, and as Node.js dynamic resources; generated from their zod input schemas).",
        keywords: ["pulumi", "metal3", "ironic", "baremetal", "kind/native"],
        license: "Apache-2.0",
        config: {
            variables: {
                ironicUrl: { type: "string", description: "Ironic API endpoint for this stack (else OS_ENDPOINT / IRONIC_URL / clouds.yaml)." },
                ironicAuthType: { type: "string", description: "none, http_basic or token." },
                ironicUsername: { type: "string", description: "HTTP basic user name." },
                ironicPassword: { type: "string", secret: true, description: "HTTP basic password." },
                ironicToken: { type: "string", secret: true, description: "Auth token." },
                ironicCloud: { type: "string", description: "clouds.yaml entry (as OS_CLOUD)." },
                ironicCaFile: { type: "string", description: "CA bundle for Ironic's TLS certificate." },
                ironicCertFile: { type: "string", description: "Client certificate." },
                ironicKeyFile: { type: "string", description: "Client certificate key." },
                ironicInsecure: { type: "boolean", description: "Skip TLS verification." },
                ironicAllowInsecureHttp: { type: "boolean", description: "Allow credentials over plain http to an Ironic that is not on loopback." },
                deployKernel: { type: "string", description: "URL of the ironic-python-agent kernel for hosts without their own deployKernel." },
                deployRamdisk: { type: "string", description: "URL of the ironic-python-agent ramdisk for hosts without their own deployRamdisk." },
                deployIso: { type: "string", description: "URL of the ironic-python-agent ISO (virtual-media drivers) for hosts without their own deployIso." },
            },
        },
        language: {
            nodejs: { packageName: "pulumi-metal3", dependencies: { "@pulumi/pulumi": "3.248.0" } },
            go: { importBasePath: "github.com/pulumi-metal3/pulumi-metal3/sdk-go/metal3" },
            // respectSchemaVersion: the generated package carries the schema's version (else 0.0.0), so
            // its resources ask the engine for the plugin version that serves them.
            python: { packageName: "pulumi_metal3", respectSchemaVersion: true },
        },
        types: Object.fromEntries(Object.entries(conv.types).sort(([a], [b]) => a.localeCompare(b))),
        resources,
    };
}

function main(): number {
    const text = JSON.stringify(generateSchema(), null, 2) + "\n";
    if (process.argv.includes("--check")) {
        const current = fs.existsSync(SCHEMA_PATH) ? fs.readFileSync(SCHEMA_PATH, "utf8") : "";
        if (current !== text) {
            console.error("schema.json is stale: it no longer matches the zod input schemas. Run `npm run schema` and commit it.");
            return 1;
        }
        console.error("schema.json is up to date");
        return 0;
    }
    fs.writeFileSync(SCHEMA_PATH, text);
    console.error(`wrote ${SCHEMA_PATH}`);
    return 0;
}

if (require.main === module) process.exit(main());
