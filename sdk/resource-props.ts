// The one translation of a program's BareMetalHost / Machine arguments into the properties the
// engine records, shared by both front doors: the dynamic classes (sdk/baremetalhost.ts,
// sdk/machine.ts) and the package's custom resources (sdk/plugin/native.ts). Secrets are marked
// here, at the contract's secret input paths (sdk/schema/resources.ts), the name defaults to
// the resource's, the owner is stamped, and every output is declared (undefined) so that the
// class's Output fields resolve.
import * as pulumi from "@pulumi/pulumi";
import type { BareMetalHostArgs } from "./baremetalhost";
import type { MachineArgs } from "./machine";
import { stackOwner } from "./owner";
import { resourceEntry } from "./schema/resources";

/** BareMetalHostArgs without what only the class itself handles (the Kubernetes objects). */
export type HostPropsArgs = Omit<BareMetalHostArgs, "kubernetes">;
/** MachineArgs without what only the class itself handles (Kubernetes objects, replace order). */
export type MachinePropsArgs = Omit<MachineArgs, "kubernetes" | "deleteBeforeReplace">;

/** The recorded properties of a BareMetalHost named `name`; `outputs` are declared undefined. */
export function hostProps(name: string, args: HostPropsArgs, outputs: readonly string[]): Record<string, unknown> {
    const props: Record<string, unknown> = {
        ...markSecretInputs(args as Record<string, unknown>, resourceEntry("BareMetalHost").secretInputs),
        name: args.name ?? name,
        // Recorded on the node at enrol: find-or-enrol takes over only nodes carrying it.
        owner: { stack: stackOwner(), resource: name },
    };
    for (const out of outputs) props[out] = undefined;
    return props;
}

/** The recorded properties of a Machine named `name`; `outputs` are declared undefined. */
export function machineProps(name: string, args: MachinePropsArgs, outputs: readonly string[]): Record<string, unknown> {
    const props: Record<string, unknown> = {
        ...markSecretInputs(args as Record<string, unknown>, resourceEntry("Machine").secretInputs),
        name: args.name ?? name,
        // Never the program's to choose: another stack's name here would reuse that stack's claims.
        claimOwner: stackOwner(),
    };
    for (const out of outputs) props[out] = undefined;
    return props;
}

/**
 * `args` with the contract's secret input paths (sdk/schema/resources.ts) wrapped in
 * pulumi.secret: a whole input (`userData`), or one field of a block (`bmc.password`), so a plain
 * block keeps its other fields (the BMC address) visible in diffs.
 */
export function markSecretInputs(args: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
    const out = { ...args };
    const fields = new Map<string, string[]>();
    for (const p of paths) {
        const [head, leaf] = p.split(".");
        fields.set(head, leaf === undefined ? [] : [...(fields.get(head) ?? []), leaf]);
    }
    for (const [head, leaves] of fields) {
        if (out[head] === undefined) continue;
        out[head] = leaves.length === 0 ? pulumi.secret(out[head]) : secretFields(out[head] as pulumi.Input<Record<string, unknown>>, leaves);
    }
    return out;
}

/** The named fields of a block secret; a block given as one Output (or promise) is secret as a whole once it holds any of them. */
function secretFields(block: pulumi.Input<Record<string, unknown>>, leaves: string[]): unknown {
    if (block && typeof block === "object" && !pulumi.Output.isInstance(block) && !(block instanceof Promise)) {
        const b = { ...(block as Record<string, unknown>) };
        for (const l of leaves) if (b[l] !== undefined) b[l] = pulumi.secret(b[l]);
        return b;
    }
    return pulumi.output(block).apply((b) => (b && leaves.some((l) => b[l] !== undefined) ? pulumi.secret(b) : b));
}

export function secretOrUndefined<T>(value: pulumi.Input<T> | undefined): pulumi.Output<unknown> | undefined {
    return value === undefined ? undefined : pulumi.secret(value);
}

/**
 * Turns V8's stack capture off while a resource registers; the returned function turns it back.
 * Used around `super(...)` of every resource class here, as
 * `const resume = pauseStackCapture(); try { super(...) } finally { resume(); }`.
 *
 * Why: @pulumi/pulumi 3.248 makes about four promises per property of a resource while
 * registering it and records `new Error().stack` on each (`debuggablePromise`, only read by its
 * promise-leak report), and its source-map support maps every frame of every one of them. A
 * BareMetalHost has ~30 properties: at 1000 hosts that was 40 % of the program's CPU, which is
 * most of a `pulumi preview` (docs/PERFORMANCE.md). What the engine records of the resource, its
 * source position and stack trace, Pulumi takes itself with the limit raised to infinity, so they
 * do not change; what is lost is the stack of those internal promises and of an error Pulumi
 * pre-allocates for a failed registration (its message still names the resource).
 */
export function pauseStackCapture(): () => void {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    return () => {
        Error.stackTraceLimit = limit;
    };
}
