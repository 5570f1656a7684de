// What a change to a Machine's inputs does: an in-place update or a replacement, and in which
// order the replacement runs. Pure; the SDK's diff looks at the pool in Ironic and asks these.

/**
 * Inputs that decide what is on the disk or which host holds it: changing one rebuilds the
 * Machine (a replacement), exactly as CAPM3 never edits a provisioned host's image.
 */
export const MACHINE_REPLACE_PROPERTIES = [
    "name",
    "namespace",
    "hostSelector",
    "host",
    "failureDomain",
    "image",
    "customDeploy",
    "userData",
    "networkData",
    "metaData",
] as const;

/** The changed inputs that force a replacement. */
export function replacingChanges(changed: string[]): string[] {
    return changed.filter((k) => (MACHINE_REPLACE_PROPERTIES as readonly string[]).includes(k));
}

/**
 * The old Machine must release its host before the new one can claim: when the new one names the
 * very host the old one holds, or when the pool has no eligible spare for the new spec. Unknown
 * spares (Ironic unreachable at preview, values still unknown): create-before-delete, the default.
 */
export function mustReleaseFirst(p: { newHost?: unknown; oldHostName?: unknown; eligibleSpares?: number }): boolean {
    if (typeof p.newHost === "string" && p.newHost === p.oldHostName) return true;
    return p.eligibleSpares === 0;
}
