// Which Machine of the program holds which BareMetalHost, for the host's Kubernetes object.
//
// The host's BareMetalHost object is the one writer of every field of it (provider/render/claim.ts
// says why two writers cannot converge). The Machine runs after its hosts, so each Machine
// registers here what it holds (an Output: known once the Machine has claimed), and each host
// object renders after its own resource and every Machine registered by then: a host held by a
// Machine shows as Metal³ shows it (consumerRef, image, online, `provisioned`), a host no Machine
// of the program holds shows its own state (`available` once the Machine that held it is gone).
//
// "Registered by then": a host object looks once its host resource has answered, which is after
// the program's synchronous part has run (every `new Machine(...)` in it). A Machine declared
// later (inside an apply, after an await that outlives the host's registration) is not seen.
import * as pulumi from "@pulumi/pulumi";
import type { HostClaim } from "../provider/render";
import { parseHostNodeName } from "../provider/claim/candidates";

/** One Machine's hold: the host (namespace/name), the Machine, and what the host object shows for it. */
export interface HostClaimEntry {
    namespace: string;
    host: string;
    /** The Machine holding the host, `<namespace>/<name>` (what `hostState` reports as heldBy). */
    machine?: string;
    claim: HostClaim;
}

// On globalThis: one registry per program even if the package is loaded twice (self-link and path).
const KEY = Symbol.for("pulumi-metal3.hostClaims");
function entries(): pulumi.Output<HostClaimEntry | undefined>[] {
    const g = globalThis as unknown as Record<symbol, pulumi.Output<HostClaimEntry | undefined>[]>;
    return (g[KEY] ??= []);
}

/** A Machine says which host it holds (undefined while it holds none). */
export function registerHostClaim(entry: pulumi.Input<HostClaimEntry | undefined>): void {
    entries().push(pulumi.output(entry));
}

/**
 * The claim on host `namespace/name`, looked up once `after` (the host resource's own output) is
 * known; undefined when no Machine of the program holds it.
 */
export function hostClaimFor(namespace: pulumi.Input<string>, name: pulumi.Input<string>, after: pulumi.Input<unknown>): pulumi.Output<HostClaim | undefined> {
    return claimEntryFor(namespace, name, after).apply((e) => e?.claim);
}

function claimEntryFor(namespace: pulumi.Input<string>, name: pulumi.Input<string>, after: pulumi.Input<unknown>): pulumi.Output<HostClaimEntry | undefined> {
    return pulumi
        .all([namespace, name, after])
        .apply(([ns, n]) =>
            pulumi.all(entries().slice()).apply((list) => list.find((e): e is HostClaimEntry => e !== undefined && e.namespace === ns && e.host === n)),
        );
}

/** A host as `hostState` reports it after an `up`. */
export interface HostState {
    /** Metal³ provisioning state: the Machine's view when one holds the host (`provisioned` once deployed), else the host's own. */
    provisioningState: string;
    poweredOn: boolean;
    /** `<namespace>/<name>` of the Machine of this program holding the host; undefined for a spare. */
    heldBy?: string;
}

/** The outputs of a host resource `hostState` reads (the dynamic BareMetalHost or the plugin's). */
export interface HostStateOutputs {
    nodeName: pulumi.Output<string>;
    nodeUuid: pulumi.Output<string>;
    provisioningState: pulumi.Output<string>;
    poweredOn: pulumi.Output<boolean>;
}

/**
 * The host as this `up` left it, for a program's outputs (a hosts table): the host resource's own
 * outputs, or, when a Machine of the program holds the host, what that Machine observed once it
 * had deployed it (its provisioning state, power, name), the same claim the host's BareMetalHost
 * object renders (provider/render/claim.ts). Why not the host's outputs alone: they are what the
 * host resource saw when it ran, before the Machine (which runs after its hosts) claimed it; only
 * a `pulumi refresh` reads them again (docs/HANDOVER.md, "What the outputs say").
 */
export function hostState(host: HostStateOutputs): pulumi.Output<HostState> {
    // The node is `<namespace>~<name>`, the host's namespace and name the Machines register under.
    const parts = host.nodeName.apply((n) => parseHostNodeName(n) ?? { namespace: "", host: "" });
    const entry = claimEntryFor(
        parts.apply((p) => p.namespace),
        parts.apply((p) => p.host),
        host.nodeUuid,
    );
    return pulumi
        .all([entry, host.provisioningState, host.poweredOn])
        .apply(([e, state, poweredOn]) =>
            e ? { provisioningState: e.claim.provisioningState, poweredOn: e.claim.poweredOn, heldBy: e.machine } : { provisioningState: state, poweredOn },
        );
}
