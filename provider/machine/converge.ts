// The Machine's lifecycle carried out in Ironic: observe the claim → ask the decision
// (lifecycle.ts nextMachineAction / nextMachineDeleteAction) → perform that one step → observe
// again. The claim is in ../claim, the deploy and undeploy are the BareMetalHost's own
// (../host/provision): one way to put an image on a node.
import { ownerKeys } from "../owner-record";
import { isUnreachable, type IronicClient } from "../ironic";
import type { Allocation, Node } from "../ironic/types";
import { claimHost, findClaim, passedOverNote, releaseClaim, type Claim } from "../claim/allocation";
import { parseHostNodeName } from "../claim/candidates";
import { deployImage, undeploy } from "../host/provision";
import { metal3State } from "../host/states";
import { Deadline } from "../ironic/wait";
import { machineReady, MACHINE_NODE_EXTRA, nextMachineAction, nextMachineDeleteAction, type MachineStatus, type ObservedMachine } from "./lifecycle";
import { legacyMachineSpecHash, machineSpecHash, providerId, type MachineSpec } from "./spec";

export type Progress = (message: string) => void;

/** Steps one create, update or delete may take before it is called a loop (a handful in practice). */
const MAX_STEPS = 12;

/**
 * The claim was made but the deploy did not finish. Carries the claim so the caller can record a
 * partially created Machine (and finish or release it later) instead of orphaning the host.
 */
export class MachineDeployError extends Error {
    constructor(
        message: string,
        readonly status: MachineStatus,
        readonly cause: unknown,
    ) {
        super(message);
        this.name = "MachineDeployError";
    }
}

/** create: claim a host, record the owner on it, deploy, power on, all within `timeouts.create`. */
export async function createMachine(client: IronicClient, spec: MachineSpec, progress: Progress = () => {}): Promise<MachineStatus> {
    // One deadline for the whole create, as the user reads `timeouts.create`: the claim's own
    // (shorter) limit and every later wait only get what is left of it.
    return converge(client, spec, { mayClaim: true }, progress, new Deadline(spec.timeouts.create));
}

/**
 * update: only what does not touch the disk (labels, description, cluster name are recorded on
 * the node). If the host is not active (a deploy that failed earlier, or a deprovision out of
 * band), the deploy is finished on the same claimed host.
 */
export async function updateMachine(client: IronicClient, allocationId: string, spec: MachineSpec, progress: Progress = () => {}): Promise<MachineStatus> {
    const claim = await findClaim(client, allocationId);
    return converge(client, spec, { claim, mayClaim: false, allocationId }, progress, new Deadline(spec.timeouts.create));
}

/** Claims (when the decision says so), then steps the claimed host to ready. */
async function converge(client: IronicClient, spec: MachineSpec, observed: ObservedMachine, progress: Progress, deadline: Deadline): Promise<MachineStatus> {
    let claim = observed.claim as Claim | undefined;
    const first = nextMachineAction(spec, observed);
    if (first.kind === "refuse" && !claim) throw new Error(first.message);
    if (first.kind === "claim") {
        claim = await claimHost(client, {
            namespace: spec.namespace,
            host: spec.host,
            selector: spec.host === undefined ? spec.hostSelector : undefined,
            failureDomain: spec.failureDomain,
            poolKeys: spec.poolKeys,
            owner: {
                namespace: spec.namespace,
                machine: spec.name,
                clusterName: spec.clusterName,
                owner: spec.claimOwner,
                specHash: machineSpecHash(spec),
                legacySpecHash: legacyMachineSpecHash(spec),
                ownerKeys: ownerKeys(spec.ownerKey, spec.digestKey),
            },
            allocationTimeoutMs: Math.min(spec.timeouts.claim, deadline.left()),
        });
        progress(`${claim.reused ? "resumed claim of" : "claimed"} host ${spec.namespace}/${claim.hostName} (allocation ${claim.allocation.name})`);
        for (const other of claim.passedOver) progress(passedOverNote({ namespace: spec.namespace, machine: spec.name }, other));
    }
    return deployClaimed(client, spec, claim as Claim, progress, deadline);
}

