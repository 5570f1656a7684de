// A Machine's lifecycle in Ironic, apart from Pulumi: claim a host → deploy → observe; update
// what does not touch the disk; undeploy → release. The claim is in ../claim, the deploy and
// undeploy are the BareMetalHost's own (../host/provision): one way to put an image on a node.
import { isUnreachable, type IronicClient } from "../ironic";
import type { Allocation, Node } from "../ironic/types";
import { claimHost, findClaim, releaseClaim, type Claim } from "../claim/allocation";
import { parseHostNodeName } from "../claim/candidates";
import { EXTRA, MACHINE_NODE_EXTRA } from "../extra-keys";
import { deployImage, undeploy } from "../host/provision";
import { metal3State } from "../host/states";
import { Deadline } from "../ironic/wait";
import { machineSpecHash, providerId, type MachineSpec } from "./spec";

export { MACHINE_NODE_EXTRA };

export type MachineAddressType = "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS";

/** What is observed of a Machine in Ironic: the computed outputs. */
export interface MachineStatus {
    machineName: string;
    machineNamespace: string;
    hostName: string;
    nodeUuid: string;
    providerID: string;
    addresses: { type: MachineAddressType; address: string }[];
    provisioningState: string;
    ready: boolean;
    allocationUuid: string;
    allocationName: string;
}

export type Progress = (message: string) => void;

/** Ironic states of a deploy that is under way (the conductor or the agent is working). */
const DEPLOY_IN_PROGRESS = new Set(["deploying", "wait call-back"]);

/**
 * Why the deployment on the node is not this Machine's, or undefined when it is (as far as Ironic
 * shows: the image fields of instance_info, and no BareMetalHost deployment record). A Machine
 * never reports ready on, nor redeploys over, someone else's deployment.
 */
export function foreignDeployment(spec: Pick<MachineSpec, "image">, node: Pick<Node, "extra" | "instance_info">): string | undefined {
    const hostDeployment = node.extra?.[EXTRA.deployment];
    if (hostDeployment !== undefined) return `the node carries its BareMetalHost's own deployment (${EXTRA.deployment} ${String(hostDeployment)})`;
    if (spec.image) {
        const info = (node.instance_info ?? {}) as Record<string, unknown>;
        const key = spec.image.format === "live-iso" ? "boot_iso" : "image_source";
        if (info[key] !== spec.image.url) return `Ironic's instance_info.${key} is ${info[key] === undefined ? "not set" : `"${String(info[key])}"`}, not this Machine's image "${spec.image.url}"`;
    }
    return undefined;
}

/** A Machine is ready when its host is active, not in maintenance, with its own deployment. */
export function machineReady(spec: Pick<MachineSpec, "image">, node: Node): boolean {
    return node.provision_state === "active" && !node.maintenance && foreignDeployment(spec, node) === undefined;
}

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

/** create: claim a host, record the owner on it, deploy, wait active, all within `timeouts.create`. */
export async function createMachine(client: IronicClient, spec: MachineSpec, progress: Progress = () => {}): Promise<MachineStatus> {
    // One deadline for the whole create, as the user reads `timeouts.create`: the claim's own
    // (shorter) limit and every later wait only get what is left of it.
    const deadline = new Deadline(spec.timeouts.create);
    const claim = await claimHost(client, {
        namespace: spec.namespace,
        host: spec.host,
        selector: spec.host === undefined ? spec.hostSelector : undefined,
        failureDomain: spec.failureDomain,
        owner: {
            namespace: spec.namespace,
            machine: spec.name,
            clusterName: spec.clusterName,
            owner: spec.claimOwner,
            specHash: machineSpecHash(spec),
        },
        allocationTimeoutMs: Math.min(spec.timeouts.claim, deadline.left()),
    });
    progress(`${claim.reused ? "resumed claim of" : "claimed"} host ${spec.namespace}/${claim.hostName} (allocation ${claim.allocation.name})`);
    return deployClaimed(client, spec, claim, progress, deadline);
}

/**
 * Brings a claimed host to `active` with the Machine's image. Used by create and by update to
 * continue a Machine whose deploy failed or whose host was deprovisioned out of band.
 */
async function deployClaimed(client: IronicClient, spec: MachineSpec, claim: Claim, progress: Progress, deadline: Deadline): Promise<MachineStatus> {
    let node = claim.node;
    try {
        const notPassed = () => {
            if (deadline.passed()) throw new Error(`the create deadline (timeouts.create, ${Math.round(deadline.totalMs / 1000)} s) passed`);
        };
        node = await recordOwner(client, node, spec);
        const onProgress = (m: string) => progress(`${spec.namespace}/${spec.name}: ${m}`);
        if (DEPLOY_IN_PROGRESS.has(node.provision_state)) {
            // An earlier run started the deploy and gave up waiting: keep waiting, do not restart it.
            node = await client.waitForProvisionState(node.uuid, "active", {
                timeoutMs: deadline.left(),
                label: `provision ${node.name ?? node.uuid} for machine ${spec.namespace}/${spec.name}`,
                onProgress: (n, ms) => onProgress(`provisioning: ${n.provision_state} (${Math.round(ms / 1000)}s)`),
            });
        }
        // Active with another deployment (a claim reused, an image put there out of band): never
        // wipe it on a guess, never call it ready.
        const foreign = node.provision_state === "active" ? foreignDeployment(spec, node) : undefined;
        if (foreign) throw new Error(`host ${node.name ?? node.uuid} is active with a deployment that is not this Machine's: ${foreign}`);
        if (node.provision_state !== "active") {
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
        }
        // A provisioned machine runs: CAPM3 sets the host online when it provisions it. Real
        // hardware usually boots into the image at the end of the deploy; fake hardware (and a
        // host powered off by hand) does not, so make it so.
        if (node.power_state !== "power on") {
            notPassed();
            onProgress("power on (a provisioned machine runs)");
            await client.setPowerState(node.uuid, "power on");
            node = await client.waitForPowerState(node.uuid, "power on", {
                timeoutMs: deadline.left(),
                label: `power on ${node.name ?? node.uuid} for machine ${spec.namespace}/${spec.name}`,
            });
        }
    } catch (err) {
        // With Ironic unreachable, asking again would only wait out the retry window once more.
        const offline = isUnreachable(err);
        const current = (offline ? undefined : await client.findNode(node.uuid).catch(() => undefined)) ?? node;
        throw new MachineDeployError(
            `machine ${spec.namespace}/${spec.name} claimed host ${spec.namespace}/${claim.hostName} (node ${current.uuid}) ` +
                `but the deploy did not finish (Ironic provision state "${current.provision_state}", last_error: ` +
                `${current.last_error ?? "none"})${deadline.passed() ? ` within the create deadline (timeouts.create, ${Math.round(deadline.totalMs / 1000)} s, for claim + deploy + power-on)` : ""}: ` +
                `${(err as Error).message}. The claim is kept; the next update continues ` +
                `the deploy, delete releases the host.`,
            await observe(client, spec, claim.allocation, current, { offline }),
            err,
        );
    }
    return observe(client, spec, claim.allocation, node);
}

