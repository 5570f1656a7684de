// Validates rendered objects against the openAPIV3Schema of the real CRDs (crds/ of the package, or
// any directory of CRD YAML), the way the kube-apiserver would judge them:
// - fields the schema does not declare are errors (the apiserver silently *prunes* them, which is
//   worse than an error for us: the object would not say what we meant), except under
//   `x-kubernetes-preserve-unknown-fields` or an explicit `additionalProperties`;
// - `x-kubernetes-int-or-string` accepts an integer or a string; `x-kubernetes-list-type: set`
//   needs unique items and `map` unique keys; `nullable` admits null; formats are checked
//   (date-time, uri, int32, int64, ...);
// - metadata (which the CRD schema leaves as `type: object`) gets the apiserver's own name, label
//   and annotation rules (meta.ts).
// Not evaluated: defaulting (we emit every required field ourselves) and CEL
// `x-kubernetes-validations` (none in the Metal³ CRDs we target; reported as skipped in `notes`).
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ValidateFunction, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import * as yaml from "js-yaml";
import { objectMetaProblems } from "./meta";
import type { KubeObject } from "./types";

/** The package root (where package.json and crds/ live), found from this file in src or dist. */
export function packageRoot(): string {
    let dir = __dirname;
    for (let i = 0; i < 6; i++) {
        if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "crds"))) return dir;
        dir = path.dirname(dir);
    }
    throw new Error(`pulumi-metal3: cannot find the package root (package.json + crds/) above ${__dirname}`);
}

/** The CRDs shipped with the package (copied from upstream; see crds/SOURCES.txt). */
export function defaultCrdDir(): string {
    return path.join(packageRoot(), "crds");
}

export interface CrdVersion {
    file: string;
    group: string;
    kind: string;
    version: string;
    served: boolean;
    storage: boolean;
    schema: Record<string, any>;
}

type Json = Record<string, any>;

