// Which Ironic nodes a Machine may claim, and why the others may not. Pure functions over the node
// list: the claim itself (atomic, in Ironic) lives in allocation.ts.
//
// Conventions shared with BareMetalHost: host NS/N is node `NS~N`; its labels are
// `extra.metal3_labels`; nodes we manage carry `extra.pulumi_metal3_managed = "true"`; hosts that
// carry their own image are marked (EXTRA.hostImage / EXTRA.deployment) and are not claimable.
import type { Node } from "../ironic/types";
import { EXTRA, hostLabels } from "../extra-keys";
import { OWNER_MAC_KEY, verifyOwnerMac, type OwnerVerdict } from "../owner-record";

export { hostLabels };
import { firstMismatch, formatSelector, type HostSelector } from "./selector";

export const FAILURE_DOMAIN_LABEL = "infrastructure.cluster.x-k8s.io/failure-domain";

/**
 * Node fields the claim logic reads; listing only these keeps the pool scan cheap.
 * (`allocation_uuid` cannot be asked for: Ironic 21.4 answers 500 to `fields=allocation_uuid`.
 * An allocation sets the node's instance_uuid to its own UUID, so instance_uuid says it all.)
 */
export const CANDIDATE_NODE_FIELDS = [
    "uuid",
    "name",
    "provision_state",
    "target_provision_state",
    "power_state",
    "maintenance",
    "maintenance_reason",
    "last_error",
    "extra",
    "instance_uuid",
    "resource_class",
    "retired",
];

/** What the Machine asks for. */
export interface HostRequest {
    namespace: string;
    /** One named BareMetalHost, or ... */
    host?: string;
    /** ... any host whose labels match (undefined = every host in the namespace). */
    selector?: HostSelector;
    failureDomain?: string;
    /**
     * Keys under which a pool host's owner record must verify (provider/owner-record.ts): the
     * stack's ownerKey and the Machine's `poolOwnerKeys`. The name, `pulumi_metal3_managed` and
     * the labels are anyone's to write; only a host enrolled under one of these keys is claimed
     * (and so receives the Machine's image and user data). None: no host is claimable.
     */
    poolKeys?: readonly string[];
}

/** A host of the namespace skipped because its membership of the pool could not be verified. */
export interface UnverifiedHost {
    hostName: string;
    nodeUuid: string;
    verdict: Exclude<OwnerVerdict, "verified">;
}

export interface IneligibleHost {
    hostName: string;
    nodeUuid: string;
    reason: string;
}

export interface PoolEvaluation {
    request: HostRequest;
    /** Managed hosts in the namespace (the pool the selector runs over). */
    poolSize: number;
    /** Hosts the selector (or host name) matched, eligible or not. */
    matched: Node[];
    /** Matched hosts that can be claimed now, failure-domain hosts first. */
    eligible: Node[];
    /** Matched hosts that cannot, with the reason. */
    ineligible: IneligibleHost[];
    /** Hosts the request matches (marked managed, in the namespace) left out of the pool: their owner record does not verify. */
    unverified: UnverifiedHost[];
}

/** A group of candidates offered to Ironic in one allocation (one resource class each). */
export interface ClaimAttempt {
    resourceClass: string;
    candidates: Node[];
    inFailureDomain: boolean;
}

export function hostNodeName(namespace: string, host: string): string {
    return `${namespace}~${host}`;
}

/** `NS~N` → { namespace: NS, host: N }; undefined for nodes not named by the BareMetalHost convention. */
export function parseHostNodeName(nodeName: string | null | undefined): { namespace: string; host: string } | undefined {
    if (!nodeName) return undefined;
    const at = nodeName.indexOf("~");
    if (at <= 0 || at === nodeName.length - 1) return undefined;
    return { namespace: nodeName.slice(0, at), host: nodeName.slice(at + 1) };
}

export function isManaged(node: Pick<Node, "extra">): boolean {
    const flag = node.extra?.[EXTRA.managed];
    return flag === "true" || flag === true;
}

