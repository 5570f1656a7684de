// Secrets on the plugin's wire. The plugin answers Configure with acceptSecrets, so the engine
// sends secret values wrapped ({<sig key>: <secret sig>, value}) and keeps an output secret only
// if the plugin returns it wrapped. The handlers (sdk/providers/*) take and give plain values:
// unwrap on the way in, remembering where the secrets were, and wrap those places on the way out.

/** `@pulumi/pulumi`'s signature key and secret signature (runtime/rpc.ts). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Path = string[];

function isWrappedSecret(v: unknown): v is { value: unknown } {
    return !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The plain value, and the paths (e.g. ["bmc", "password"]) that were secret. */
export function unwrapSecrets(value: unknown, path: Path = [], found: Path[] = []): { plain: any; secrets: Path[] } {
    const walk = (v: unknown, p: Path): unknown => {
        if (isWrappedSecret(v)) {
            found.push(p);
            return walk(v.value, p);
        }
        if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, String(i)]));
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k])]));
        return v;
    };
    return { plain: walk(value, path), secrets: found };
}

export function wrapSecret(value: unknown): unknown {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** A copy of `obj` with the value at each path (where present) wrapped as a secret. */
export function wrapSecrets<T extends Record<string, unknown>>(obj: T, paths: Path[]): T {
    const out = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
    // Deepest first, so a secret inside a secret block is wrapped before its parent is.
    for (const p of [...paths].sort((a, b) => b.length - a.length)) {
        let parent: any = out;
        for (const k of p.slice(0, -1)) parent = parent && typeof parent === "object" ? parent[k] : undefined;
        const leaf = p[p.length - 1];
        if (parent && typeof parent === "object" && parent[leaf] !== undefined && !isWrappedSecret(parent[leaf])) parent[leaf] = wrapSecret(parent[leaf]);
    }
    return out as T;
}

/** The value at `path` in `obj`, if any. */
export function valueAt(obj: unknown, path: Path): unknown {
    let v: any = obj;
    for (const k of path) v = v && typeof v === "object" ? v[k] : undefined;
    return v;
}
