// Deadlines: one unit for every resource. A timeout is a duration string as Pulumi writes
// `customTimeouts` ("90s", "20m", "1h30m", "500ms"; Go's time.ParseDuration without ns/us).
// Earlier releases read plain numbers, as minutes on a BareMetalHost and as seconds on a
// Machine: the input schemas refuse numbers now (naming the fix), and state recorded then is read
// here, in the unit it was written in, so an upgraded stack keeps its deadlines and shows no diff.

/** A Pulumi duration: one or more `<number><unit>` parts, unit ms, s, m or h. */
export const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `"1h30m"` → 5_400_000. Throws on anything that is not a duration. */
export function parseDuration(value: string): number {
    if (!DURATION.test(value)) throw new Error(`invalid duration "${value}" (use e.g. "90s", "20m", "1h30m", as customTimeouts)`);
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    return Math.round(ms);
}

/** What a plain number meant in earlier releases, by resource: minutes on a host, seconds on a Machine. */
export type LegacyTimeoutUnit = "minutes" | "seconds";

export const LEGACY_UNIT_SUFFIX: Record<LegacyTimeoutUnit, "m" | "s"> = { minutes: "m", seconds: "s" };

/**
 * A timeout as input or state holds it → milliseconds (`fallbackMs` when unset). A number is
 * state (or a plugin program's value) of an earlier release, read in its resource's old unit.
 */
export function timeoutMs(value: unknown, fallbackMs: number, legacyUnit: LegacyTimeoutUnit): number {
    if (value === undefined || value === null) return fallbackMs;
    if (typeof value === "number") return Math.round(value * UNIT_MS[LEGACY_UNIT_SUFFIX[legacyUnit]]);
    return parseDuration(String(value));
}

/** Old-state timeouts in today's form: plain numbers become duration strings of the same length. */
export function migrateTimeouts(t: unknown, legacyUnit: LegacyTimeoutUnit): unknown {
    if (!t || typeof t !== "object" || Array.isArray(t)) return t;
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === "number" ? `${v}${LEGACY_UNIT_SUFFIX[legacyUnit]}` : v]));
}

/** Whether two timeouts blocks set the same deadlines (old numbers in their unit; "60m" = "1h"). */
export function sameTimeouts(a: unknown, b: unknown, legacyUnit: LegacyTimeoutUnit): boolean {
    const norm = (t: unknown): string => {
        if (t === undefined || t === null) return "{}";
        if (typeof t !== "object" || Array.isArray(t)) return JSON.stringify(t);
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(t).sort(([x], [y]) => x.localeCompare(y))) {
            if (v === undefined) continue;
            try {
                out[k] = typeof v === "number" || (typeof v === "string" && DURATION.test(v)) ? timeoutMs(v, 0, legacyUnit) : v;
            } catch {
                out[k] = v;
            }
        }
        return JSON.stringify(out);
    };
    return norm(a) === norm(b);
}
