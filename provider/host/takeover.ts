// Whose node is it: the owner record a node carries, whether it verifies under this host's keys,
// and when an existing node may be taken over (find-or-enrol found it) or adopted (adoptNode
// names it). Pure; converge.ts and the SDK's adoption check ask these.
import type { Node } from "../ironic/types";
import type { AllocationHolder } from "../claim/allocation";
import type { HostOwner, HostSpec } from "./spec";
import { EXTRA } from "../extra-keys";
import { OWNER_MAC_KEY, verdictText, verifyOwnerMac, type OwnerVerdict } from "../owner-record";
import { readRecord } from "./records";
import type { ProvisionState } from "../ironic/provision-states";

/** The owner record a node carries, as far as it carries one. */
export function nodeOwner(node: Pick<Node, "extra">): Partial<HostOwner> & { managed: boolean } {
    const extra = node.extra ?? {};
    const text = (k: string) => (typeof extra[k] === "string" && extra[k] !== "" ? (extra[k] as string) : undefined);
    return { stack: text(EXTRA.owner), resource: text(EXTRA.resource), managed: extra[EXTRA.managed] === "true" || extra[EXTRA.managed] === true };
}

/**
 * Whether the node's owner record is this host's: `other` when its plain record names another
 * stack or resource (or none), else what its MAC says under the host's keys (owner-record.ts).
 */
export function ownVerdict(spec: Pick<HostSpec, "owner" | "ownerKeys" | "nodeName">, node: Pick<Node, "extra">): OwnerVerdict | "other" {
    const found = nodeOwner(node);
    if (!spec.owner || found.stack !== spec.owner.stack || found.resource !== spec.owner.resource) return "other";
    if (!spec.ownerKeys) return "unkeyed";
    return verifyOwnerMac(spec.ownerKeys.verify, node.extra?.[OWNER_MAC_KEY], spec.nodeName, spec.owner.stack, spec.owner.resource);
}

/** States before any deployment: a node in them holds no image or data that a take-over could wipe. */
const PRE_DEPLOY_STATES: ReadonlySet<string> = new Set<ProvisionState>([
    "enroll",
    "verifying",
    "manageable",
    "inspecting",
    "inspect wait",
    "inspect failed",
    "cleaning",
    "clean wait",
    "clean failed",
    "clean hold",
    "available",
]);

/**
 * Nothing on the node can be lost by taking it over: not deployed, not claimed, and no deployment
 * recorded, or only one written just before a deploy Ironic never took (a run killed between the
 * two: the disk holds nothing of it).
 */
export function nothingToLose(node: Node): boolean {
    const raw = node.extra?.[EXTRA.deployment];
    const record = raw === undefined ? undefined : readRecord(raw, node);
    return (
        PRE_DEPLOY_STATES.has(node.provision_state) &&
        !node.instance_uuid &&
        !node.allocation_uuid &&
        (record === undefined || (record.pending && !record.accepted))
    );
}

/**
 * Find-or-enrol found an existing node for a new host (same name `<ns>~<name>`, a port with the
 * boot MAC, or a 409 on enrol): it is taken over only when it carries this stack's owner record
 * for this resource (a create of ours that was interrupted). Anything else is refused before a
 * single field is patched; `adoptNode` is the explicit way to take a node over.
 */
