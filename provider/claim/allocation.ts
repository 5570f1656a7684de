// Claiming a host for a Machine, atomically, through Ironic's allocation API.
//
// We compute the candidates (selector, eligibility, failure domain) and let Ironic pick one of
// them: the conductor reserves the node under its lock and sets node.allocation_uuid and
// node.instance_uuid in the same database transaction, so two allocations never get one node,
// whichever process or stack sent them. See docs/CLAIMS.md.
import { createHash } from "crypto";
import type { IronicClient } from "../ironic";
import { IronicError } from "../ironic";
import type { Allocation, JsonPatchOp, Node } from "../ironic/types";
import { OWNER_KEYS } from "../extra-keys";
import { OWNER_MAC_KEY, ownerMac, verifyOwnerMac, type OwnerKeys } from "../owner-record";
import { canonicalJson } from "../canonical-json";
import {
    CANDIDATE_NODE_FIELDS,
    claimAttempts,
    describeRequest,
    evaluatePool,
    explainNoHost,
    parseHostNodeName,
    type HostRequest,
    type PoolEvaluation,
} from "./candidates";

export { OWNER_KEYS };

export interface ClaimOwner {
    namespace: string;
    /** Machine name: the allocation is named `<namespace>~<machine>`. */
    machine: string;
    clusterName?: string;
    /** Who declares the Machine (e.g. `<project>/<stack>`): two stacks declaring one name never share a claim. */
    owner?: string;
    /**
     * Hash of what the Machine will put on the host. Lets an interrupted `pulumi up` find and
     * reuse its own allocation, and tells it apart from the allocation of the Machine it replaces.
     */
    specHash: string;
    /** The unkeyed hash of the same spec that older releases recorded: recognised once, then replaced by specHash. */
    legacySpecHash?: string;
    /** Keys of the allocation's owner record MAC (provider/owner-record.ts); absent: plain record only. */
    ownerKeys?: OwnerKeys;
}

export interface ClaimRequest extends HostRequest {
    owner: ClaimOwner;
    /** Deadline for Ironic to process one allocation. */
    allocationTimeoutMs: number;
    /** Rounds of (list pool, allocate) before giving up while eligible hosts still show up. */
    maxRounds?: number;
}

export interface Claim {
    allocation: Allocation;
    node: Node;
    hostName: string;
    /** True when an allocation from an earlier, interrupted run was found and reused. */
    reused: boolean;
    /**
     * Allocations of this same Machine for another spec, left in place: the generation this one
     * replaces (released when Pulumi deletes it), or a create interrupted before Pulumi recorded
     * it, whose random digest key died with it (then nothing will release it: see passedOverNote).
     */
    passedOver: Allocation[];
}

/**
 * What the operator is told of an allocation passed over. It cannot be told apart from the
 * replaced generation without the state's key, so it is never released on a guess: a host held
 * by a live Machine would be wiped.
 */
export function passedOverNote(owner: Pick<ClaimOwner, "namespace" | "machine">, allocation: Allocation): string {
    return (
        `allocation ${allocation.name ?? allocation.uuid} (${allocation.uuid}) of machine ${owner.namespace}/${owner.machine} records another spec and stays ` +
        `on node ${allocation.node_uuid ?? "(none)"}: Pulumi releases it when it deletes the generation being replaced. ` +
        `If no such generation is in the stack (a \`pulumi up\` killed before it recorded its create), nothing uses it: ` +
        `free its host with ${freeHostCommands(allocation)}`
    );
}

/**
 * How an operator frees the host of an allocation nothing uses. Ironic refuses to delete the
 * allocation of a deployed node; tearing the node down (which cleans it) removes the allocation.
 */
export function freeHostCommands(allocation: Pick<Allocation, "uuid" | "node_uuid">): string {
    const node = allocation.node_uuid ?? "<node>";
    return (
        `\`baremetal node undeploy ${node}\` if the node is deployed or its deploy failed (the tear-down cleans the host and removes the allocation; ` +
        `Ironic refuses to delete the allocation of a deployed node), else \`baremetal allocation delete ${allocation.uuid}\``
    );
}

/** No host could be claimed; `message` explains the selector, the match count and each reason. */
export class NoHostAvailableError extends Error {
    constructor(
        message: string,
        readonly evaluation: PoolEvaluation,
    ) {
        super(message);
        this.name = "NoHostAvailableError";
    }
}

