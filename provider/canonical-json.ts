// Canonical JSON: object keys sorted (UTF-16 code unit order), undefined members dropped, so
// equal values give equal text whatever their key order. The one way the provider compares,
// hashes and fingerprints JSON values. Pure, a leaf.

export function canonicalJson(value: unknown): string {
    const sort = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(sort);
        if (v && typeof v === "object")
            return Object.fromEntries(
                Object.entries(v)
                    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                    .map(([k, x]) => [k, sort(x)]),
            );
        return v;
    };
    return JSON.stringify(sort(value) ?? null);
}

/** Equal as JSON values (key order and undefined members do not count). */
export function sameJson(a: unknown, b: unknown): boolean {
    return canonicalJson(a) === canonicalJson(b);
}