/**
 * Steps a claimed host to `active` with the Machine's image and powered on. A failure keeps the
 * claim (MachineDeployError) so the next update continues on the same host.
 */
async function deployClaimed(client: IronicClient, spec: MachineSpec, claim: Claim, progress: Progress, deadline: Deadline): Promise<MachineStatus> {
    let node = claim.node;
    const onProgress = (m: string) => progress(`${spec.namespace}/${spec.name}: ${m}`);
    const notPassed = () => {
        if (deadline.passed()) throw new Error(`the create deadline (timeouts.create, ${Math.round(deadline.totalMs / 1000)} s) passed`);
    };
    try {
        for (let step = 0; ; step++) {
            const action = nextMachineAction(spec, { claim: { allocation: claim.allocation, node }, mayClaim: false });
            if (action.kind === "ready") break;
            if (step >= MAX_STEPS) throw new Error(`the Machine's lifecycle did not settle within ${MAX_STEPS} steps (last: ${action.kind})`);
            switch (action.kind) {
                case "refuse":
                    throw new Error(action.message);
                case "record-spec-hash":
                    claim = { ...claim, allocation: await client.patchAllocation(claim.allocation.uuid, action.ops) };
                    break;
                case "record-owner":
                    node = await client.patchNode(node.uuid, action.ops);
                    break;
                case "wait-deploy":
                    node = await client.waitForProvisionState(node.uuid, "active", {
                        timeoutMs: deadline.left(),
                        label: `provision ${node.name ?? node.uuid} for machine ${spec.namespace}/${spec.name}`,
                        onProgress: (n, ms) => onProgress(`provisioning: ${n.provision_state} (${Math.round(ms / 1000)}s)`),
                    });
                    break;
                case "deploy":
                    notPassed();
                    node = await deployImage(
                        client,
                        node,
                        {
                            image: spec.image,
                            customDeploy: spec.customDeploy,
                            userData: spec.userData,
                            networkData: spec.networkData,
                            metaData: spec.metaData,
                            hostName: spec.name,
                            namespace: spec.namespace,
                        },
                        { timeoutMs: deadline.left(), onProgress },
                    );
                    break;
                case "power-on":
                    notPassed();
                    onProgress(`power on (${action.reason})`);
                    await client.setPowerState(node.uuid, "power on");
                    node = await client.waitForPowerState(node.uuid, "power on", {
                        timeoutMs: deadline.left(),
                        label: `power on ${node.name ?? node.uuid} for machine ${spec.namespace}/${spec.name}`,
                    });
                    break;
                case "claim":
                    throw new Error("a claimed Machine was asked to claim again"); // cannot happen: it holds a claim
            }
        }
    } catch (err) {
        // With Ironic unreachable, asking again would only wait out the retry window once more.
        const offline = isUnreachable(err);
        const current = (offline ? undefined : await client.findNode(node.uuid).catch(() => undefined)) ?? node;
        throw new MachineDeployError(
            `machine ${spec.namespace}/${spec.name} claimed host ${spec.namespace}/${claim.hostName} (node ${current.uuid}) ` +
                `but the deploy did not finish (${offline ? "Ironic last seen in provision state" : "Ironic provision state"} "${current.provision_state}", last_error: ` +
                `${current.last_error ?? "none"})${deadline.passed() ? ` within the create deadline (timeouts.create, ${Math.round(deadline.totalMs / 1000)} s, for claim + deploy + power-on)` : ""}: ` +
                `${(err as Error).message}. The claim is kept; the next update continues ` +
                `the deploy, delete releases the host.`,
            await observe(client, spec, claim.allocation, current, { offline }),
            err,
        );
    }
    return observe(client, spec, claim.allocation, node);
}