export function takeOverDecision(spec: HostSpec, node: Node, foundBy: string): { kind: "take-over" } | { kind: "fail"; message: string } {
    const nodeLabel = `Ironic node ${node.name ?? "(unnamed)"} (${node.uuid}, provision state "${node.provision_state}")`;
    // Someone else's node (another owner, deployment or claim): adoptNode alone refuses it too.
    const force = adoptionTakes(spec, node).length
        ? " together with adoptForce: true (it is someone else's node: the preview says what taking it changes)"
        : "";
    const howToAdopt = `To take this node over on purpose, set adoptNode: "${node.uuid}"${force} on the host (pulumi-metal3's explicit takeover); nothing was changed on it.`;
    if (node.name && node.name !== spec.nodeName) {
        return {
            kind: "fail",
            message: `host ${spec.nodeName}: ${foundBy} already belongs to ${nodeLabel}. ${howToAdopt} Otherwise fix bootMACAddress.`,
        };
    }
    const found = nodeOwner(node);
    const verdict = ownVerdict(spec, node);
    if (verdict === "verified") return { kind: "take-over" };
    // The plain record names this stack and resource but its MAC cannot be checked: a create of
    // this resource killed after its enrol POST wrote the MAC under that create's fresh digest key,
    // which died with the run (no state was kept), or a release before keyed records wrote none.
    // Without a stack ownerKey that is indistinguishable from a record someone wrote by hand, so
    // it is taken over only where nothing can be lost: a node not deployed, not claimed, carrying
    // no deployment, whose registration (BMC, credentials, interfaces, ports) the converge then
    // rewrites as for a node it had enrolled itself. A deployed node is never taken over on such a
    // record (the converge would wipe or rebuild it). With a stack ownerKey every record this
    // stack writes verifies, so anything else is refused.
    const plainMatch = !!spec.owner && found.stack === spec.owner.stack && found.resource === spec.owner.resource;
    if (plainMatch && (verdict === "unverifiable" || verdict === "unkeyed") && !spec.ownerKeys?.stackKeyed && nothingToLose(node)) return { kind: "take-over" };
    const unverified =
        plainMatch && spec.ownerKeys
            ? ` but ${verdictText(verdict as OwnerVerdict, node.extra?.[OWNER_MAC_KEY], spec.ownerKeys)}${nothingToLose(node) ? "" : ` and the node is deployed or claimed (provision state "${node.provision_state}")`}`
            : "";
    const owner = found.stack
        ? `belongs to ${found.stack}${found.resource ? ` (resource ${found.resource})` : ""}${unverified}`
        : found.managed
          ? "carries no owner record (enrolled by pulumi-metal3 before owner records, or by a program that did not record one)"
          : "carries no pulumi-metal3 owner record (enrolled by hand or by another tool)";
    const ours = spec.owner ? `${spec.owner.stack} (resource ${spec.owner.resource})` : "this program (no owner given)";
    return {
        kind: "fail",
        message:
            `host ${spec.nodeName}: ${nodeLabel}, found by ${foundBy}, ${owner}, not ${ours}: ` +
            `pulumi-metal3 takes over an existing node only when it carries this stack's owner record. ${howToAdopt} ` +
            `Otherwise choose another name or namespace for the host, or remove that node.`,
    };
}

/** What an adoption takes from someone else, in words (empty: nobody else's node). */
export function adoptionTakes(spec: Pick<HostSpec, "owner" | "ownerKeys" | "nodeName">, node: Node, claim?: AllocationHolder): string[] {
    const takes: string[] = [];
    const found = nodeOwner(node);
    // Ours only when the record verifies: a plain record naming this stack is anyone's to write.
    const verdict = ownVerdict(spec, node);
    const ours = verdict === "verified";
    const why = verdict !== "other" && !ours && spec.ownerKeys ? `; ${verdictText(verdict, node.extra?.[OWNER_MAC_KEY], spec.ownerKeys)}` : "";
    if (found.stack && !ours) takes.push(`its owner record (it belongs to ${found.stack}${found.resource ? `, resource ${found.resource}` : ""}${why})`);
    if (node.extra?.[EXTRA.deployment] !== undefined && !ours)
        takes.push("a deployment another pulumi-metal3 resource recorded (its disk holds that resource's image and data)");
    if (node.allocation_uuid) takes.push(`a claim: ${claimText(node, claim)}`);
    return takes;
}

/**
 * `adoptNode` names an existing node: adopted only when it is nobody else's (no other owner
 * record, no deployment recorded by another resource, no allocation), or when `adoptForce` says
 * to take it anyway. A copy-pasted UUID must never undeploy another team's server.
 */
export function adoptionDecision(
    spec: Pick<HostSpec, "nodeName" | "owner" | "ownerKeys" | "adoptForce">,
    node: Node,
    claim?: AllocationHolder,
): { kind: "adopt"; takes: string[] } | { kind: "fail"; message: string } {
    const takes = adoptionTakes(spec, node, claim);
    if (!takes.length || spec.adoptForce) return { kind: "adopt", takes };
    return {
        kind: "fail",
        message:
            `host ${spec.nodeName}: adoptNode names Ironic node ${node.name ?? "(unnamed)"} (${node.uuid}, provision state "${node.provision_state}", power "${node.power_state ?? "unknown"}"), ` +
            `which carries ${takes.join("; ")}. Adopting it would take it from its owner; nothing was changed on it. ` +
            `If adoptNode is a mistake, remove it or name the right node; to take this node over anyway, also set adoptForce: true ` +
            `(the preview then says everything the adoption will change on it)`,
    };
}

/** The claim on a node, when Machines hold it: whose it is, for the refusal. */
export function claimText(node: Node, holder: AllocationHolder | undefined): string {
    if (!holder) return `Ironic allocation ${node.allocation_uuid}`;
    const machine = holder.machine ? `Machine ${holder.machine}` : "a claim";
    return `${machine} (Ironic allocation ${holder.name ?? holder.uuid}, ${holder.uuid}, owner ${holder.owner ?? "not recorded"}${holder.cluster ? `, cluster ${holder.cluster}` : ""})`;
}