export function failureDomainOf(node: Pick<Node, "extra">): string | undefined {
    return hostLabels(node)[FAILURE_DOMAIN_LABEL];
}

/**
 * Why this node cannot be claimed right now, or undefined when it can. Mirrors what Ironic's
 * allocation API itself requires (available, known power state, not in maintenance, not
 * associated, has a resource class) plus what CAPM3 refuses (hosts with an error).
 */
export function ineligibilityReason(node: Node): string | undefined {
    if (node.maintenance) return `in maintenance${node.maintenance_reason ? ` (${node.maintenance_reason})` : ""}`;
    const holder = node.allocation_uuid ?? node.instance_uuid;
    if (holder) return `already claimed by instance_uuid ${holder}`;
    if (node.retired) return "retired";
    // The host's own program puts an image on it (or did): a Machine would wipe it or be wiped.
    if (node.extra?.[EXTRA.hostImage] === "true" || node.extra?.[EXTRA.deployment] !== undefined)
        return "carries its own image (its BareMetalHost sets image, customDeploy or externallyProvisioned), so it is not for Machines";
    if (node.provision_state !== "available") {
        const target = node.target_provision_state ? ` (moving to ${node.target_provision_state})` : "";
        return `Ironic provision state is ${node.provision_state}${target}, not available`;
    }
    if (node.last_error) return `has an error: ${node.last_error}`;
    if (!node.power_state || node.power_state === "None") return "power state unknown (Ironic's allocation API only considers nodes with a known power state)";
    if (!node.resource_class) return "has no resource class";
    return undefined;
}

/**
 * Runs the request over the listed nodes: the namespace's managed hosts, those the selector or
 * host name matches, and among them the eligible ones (failure domain first) and the others with
 * their reason.
 */
export function evaluatePool(nodes: Node[], request: HostRequest): PoolEvaluation {
    const asked = (n: Node) =>
        request.host !== undefined ? n.name === hostNodeName(request.namespace, request.host) : firstMismatch(hostLabels(n), request.selector) === undefined;
    const unverified: UnverifiedHost[] = [];
    const pool = nodes.filter((n) => {
        if (!isManaged(n) || parseHostNodeName(n.name)?.namespace !== request.namespace) return false;
        const verdict = poolVerdict(n, request.poolKeys ?? []);
        if (verdict === "verified") return true;
        // Named in the explanation when the request would have matched it: those are the ones asked about.
        if (asked(n)) unverified.push({ hostName: parseHostNodeName(n.name)!.host, nodeUuid: n.uuid, verdict });
        return false;
    });
    const matched = pool.filter(asked);
    const eligible: Node[] = [];
    const ineligible: IneligibleHost[] = [];
    for (const node of matched) {
        const reason = ineligibilityReason(node);
        if (reason === undefined) eligible.push(node);
        else ineligible.push({ hostName: parseHostNodeName(node.name)!.host, nodeUuid: node.uuid, reason });
    }
    return { request, poolSize: pool.length, matched, eligible: preferFailureDomain(eligible, request.failureDomain), ineligible, unverified };
}

/**
 * Whether the node is a verified pool member: its owner record's MAC verifies, for this node's
 * name and the stack and resource its plain record names, under one of `keys`. Whoever holds a
 * key enrolled the node (a BareMetalHost of that stack), whatever else its `extra` says.
 */
export function poolVerdict(node: Pick<Node, "name" | "extra">, keys: readonly string[]): OwnerVerdict {
    const text = (k: string) => (typeof node.extra?.[k] === "string" ? (node.extra[k] as string) : undefined);
    return verifyOwnerMac(keys, node.extra?.[OWNER_MAC_KEY], node.name ?? "", text(EXTRA.owner), text(EXTRA.resource));
}

const UNVERIFIED_WHY: Record<UnverifiedHost["verdict"], string> = {
    unkeyed:
        "its owner record has no MAC (enrolled by hand, by another tool, or by a release before keyed owner records: its own stack's next `pulumi up` keys it)",
    unverifiable: "its owner record is keyed under a key this Machine does not hold (another stack's ownerKey, or a host of a stack without one)",
    forged: "its owner record's MAC does not verify (copied, edited or forged)",
};