/** The allocation names a Machine may hold: `<ns>~<machine>`, or `<ns>~<machine>~<hash>` while it replaces itself. */
export function allocationNames(owner: Pick<ClaimOwner, "namespace" | "machine" | "specHash">): [string, string] {
    const primary = `${owner.namespace}~${owner.machine}`;
    return [primary, `${primary}~${nameSuffix(owner.specHash)}`];
}

/** 12 hex digits of the spec hash for a name: a keyed digest's MAC (Ironic names allow no ":"), else the hash as given. */
function nameSuffix(specHash: string): string {
    const keyed = /^hmac-sha256:[0-9a-f]+:([0-9a-f]+)$/.exec(specHash);
    return keyed ? keyed[1].slice(0, 12) : specHash;
}

/** The allocation records this spec in the unkeyed form of older releases. */
function recordsLegacyHash(allocation: Allocation, owner: ClaimOwner): boolean {
    return owner.legacySpecHash !== undefined && allocation.extra?.[OWNER_KEYS.specHash] === owner.legacySpecHash;
}

/** The patch that records owner.specHash on the allocation, or none when it already does. */
export function specHashPatch(allocation: Allocation, owner: Pick<ClaimOwner, "specHash">): JsonPatchOp[] {
    return allocation.extra?.[OWNER_KEYS.specHash] === owner.specHash ? [] : [{ op: "add", path: `/extra/${OWNER_KEYS.specHash}`, value: owner.specHash }];
}

/** Short stable hash of a JSON value (object keys sorted), for ClaimOwner.specHash. */
export function specHash(value: unknown): string {
    return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 12);
}

function ownerExtra(owner: ClaimOwner): Record<string, string> {
    const extra: Record<string, string> = {
        [OWNER_KEYS.machine]: `${owner.namespace}/${owner.machine}`,
        [OWNER_KEYS.specHash]: owner.specHash,
    };
    if (owner.clusterName) extra[OWNER_KEYS.cluster] = owner.clusterName;
    if (owner.owner) extra[OWNER_KEYS.owner] = owner.owner;
    const mac = allocationOwnerMac(owner);
    if (mac) extra[OWNER_MAC_KEY] = mac;
    return extra;
}

/** The MAC of the claim's owner record: bound to the Machine's primary allocation name, its stack and the Machine. */
function allocationOwnerMac(owner: ClaimOwner): string | undefined {
    if (!owner.ownerKeys || !owner.owner) return undefined;
    return ownerMac(owner.ownerKeys.write, allocationNames(owner)[0], owner.owner, `${owner.namespace}/${owner.machine}`);
}

/**
 * The patch that keys the claim's owner record (an allocation of a release before keyed records,
 * or keyed under another key), or none when it carries this Machine's MAC already.
 */
export function ownerMacPatch(allocation: Allocation, owner: ClaimOwner): JsonPatchOp[] {
    const mac = allocationOwnerMac(owner);
    return !mac || allocation.extra?.[OWNER_MAC_KEY] === mac ? [] : [{ op: "add", path: `/extra/${OWNER_MAC_KEY}`, value: mac }];
}

/** Who holds a claim, as its allocation records it (for messages that name the Machine and its owner). */
export interface AllocationHolder {
    uuid: string;
    name?: string;
    /** `<namespace>/<machine>`. */
    machine?: string;
    /** `<project>/<stack>` of the program declaring the Machine. */
    owner?: string;
    cluster?: string;
}

export function allocationHolder(allocation: Allocation): AllocationHolder {
    const text = (k: string) => (typeof allocation.extra?.[k] === "string" ? (allocation.extra[k] as string) : undefined);
    return {
        uuid: allocation.uuid,
        name: allocation.name ?? undefined,
        machine: text(OWNER_KEYS.machine),
        owner: text(OWNER_KEYS.owner),
        cluster: text(OWNER_KEYS.cluster),
    };
}

/** True when the allocation was made by this Machine (same name, same owner), whatever its spec. */
export function isSameMachine(allocation: Allocation, owner: ClaimOwner): boolean {
    return (
        allocation.extra?.[OWNER_KEYS.machine] === `${owner.namespace}/${owner.machine}` &&
        (allocation.extra?.[OWNER_KEYS.owner] as string | undefined) === owner.owner &&
        // A MAC that claims one of our keys but does not match was copied or made up: not ours.
        // One under another key (an interrupted create's lost digest key) is left to the spec
        // hash below, itself keyed: it is never reused, only passed over.
        (!owner.ownerKeys ||
            verifyOwnerMac(
                owner.ownerKeys.verify,
                allocation.extra?.[OWNER_MAC_KEY],
                allocationNames(owner)[0],
                owner.owner ?? "",
                `${owner.namespace}/${owner.machine}`,
            ) !== "forged")
    );
}

