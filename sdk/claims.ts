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

/** One Machine's hold: the host (namespace/name) and what the host object shows for it. */
export interface HostClaimEntry {
  namespace: string;
  host: string;
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
  return pulumi.all([namespace, name, after]).apply(([ns, n]) =>
    pulumi.all(entries().slice()).apply((list) => list.find((e) => e !== undefined && e.namespace === ns && e.host === n)?.claim),
  );
}
