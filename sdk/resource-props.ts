// The one translation of a program's BareMetalHost / Machine arguments into the properties the
// engine records, shared by both front doors: the dynamic classes (sdk/baremetalhost.ts,
// sdk/machine.ts) and the package's custom resources (sdk/plugin/native.ts). Secrets are marked
// here (BMC password, config drive data, a connection carrying credentials), the name defaults to
// the resource's, the owner is stamped, and every output is declared (undefined) so that the
// class's Output fields resolve.
import * as pulumi from "@pulumi/pulumi";
import type { BareMetalHostArgs } from "./baremetalhost";
import type { MachineArgs } from "./machine";
import type { IronicConnectionInput } from "./schemas/common";
import { stackOwner } from "./owner";

type Inputs<T> = { [K in keyof T]?: pulumi.Input<T[K]> };

/** BareMetalHostArgs without what only the class itself handles (the Kubernetes objects). */
export type HostPropsArgs = Omit<BareMetalHostArgs, "kubernetes">;
/** MachineArgs without what only the class itself handles (Kubernetes objects, replace order). */
export type MachinePropsArgs = Omit<MachineArgs, "kubernetes" | "deleteBeforeReplace">;

/** The recorded properties of a BareMetalHost named `name`; `outputs` are declared undefined. */
export function hostProps(name: string, args: HostPropsArgs, outputs: readonly string[]): Record<string, unknown> {
    const props: Record<string, unknown> = {
        ...args,
        name: args.name ?? name,
        // Recorded on the node at enrol: find-or-enrol takes over only nodes carrying it.
        owner: { stack: stackOwner(), resource: name },
        bmc: secretBmcPassword(args.bmc),
        ...secretCommonInputs(args),
    };
    for (const out of outputs) props[out] = undefined;
    return props;
}

/** The recorded properties of a Machine named `name`; `outputs` are declared undefined. */
export function machineProps(name: string, args: MachinePropsArgs, outputs: readonly string[]): Record<string, unknown> {
    const props: Record<string, unknown> = {
        ...args,
        name: args.name ?? name,
        claimOwner: args.claimOwner ?? stackOwner(),
        ...secretCommonInputs(args),
    };
    for (const out of outputs) props[out] = undefined;
    return props;
}

/** The inputs both resources keep secret: the connection (when it holds credentials) and the config drive. */
function secretCommonInputs(args: Pick<HostPropsArgs, "ironic" | "userData" | "networkData" | "metaData">): Record<string, unknown> {
    return {
        ironic: args.ironic === undefined ? undefined : secretConnection(args.ironic),
        userData: secretOrUndefined(args.userData),
        networkData: secretOrUndefined(args.networkData),
        metaData: secretOrUndefined(args.metaData),
    };
}

/** Only the password is secret: a plain bmc object keeps address/username visible in diffs. */
export function secretBmcPassword(bmc: BareMetalHostArgs["bmc"]): unknown {
    if (bmc && typeof bmc === "object" && !pulumi.Output.isInstance(bmc) && !(bmc instanceof Promise)) {
        const b = bmc as Exclude<BareMetalHostArgs["bmc"], Promise<unknown> | pulumi.OutputInstance<unknown>>;
        return { ...b, password: b.password === undefined ? undefined : pulumi.secret(b.password) };
    }
    // The whole block is an Output: its password cannot be singled out, so all of it is secret.
    return pulumi.output(bmc).apply((b) => (b.password !== undefined ? pulumi.secret(b) : b));
}

export function secretOrUndefined<T>(value: pulumi.Input<T> | undefined): pulumi.Output<unknown> | undefined {
    return value === undefined ? undefined : pulumi.secret(value);
}

/** The connection block is stored as a secret as soon as it carries a password or token. */
export function secretConnection(ironic: pulumi.Input<Inputs<IronicConnectionInput>>): pulumi.Output<unknown> {
    return pulumi.output(ironic).apply((c) => (c.password !== undefined || c.token !== undefined ? pulumi.secret(c) : c));
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