/** True when the allocation was made by this Machine for this spec. */
export function isOwnAllocation(allocation: Allocation, owner: ClaimOwner): boolean {
    return isSameMachine(allocation, owner) && (allocation.extra?.[OWNER_KEYS.specHash] === owner.specHash || recordsLegacyHash(allocation, owner));
}

/**
 * Claims one host for the Machine and returns it. Reuses this Machine's allocation from an
 * interrupted run. On an allocation error the failed allocation is deleted (nothing stays
 * half-claimed), the pool is listed again, and the claim is retried while eligible hosts remain;
 * when none remain it throws NoHostAvailableError with the explanation.
 */
export async function claimHost(client: IronicClient, request: ClaimRequest): Promise<Claim> {
    const resolved = await resolveAllocationName(client, request);
    if ("allocation" in resolved) return resolved;
    const { name, passedOver } = resolved;

    const maxRounds = request.maxRounds ?? 6;
    let lastErrors: string[] = [];
    for (let round = 1; round <= maxRounds; round++) {
        const evaluation = evaluatePool(await client.listNodes({ fields: CANDIDATE_NODE_FIELDS }), request);
        const attempts = claimAttempts(evaluation);
        if (attempts.length === 0) throw await noHostError(client, evaluation, request, lastErrors);
        lastErrors = [];
        for (const attempt of attempts) {
            const allocation = await allocate(client, name, attempt.resourceClass, attempt.candidates, request);
            if (allocation.state === "active" && allocation.node_uuid) return claimed(client, allocation, false, passedOver);
            lastErrors.push(allocation.last_error ?? `allocation ${name} ended in state ${allocation.state}`);
        }
        // Every attempt lost its race (or Ironic found the nodes locked): look at the pool again.
        // A short random pause spreads out competitors that lost together.
        await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 250)));
    }
    const evaluation = evaluatePool(await client.listNodes({ fields: CANDIDATE_NODE_FIELDS }), request);
    throw await noHostError(client, evaluation, request, lastErrors, maxRounds);
}

/**
 * Picks the allocation name to claim under, or returns the existing claim when this Machine
 * already holds one for this spec (interrupted run). The primary name is taken by the old
 * generation of the same Machine while it is replaced create-before-delete; the alternate name,
 * with the spec hash, is used then. A name held by anyone else is a conflict, never shared.
 */
async function resolveAllocationName(client: IronicClient, request: ClaimRequest): Promise<{ name: string; passedOver: Allocation[] } | Claim> {
    const names = allocationNames(request.owner);
    const passedOver: Allocation[] = [];
    for (const name of names) {
        let existing = await client.findAllocation(name);
        if (!existing) return { name, passedOver };
        if (!isSameMachine(existing, request.owner)) throw conflict(request.owner, existing);
        if (!isOwnAllocation(existing, request.owner)) {
            passedOver.push(existing); // another generation of this Machine (or an unrecorded create)
            continue;
        }
        if (existing.state === "allocating") existing = await waitSettled(client, existing.uuid, request.allocationTimeoutMs);
        if (existing.state === "active" && existing.node_uuid) {
            // An older release's unkeyed hash, recognised this once: replaced by the keyed one.
            const ops = [...specHashPatch(existing, request.owner), ...ownerMacPatch(existing, request.owner)];
            if (ops.length) existing = await client.patchAllocation(existing.uuid, ops);
            return claimed(client, existing, true, passedOver);
        }
        await deleteAllocationIfPresent(client, existing.uuid); // a failed attempt of ours: start over under this name
        return { name, passedOver };
    }
    throw new Error(
        `cannot claim a host for machine ${request.owner.namespace}/${request.owner.machine}: allocations ${names.join(" and ")} ` +
            `both belong to other generations of it; if nothing uses the stale one, free its host: \`baremetal node undeploy NODE\` when the node is deployed, else \`baremetal allocation delete NAME\``,
    );
}

function conflict(owner: ClaimOwner, existing: Allocation): Error {
    const holder = existing.extra?.[OWNER_KEYS.owner] ?? existing.extra?.[OWNER_KEYS.machine] ?? "something outside pulumi-metal3";
    return new Error(
        `cannot claim a host for machine ${owner.namespace}/${owner.machine}: Ironic allocation ${existing.name} (${existing.uuid}) ` +
            `already exists and belongs to ${holder}, not to ${owner.owner ?? "this Machine"}. Machine names are unique per namespace ` +
            `across stacks, like Kubernetes object names: choose another name or namespace`,
    );
}