/** read: the live state, or undefined when the claim is gone (deleted or taken over out of band). */
export async function readMachine(client: IronicClient, allocationId: string, spec: MachineSpec): Promise<MachineStatus | undefined> {
    const claim = await findClaim(client, allocationId);
    if (!claim) return undefined;
    return observe(client, spec, claim.allocation, claim.node);
}

/**
 * delete: undeploy (cleaning per automatedCleaningMode), release the allocation, host back to
 * `available` and powered off so a new allocation can match it. Idempotent. `nodeUuid` (from
 * state) finds the host when the allocation is already gone (lifecycle.ts holdsNode).
 */
export async function deleteMachine(
    client: IronicClient,
    allocationId: string,
    spec: Pick<MachineSpec, "automatedCleaningMode" | "timeouts" | "namespace" | "name">,
    progress: Progress = () => {},
    nodeUuid?: string,
): Promise<void> {
    const owner = `${spec.namespace}/${spec.name}`;
    const deadline = new Deadline(spec.timeouts.delete);
    let knownNode = nodeUuid;
    for (let step = 0; ; step++) {
        const allocation = await client.findAllocation(allocationId);
        const nodeId = allocation?.node_uuid ?? knownNode;
        const node = nodeId ? await client.findNode(nodeId) : undefined;
        const action = nextMachineDeleteAction(owner, allocation, node);
        if (action.kind === "done") return;
        if (step >= MAX_STEPS) throw new Error(`machine ${owner}: the delete did not settle within ${MAX_STEPS} steps (last: ${action.kind})`);
        if (action.kind === "undeploy") {
            knownNode = node!.uuid;
            await undeploy(client, node!, {
                cleaningMode: spec.automatedCleaningMode,
                timeoutMs: deadline.left(),
                clearExtra: Object.values(MACHINE_NODE_EXTRA),
                onProgress: (m) => progress(`${owner}: ${m}`),
                nodeIsCurrent: true,
            });
        } else {
            await releaseClaim(client, action.allocationUuid);
        }
    }
}

/** The outputs, from the allocation and node (plus the inventory's addresses, when Ironic has one). */
export async function observe(
    client: IronicClient,
    spec: MachineSpec,
    allocation: Allocation,
    node: Node,
    opts: { offline?: boolean } = {},
): Promise<MachineStatus> {
    const hostName = parseHostNodeName(node.name)?.host ?? node.name ?? node.uuid;
    const provisioningState = metal3State(node);
    return {
        machineName: spec.name,
        machineNamespace: spec.namespace,
        hostName,
        nodeUuid: node.uuid,
        providerID: providerId(spec.namespace, hostName, spec.name),
        addresses: opts.offline ? [] : await addresses(client, node),
        provisioningState,
        ready: machineReady(spec, node),
        allocationUuid: allocation.uuid,
        allocationName: allocation.name ?? allocation.uuid,
    };
}

/**
 * CAPM3's address list: every NIC IP as InternalIP, the hostname as Hostname and InternalDNS,
 * taken from the inspection inventory (fake hardware has none: no addresses).
 */
export async function addresses(client: IronicClient, node: Node): Promise<MachineStatus["addresses"]> {
    const stored = await client.getInventory(node.uuid).catch(() => undefined);
    const inventory = stored?.inventory;
    const out: MachineStatus["addresses"] = [];
    for (const nic of (inventory?.interfaces ?? []) as Record<string, unknown>[]) {
        for (const key of ["ipv4_address", "ipv6_address"]) {
            const ip = nic[key];
            if (typeof ip === "string" && ip && !out.some((a) => a.address === ip)) out.push({ type: "InternalIP", address: ip });
        }
    }
    if (typeof inventory?.hostname === "string" && inventory.hostname) {
        out.push({ type: "Hostname", address: inventory.hostname }, { type: "InternalDNS", address: inventory.hostname });
    }
    return out;
}
