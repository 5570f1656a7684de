// Object metadata rules the kube-apiserver enforces itself (CRD schemas only say `metadata: object`),
// checked here so a bad name fails at render time with the object named, not at apply time.
import type { ObjectMeta, SecretObject } from "./types";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isDnsSubdomain(s: string): boolean {
    return s.length > 0 && s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function isDnsLabel(s: string): boolean {
    return s.length > 0 && s.length <= 63 && DNS1123_LABEL.test(s);
}

/** BMO's webhook also refuses host names that parse as a UUID (they would clash with node UUIDs). */
export function looksLikeUuid(s: string): boolean {
    return UUID.test(s);
}

function labelKeyProblem(key: string): string | undefined {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return `label/annotation key "${key}": prefix is not a DNS subdomain`;
    if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name))
        return `label/annotation key "${key}": name part must be 1-63 alphanumerics, '-', '_' or '.'`;
    return undefined;
}

/** Problems with an object's metadata, each naming the object; empty when fine. */
export function objectMetaProblems(kind: string, meta: ObjectMeta): string[] {
    const who = `${kind} ${meta.namespace}/${meta.name}`;
    const out: string[] = [];
    if (!isDnsSubdomain(meta.name)) out.push(`${who}: metadata.name must be a lower-case DNS subdomain (RFC 1123)`);
    if (!isDnsLabel(meta.namespace)) out.push(`${who}: metadata.namespace must be a DNS label (RFC 1123)`);
    for (const [k, v] of Object.entries(meta.labels ?? {})) {
        const p = labelKeyProblem(k);
        if (p) out.push(`${who}: ${p}`);
        if (typeof v !== "string" || v.length > 63 || (v !== "" && !QUALIFIED_NAME.test(v)))
            out.push(`${who}: label "${k}" value ${JSON.stringify(v)} must be empty or 1-63 alphanumerics, '-', '_' or '.'`);
    }
    let annotationBytes = 0;
    for (const [k, v] of Object.entries(meta.annotations ?? {})) {
        const p = labelKeyProblem(k);
        if (p) out.push(`${who}: ${p}`);
        if (typeof v !== "string") out.push(`${who}: annotation "${k}" must be a string`);
        else annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    if (annotationBytes > 256 * 1024) out.push(`${who}: annotations total ${annotationBytes} bytes, over the 256 KiB limit`);
    for (const ref of meta.ownerReferences ?? []) {
        if (!ref.apiVersion || !ref.kind || !ref.name || !ref.uid) out.push(`${who}: ownerReference needs apiVersion, kind, name and uid`);
    }
    return out;
}

/** Throws one error listing every metadata problem. */
export function assertObjectMeta(kind: string, meta: ObjectMeta): void {
    const problems = objectMetaProblems(kind, meta);
    if (problems.length) throw new Error(problems.join("; "));
}

/** An Opaque (or typed) Secret with base64 `data`, like `kubectl create secret` and make-bm-worker write. */
export function renderSecret(meta: ObjectMeta, values: Record<string, string>, type = "Opaque"): SecretObject {
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) data[k] = Buffer.from(v, "utf8").toString("base64");
    const secret: SecretObject = { apiVersion: "v1", kind: "Secret", metadata: meta, type, data };
    assertObjectMeta("Secret", meta);
    return secret;
}

/** Secret data keys must be `[-._a-zA-Z0-9]+` and values valid base64. */
export function secretProblems(secret: SecretObject): string[] {
    const who = `Secret ${secret.metadata.namespace}/${secret.metadata.name}`;
    const out = objectMetaProblems("Secret", secret.metadata);
    if (secret.apiVersion !== "v1" || secret.kind !== "Secret") out.push(`${who}: apiVersion/kind must be v1/Secret`);
    for (const [k, v] of Object.entries(secret.data ?? {})) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253) out.push(`${who}: data key "${k}" is not a valid key`);
        if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) out.push(`${who}: data "${k}" is not base64`);
    }
    return out;
}

/** A string stays as is; an object is JSON (JSON is also YAML, which BMO and cloud-init accept). */
export function configDataText(value: string | Record<string, unknown>): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Copies only defined values, so rendered objects never carry `key: undefined`. */
export function compact<T extends Record<string, unknown>>(o: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out as T;
}