/**
 * The owner record on the node: who holds it, plus the Machine's labels and description. The
 * allocation (its name, its extra, node.instance_uuid = allocation UUID) is the authoritative
 * record; these node.extra keys make it readable from the host's side too.
 */
async function recordOwner(client: IronicClient, node: Node, spec: MachineSpec): Promise<Node> {
    const wanted: Record<string, unknown> = {
        [MACHINE_NODE_EXTRA.machine]: `${spec.namespace}/${spec.name}`,
        [MACHINE_NODE_EXTRA.labels]: spec.labels ?? {},
        [MACHINE_NODE_EXTRA.description]: spec.description ?? "",
        [MACHINE_NODE_EXTRA.cluster]: spec.clusterName ?? "",
    };
    const ops = Object.entries(wanted)
        .filter(([k, v]) => JSON.stringify(node.extra?.[k]) !== JSON.stringify(v))
        .map(([k, v]) => ({ op: "add" as const, path: `/extra/${k}`, value: v }));
    return ops.length ? client.patchNode(node.uuid, ops) : node;
}

/**
 * update: only what does not touch the disk (labels, description, cluster name are recorded on
 * the node). If the host is not active (a deploy that failed earlier, or a deprovision out of
 * band), the deploy is finished on the same claimed host.
 */
export async function updateMachine(
    client: IronicClient,
    allocationId: string,
    spec: MachineSpec,
    progress: Progress = () => {},
): Promise<MachineStatus> {
    const claim = await findClaim(client, allocationId);
    if (!claim)
        throw new Error(
            `machine ${spec.namespace}/${spec.name}: its claim (allocation ${allocationId}) is gone from Ironic; ` +
                `run \`pulumi refresh\` so the Machine is dropped and created again`,
        );
    return deployClaimed(client, spec, claim, progress, new Deadline(spec.timeouts.create));
}

/** read: the live state, or undefined when the claim is gone (deleted or taken over out of band). */
export async function readMachine(client: IronicClient, allocationId: string, spec: MachineSpec): Promise<MachineStatus | undefined> {
    const claim = await findClaim(client, allocationId);
    if (!claim) return undefined;
    return observe(client, spec, claim.allocation, claim.node);
}

/**
 * delete: undeploy (cleaning per automatedCleaningMode), release the allocation, host back to
 * `available` and powered off so a new allocation can match it. Idempotent.
 *
 * Ironic itself destroys the allocation when a tear-down starts, before cleaning. So when an
 * earlier delete failed during cleaning (or the host was undeployed out of band), the allocation
 * is gone but the host still carries this Machine's owner record: `nodeUuid` (from state) finds
 * it, and the undeploy is finished there.
 */
export async function deleteMachine(
    client: IronicClient,
    allocationId: string,
    spec: Pick<MachineSpec, "automatedCleaningMode" | "timeouts" | "namespace" | "name">,
    progress: Progress = () => {},
    nodeUuid?: string,
): Promise<void> {
    const allocation = await client.findAllocation(allocationId);
    const nodeId = allocation?.node_uuid ?? nodeUuid;
    const node = nodeId ? await client.findNode(nodeId) : undefined;
    const owner = `${spec.namespace}/${spec.name}`;
    const ours =
        node !== undefined &&
        (allocation ? node.allocation_uuid === allocation.uuid : !node.allocation_uuid && node.extra?.[MACHINE_NODE_EXTRA.machine] === owner);
    let released = false;
    if (node && ours) {
        // Ironic refuses to delete the allocation of a deployed node; undeploy first. A tear-down
        // destroys the allocation itself (then the node no longer points at it).
        const after = await undeploy(client, node, {
            cleaningMode: spec.automatedCleaningMode,
            timeoutMs: spec.timeouts.delete,
            clearExtra: Object.values(MACHINE_NODE_EXTRA),
            onProgress: (m) => progress(`${owner}: ${m}`),
        });
        released = !after.allocation_uuid;
    }
    if (allocation && !released) await releaseClaim(client, allocation.uuid);
}

/** The outputs, from the allocation and node (plus the inventory's addresses, when Ironic has one). */
export async function observe(client: IronicClient, spec: MachineSpec, allocation: Allocation, node: Node, opts: { offline?: boolean } = {}): Promise<MachineStatus> {
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