/** Stable partition: hosts in the failure domain first, then the rest. */
export function preferFailureDomain(nodes: Node[], failureDomain: string | undefined): Node[] {
    if (!failureDomain) return nodes;
    return [...nodes.filter((n) => failureDomainOf(n) === failureDomain), ...nodes.filter((n) => failureDomainOf(n) !== failureDomain)];
}

/**
 * The allocations to try, in order. Ironic's allocation takes one resource class, so candidates
 * are grouped by class; with a failure domain, the groups inside the domain come first, so
 * Ironic only picks outside the domain when nothing inside it is free.
 */
export function claimAttempts(evaluation: PoolEvaluation): ClaimAttempt[] {
    const fd = evaluation.request.failureDomain;
    const tiers: { nodes: Node[]; inFailureDomain: boolean }[] = fd
        ? [
              { nodes: evaluation.eligible.filter((n) => failureDomainOf(n) === fd), inFailureDomain: true },
              { nodes: evaluation.eligible.filter((n) => failureDomainOf(n) !== fd), inFailureDomain: false },
          ]
        : [{ nodes: evaluation.eligible, inFailureDomain: false }];
    const attempts: ClaimAttempt[] = [];
    for (const tier of tiers) {
        const byClass = new Map<string, Node[]>();
        for (const node of tier.nodes) {
            const rc = node.resource_class as string;
            byClass.set(rc, [...(byClass.get(rc) ?? []), node]);
        }
        // Largest class first: the most likely to still have a free host under contention.
        const classes = [...byClass.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
        for (const [resourceClass, candidates] of classes) attempts.push({ resourceClass, candidates, inFailureDomain: tier.inFailureDomain });
    }
    return attempts;
}

/** What the Machine asked for, in words: `selector role=worker in namespace default` or `host default/h1`. */
export function describeRequest(request: HostRequest): string {
    const what =
        request.host !== undefined
            ? `host ${request.namespace}/${request.host}`
            : `selector ${formatSelector(request.selector)} in namespace ${request.namespace}`;
    return request.failureDomain ? `${what} (preferring failure domain ${request.failureDomain})` : what;
}

/**
 * The "no host" explanation: the selector, how many hosts it matched out of the pool, how many
 * were eligible, and for each matched host that was not, why. `allocationNames` turns allocation
 * UUIDs into the owning Machine's allocation name where known.
 */
export function explainNoHost(evaluation: PoolEvaluation, allocationNames: Map<string, string> = new Map()): string {
    const { request, poolSize, matched, eligible, ineligible, unverified = [] } = evaluation;
    const head = `${describeRequest(request)} matched ${matched.length} of ${poolSize} host(s) managed by pulumi-metal3, ` + `${eligible.length} eligible`;
    const skipped = unverified.length
        ? `\n${unverified.length} more host(s) it matched were skipped as unverified: a Machine claims only hosts whose owner record verifies ` +
          `under this stack's ownerKey (stack config pulumi-metal3:ownerKey, metal3:ownerKey for the plugin; \`pulumi-metal3 owner-key --set\` makes one) ` +
          `or a key in the Machine's poolOwnerKeys (the ownerKey of the stack that enrolled them)` +
          `${(request.poolKeys ?? []).length ? "" : "; this Machine holds no key at all"}:\n` +
          unverified.map((h) => `  - ${request.namespace}/${h.hostName} (node ${h.nodeUuid}): ${UNVERIFIED_WHY[h.verdict]}`).join("\n")
        : "";
    if (ineligible.length === 0) return `${head}.${skipped}`;
    const lines = ineligible.map((h) => {
        let reason = h.reason;
        for (const [uuid, name] of allocationNames) reason = reason.replace(`instance_uuid ${uuid}`, `allocation ${name} (${uuid})`);
        return `  - ${request.namespace}/${h.hostName} (node ${h.nodeUuid}): ${reason}`;
    });
    return `${head}; not eligible:\n${lines.join("\n")}${skipped}`;
}
