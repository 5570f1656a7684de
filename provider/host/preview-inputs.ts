// The inputs a preview builds its two specs from (plan.ts predictUpdate): the old ones from the
// resource's recorded outputs, the new ones as declared. Secrets are known to the old state only
// as keyed digests, so both sides carry digests (equal secrets give equal fingerprints); a value
// not known until apply is taken as unchanged or as changed, as the caller asks. Pure. Knows
// nothing of Pulumi: which inputs are echoed or withheld, and what "not known" looks like, come
// from the caller (sdk/providers/host.ts, from the resource contract sdk/schema/resources.ts).
import { legacySecretDigest, secretDigest } from "./desired";
import type { PlainHostInputs } from "./inputs";
import { bmcProfile } from "./bmc";

/** The secret inputs a state holds as digests only (config drive data). */
export type SecretInputKey = "userData" | "networkData" | "metaData";

/** How the caller's inputs read: what is echoed, what is withheld, what is not known yet. */
export interface PreviewContract {
    /** Inputs echoed into the outputs (the old state has their values). */
    publicInputKeys: readonly string[];
    /** Inputs withheld whole (their digests are in the old state's secretDigests). */
    secretKeys: readonly SecretInputKey[];
    /** `v` is a value not known until apply. */
    unknown: (v: unknown) => boolean;
}

/** The digests a state holds of its secrets: keyed (HMAC under `key`), or salted (releases before keyed digests). */
export interface RecordedDigests {
    key?: string;
    /** Older releases only. */
    salt?: string;
    bmcPassword?: string;
    userData?: string;
    networkData?: string;
    metaData?: string;
}

/** Stands for a value not known until apply, assumed changed. */
const UNKNOWN_AT_PREVIEW = "(known after apply)";
/** Stands for a secret as the last run had it (its digest is in the old state). */
const OLD_SECRET = { "pulumi-metal3": "the secret as the last run had it" };

/** `v` holds, anywhere inside it, a value not known until apply. */
export function holdsUnknown(c: PreviewContract, v: unknown): boolean {
    if (c.unknown(v)) return true;
    if (Array.isArray(v)) return v.some((x) => holdsUnknown(c, x));
    if (v && typeof v === "object") return Object.values(v).some((x) => holdsUnknown(c, x));
    return false;
}

/**
 * Inputs for a preview spec: secrets replaced by their digests in the form the old state holds
 * them; values unknown at preview taken as the old ones (`same`) or as changed (`changed`).
 * `fromState`: `inputs` are the old outputs themselves.
 */
export function previewInputs(
    c: PreviewContract,
    inputs: Record<string, unknown>,
    olds: Record<string, unknown>,
    fromState: boolean,
    unknowns: "same" | "changed",
): PlainHostInputs {
    const d = (olds.secretDigests ?? { salt: "" }) as RecordedDigests;
    const resolve = (v: unknown, old: unknown): unknown => {
        if (c.unknown(v)) return unknowns === "same" ? old : changedFrom(old);
        if (Array.isArray(v)) return v.map((x, i) => resolve(x, Array.isArray(old) ? old[i] : undefined));
        if (v && typeof v === "object")
            return Object.fromEntries(
                Object.entries(v).map(([k, x]) => [k, resolve(x, old && typeof old === "object" ? (old as Record<string, unknown>)[k] : undefined)]),
            );
        return v;
    };
    const out: Record<string, unknown> = {};
    for (const k of c.publicInputKeys) if (inputs[k] !== undefined) out[k] = fromState ? inputs[k] : resolve(inputs[k], olds[k]);
    const secret = (key: "bmcPassword" | SecretInputKey, value: unknown) => {
        if (fromState || value === OLD_SECRET) return d[key];
        if (holdsUnknown(c, value)) return unknowns === "same" ? d[key] : UNKNOWN_AT_PREVIEW;
        // In the form the state holds it, so an unchanged secret gives the recorded digest.
        return d.key ? secretDigest(d.key, value) : legacySecretDigest(d.salt ?? "", value);
    };
    const bmc = { ...((out.bmc ?? olds.bmc ?? {}) as Record<string, unknown>) };
    // An address unknown (or unusable) at preview: the old one; only its credentials may differ.
    if (typeof bmc.address !== "string" || driverOf(c, bmc.address) === undefined) bmc.address = (olds.bmc as Record<string, unknown> | undefined)?.address;
    bmc.password = secret("bmcPassword", (inputs.bmc as Record<string, unknown> | undefined)?.password ?? (c.unknown(inputs.bmc) ? inputs.bmc : undefined));
    out.bmc = bmc;
    for (const k of c.secretKeys) out[k] = secret(k, inputs[k]);
    // Undefined fields dropped, as the state holds them.
    return JSON.parse(JSON.stringify(out)) as PlainHostInputs;
}

/** The new inputs with `key` as the last run had it (secrets: as their digests say). */
export function revertInput(c: PreviewContract, n: Record<string, unknown>, olds: Record<string, unknown>, key: string): Record<string, unknown> {
    const out = { ...n, [key]: olds[key] };
    if ((c.secretKeys as readonly string[]).includes(key)) out[key] = OLD_SECRET;
    if (key === "bmc") out.bmc = { ...(olds.bmc as object), password: OLD_SECRET };
    return out;
}

/** A value of the same shape as `old` that differs from it. */
function changedFrom(old: unknown): unknown {
    if (typeof old === "boolean") return !old;
    if (Array.isArray(old)) return [...old, UNKNOWN_AT_PREVIEW];
    if (old && typeof old === "object") return { ...old, [UNKNOWN_AT_PREVIEW]: UNKNOWN_AT_PREVIEW };
    return UNKNOWN_AT_PREVIEW;
}

function driverOf(c: PreviewContract, address: unknown): string | undefined {
    if (typeof address !== "string" || c.unknown(address)) return undefined;
    try {
        return bmcProfile({ address }).driver;
    } catch {
        return undefined;
    }
}