/** Rewrites a structural schema so that a JSON Schema validator judges like the apiserver. */
export function apiserverSchema(schema: Json): Json {
    const s: Json = { ...schema };
    delete s.description;
    if (s["x-kubernetes-int-or-string"]) {
        delete s.type;
        s.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (s.properties) {
        const props: Json = {};
        for (const [k, v] of Object.entries(s.properties)) props[k] = apiserverSchema(v as Json);
        s.properties = props;
        if (s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) s.additionalProperties = false;
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object") s.additionalProperties = apiserverSchema(s.additionalProperties);
    if (s.items) s.items = Array.isArray(s.items) ? s.items.map(apiserverSchema) : apiserverSchema(s.items);
    // allOf/anyOf/oneOf/not are left alone: in a structural schema they only add value checks on
    // fields the surrounding schema declares, so closing them (additionalProperties) would be wrong.
    if (s["x-kubernetes-list-type"] === "set") s.uniqueItems = true;
    return s;
}

function newAjv(): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    const intIn = (min: number, max: number) => ({ type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
    ajv.addFormat("int32", intIn(-(2 ** 31), 2 ** 31 - 1));
    ajv.addFormat("int64", intIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    ajv.addFormat("double", { type: "number", validate: (n: number) => Number.isFinite(n) });
    ajv.addFormat("float", { type: "number", validate: (n: number) => Number.isFinite(n) });
    ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    ajv.addFormat("int-or-string", true);
    for (const kw of [
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-map-type",
        "x-kubernetes-list-type",
        "x-kubernetes-validations",
    ])
        ajv.addKeyword({ keyword: kw });
    ajv.addKeyword({
        keyword: "x-kubernetes-list-map-keys",
        type: "array",
        schemaType: "array",
        error: { message: "list-map items must have unique keys" },
        validate: (keys: string[], data: unknown[]) => {
            const seen = new Set<string>();
            for (const item of data) {
                const id = JSON.stringify(keys.map((k) => (item as Json)?.[k]));
                if (seen.has(id)) return false;
                seen.add(id);
            }
            return true;
        },
    });
    return ajv;
}

function formatError(e: ErrorObject): string {
    const where = e.instancePath || "/";
    const extra =
        e.keyword === "additionalProperties"
            ? ` "${(e.params as Json).additionalProperty}" (the apiserver would prune it)`
            : e.keyword === "enum"
              ? `: ${JSON.stringify((e.params as Json).allowedValues)}`
              : "";
    return `${where} ${e.message}${extra}`;
}

function containsCel(schema: unknown): boolean {
    if (!schema || typeof schema !== "object") return false;
    if ((schema as Json)["x-kubernetes-validations"]) return true;
    return Object.values(schema as Json).some(containsCel);
}

/** A directory of CRDs, compiled lazily per (file, version, sub-path). */
export class CrdSchemas {
    private readonly ajv = newAjv();
    private readonly compiled = new Map<string, ValidateFunction>();
    readonly versions: CrdVersion[];
    /** Things this validator could not check (e.g. CEL rules), for the test report. */
    readonly notes: string[] = [];

    private constructor(
        readonly dir: string,
        versions: CrdVersion[],
    ) {
        this.versions = versions;
    }

    static load(dir: string = defaultCrdDir()): CrdSchemas {
        const files = fs
            .readdirSync(dir)
            .filter((f) => /\.ya?ml$/.test(f))
            .sort()
            .map((f) => path.join(dir, f));
        return CrdSchemas.loadFiles(files, dir);
    }

    /** CRDs from explicit files (e.g. Cluster API's own, from the Go module cache). */
    static loadFiles(paths: string[], label = paths.map((p) => path.dirname(p)).join(", ")): CrdSchemas {
        const versions: CrdVersion[] = [];
        for (const full of paths) {
            const file = path.basename(full);
            for (const doc of yaml.loadAll(fs.readFileSync(full, "utf8")) as Json[]) {
                if (doc?.kind !== "CustomResourceDefinition") continue;
                for (const v of doc.spec.versions ?? []) {
                    versions.push({
                        file,
                        group: doc.spec.group,
                        kind: doc.spec.names.kind,
                        version: v.name,
                        served: v.served !== false,
                        storage: !!v.storage,
                        schema: v.schema?.openAPIV3Schema ?? {},
                    });
                }
            }
        }
        const out = new CrdSchemas(label, versions);
        for (const v of versions) if (containsCel(v.schema)) out.notes.push(`${v.file} ${v.version}: CEL x-kubernetes-validations not evaluated`);
        return out;
    }

    /** Every served CRD version for this apiVersion + kind (several files may serve one, e.g. two CAPM3 releases). */
    find(apiVersion: string, kind: string): CrdVersion[] {
        const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
        return this.versions.filter((v) => v.group === group && v.version === version && v.kind === kind && v.served);
    }

    private validator(v: CrdVersion, sub: "" | "status"): ValidateFunction {
        const key = `${v.file}#${v.version}#${sub}`;
        let fn = this.compiled.get(key);
        if (!fn) {
            const root = apiserverSchema(v.schema);
            const schema = sub ? root.properties?.[sub] : root;
            if (!schema) throw new Error(`${v.file} ${v.version}: the schema has no ${sub}`);
            fn = this.ajv.compile(schema);
            this.compiled.set(key, fn);
        }
        return fn;
    }

    private run(obj: unknown, apiVersion: string, kind: string, sub: "" | "status"): string[] {
        const targets = this.find(apiVersion, kind);
        if (targets.length === 0) return [`no CRD in ${this.dir} serves ${apiVersion} ${kind}`];
        const out: string[] = [];
        for (const v of targets) {
            const fn = this.validator(v, sub);
            if (!fn(obj)) for (const e of fn.errors ?? []) out.push(`${v.file} ${v.version}: ${sub ? "/" + sub : ""}${formatError(e)}`);
        }
        return out;
    }

    /** Problems with a whole object (schema of every CRD serving it, plus metadata rules); [] when valid. */
    validate(obj: KubeObject): string[] {
        const who = `${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
        const problems = this.run(obj, obj.apiVersion, obj.kind, "").map((p) => `${who}: ${p}`);
        if (obj.metadata) problems.push(...objectMetaProblems(obj.kind, obj.metadata));
        else problems.push(`${who}: metadata is missing`);
        return problems;
    }

    /** Problems with a `status` value as the status subresource would judge it. */
    validateStatus(apiVersion: string, kind: string, status: unknown): string[] {
        return this.run(status, apiVersion, kind, "status");
    }
}