/** POST the allocation and wait until Ironic has processed it; a failed one is deleted before returning it. */
async function allocate(client: IronicClient, name: string, resourceClass: string, candidates: Node[], request: ClaimRequest): Promise<Allocation> {
    let created: Allocation;
    try {
        created = await client.createAllocation({
            name,
            resource_class: resourceClass,
            candidate_nodes: candidates.map((n) => n.uuid),
            extra: ownerExtra(request.owner),
        });
    } catch (err) {
        // 409: the name exists. Another run of this same Machine raced us; take its result.
        if (err instanceof IronicError && err.status === 409) {
            const existing = await client.findAllocation(name);
            if (existing && isOwnAllocation(existing, request.owner)) {
                const settled = await waitSettled(client, existing.uuid, request.allocationTimeoutMs);
                if (settled.state === "active") return settled;
            }
        }
        throw err;
    }
    const settled = await waitSettled(client, created.uuid, request.allocationTimeoutMs);
    if (settled.state !== "active") await deleteAllocationIfPresent(client, settled.uuid);
    return settled;
}

/** Waits for the allocation to leave "allocating"; returns it in "active" or "error" (never throws for "error"). */
async function waitSettled(client: IronicClient, uuid: string, timeoutMs: number): Promise<Allocation> {
    try {
        return await client.waitForAllocation(uuid, { timeoutMs });
    } catch (err) {
        const current = await client.findAllocation(uuid);
        if (current && current.state === "error") return current;
        // Timed out while still allocating: do not leave it behind to grab a node later.
        if (current) await deleteAllocationIfPresent(client, uuid);
        throw err;
    }
}

async function claimed(client: IronicClient, allocation: Allocation, reused: boolean, passedOver: Allocation[]): Promise<Claim> {
    const node = await client.getNode(allocation.node_uuid as string);
    const hostName = parseHostNodeName(node.name)?.host ?? node.name ?? node.uuid;
    return { allocation, node, hostName, reused, passedOver };
}

async function noHostError(
    client: IronicClient,
    evaluation: PoolEvaluation,
    request: ClaimRequest,
    ironicErrors: string[],
    rounds?: number,
): Promise<NoHostAvailableError> {
    // Name the Machines holding the matched hosts: one extra call, only on the failure path.
    const holders = new Map<string, string>();
    if (evaluation.ineligible.some((h) => h.reason.startsWith("already claimed by"))) {
        for (const a of await client.listAllocations().catch(() => [] as Allocation[])) if (a.name) holders.set(a.uuid, a.name);
    }
    const who = `${request.owner.namespace}/${request.owner.machine}`;
    const lead = rounds ? `no host could be claimed for machine ${who} after ${rounds} rounds of allocation` : `no host available for machine ${who}`;
    const ironicSaid = ironicErrors.length ? `\nIronic's last allocation error: ${ironicErrors[ironicErrors.length - 1]}` : "";
    return new NoHostAvailableError(`${lead}: ${explainNoHost(evaluation, holders)}${ironicSaid}`, evaluation);
}

export async function deleteAllocationIfPresent(client: IronicClient, idOrName: string): Promise<boolean> {
    try {
        await client.deleteAllocation(idOrName);
        return true;
    } catch (err) {
        if (err instanceof IronicError && err.status === 404) return false;
        throw err;
    }
}

/**
 * Gives the host back: deletes the allocation, which makes Ironic clear the node's
 * allocation_uuid and instance_uuid. Ironic refuses this while the node is deployed; undeploy
 * first (undeploying also removes the allocation). Missing allocations are fine (idempotent).
 */
export async function releaseClaim(client: IronicClient, allocationIdOrName: string): Promise<void> {
    await deleteAllocationIfPresent(client, allocationIdOrName);
}

/** The claim a Machine holds (by allocation UUID or name), with its node; undefined when it is gone. */
export async function findClaim(client: IronicClient, allocationIdOrName: string): Promise<Claim | undefined> {
    const allocation = await client.findAllocation(allocationIdOrName);
    if (!allocation || allocation.state !== "active" || !allocation.node_uuid) return undefined;
    const node = await client.findNode(allocation.node_uuid);
    if (!node || node.allocation_uuid !== allocation.uuid) return undefined;
    return { allocation, node, hostName: parseHostNodeName(node.name)?.host ?? node.name ?? node.uuid, reused: true, passedOver: [] };
}

export { describeRequest };
