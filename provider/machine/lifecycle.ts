// THE Machine lifecycle decision, apart from Pulumi and from Ironic calls: given the Machine's
// spec (desired) and its claim as Ironic shows it (the allocation and the node it holds), which
// single step comes next; the same for its delete. Pure, like the host's (../host/lifecycle.ts):
// converge.ts performs the step and asks again. Nothing else decides the Machine's steps.
import type { Allocation, JsonPatchOp, Node } from "../ironic/types";
import { EXTRA, MACHINE_NODE_EXTRA } from "../extra-keys";
import { ownerMacPatch, specHashPatch } from "../claim/allocation";
import { ownerKeys } from "../owner-record";
import { machineSpecHash, type MachineSpec } from "./spec";

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
        if (info[key] !== spec.image.url)
            return `Ironic's instance_info.${key} is ${info[key] === undefined ? "not set" : `"${String(info[key])}"`}, not this Machine's image "${spec.image.url}"`;
    }
    return undefined;
}

/** A Machine is ready when its host is active, not in maintenance, with its own deployment. */
export function machineReady(spec: Pick<MachineSpec, "image">, node: Node): boolean {
    return node.provision_state === "active" && !node.maintenance && foreignDeployment(spec, node) === undefined;
}

/** The owner record the Machine keeps on the node it holds: who holds it, its labels, description and cluster. */
export function ownerRecord(spec: Pick<MachineSpec, "namespace" | "name" | "labels" | "description" | "clusterName">): Record<string, unknown> {
    return {
        [MACHINE_NODE_EXTRA.machine]: `${spec.namespace}/${spec.name}`,
        [MACHINE_NODE_EXTRA.labels]: spec.labels ?? {},
        [MACHINE_NODE_EXTRA.description]: spec.description ?? "",
        [MACHINE_NODE_EXTRA.cluster]: spec.clusterName ?? "",
    };
}

/**
 * The patch that writes the owner record (ownerRecord) where the node differs. The allocation
 * (its name, its extra, node.instance_uuid = allocation UUID) is the authoritative record; these
 * node.extra keys make it readable from the host's side too.
 */
export function ownerRecordOps(spec: MachineSpec, node: Pick<Node, "extra">): JsonPatchOp[] {
    return Object.entries(ownerRecord(spec))
        .filter(([k, v]) => JSON.stringify(node.extra?.[k]) !== JSON.stringify(v))
        .map(([k, v]) => ({ op: "add" as const, path: `/extra/${k}`, value: v }));
}

/** The next step of a Machine's create or update. */
export type MachineAction =
    /** No claim yet: claim a host (an Ironic allocation). */
    | { kind: "claim" }
    /** Record the spec hash on the allocation in its keyed form (a Machine from an older release, or a new key). */
    | { kind: "record-spec-hash"; ops: JsonPatchOp[] }
    /** Write the owner record on the node (ownerRecordOps). */
    | { kind: "record-owner"; ops: JsonPatchOp[] }
    /** A deploy is under way (an earlier run started it and stopped waiting): wait for it, never restart it. */
    | { kind: "wait-deploy"; reason: string }
    /** Put the Machine's image on the node (deploy from available / deploy failed). */
    | { kind: "deploy"; reason: string }
    /** A provisioned machine runs: CAPM3 sets the host online when it provisions it. */
    | { kind: "power-on"; reason: string }
    /** Nothing can be done without a wipe or a takeover on a guess: fail with this message, touch nothing. */
    | { kind: "refuse"; message: string }
    /** Active with its own deployment and powered on. */
    | { kind: "ready" };

/** What is observed of a Machine: its claim, if any. */
export interface ObservedMachine {
    /** The allocation the Machine holds and the node it holds; undefined when there is none. */
    claim?: { allocation: Allocation; node: Node };
    /** create may claim a host; update only continues on the host the Machine already holds. */
    mayClaim: boolean;
    /** update: the allocation the state names (for the refusal when it is gone). */
    allocationId?: string;
}

/** The next step to bring the Machine where its spec says. */
export function nextMachineAction(spec: MachineSpec, observed: ObservedMachine): MachineAction {
    if (!observed.claim) {
        if (observed.mayClaim) return { kind: "claim" };
        return {
            kind: "refuse",
            message:
                `machine ${spec.namespace}/${spec.name}: its claim (allocation ${observed.allocationId ?? "unknown"}) is gone from Ironic; ` +
                `run \`pulumi refresh\` so the Machine is dropped and created again`,
        };
    }
    // The claim's records: the keyed spec hash, and (state says the claim is ours) the keyed owner
    // record an allocation of a release before keyed records lacks: extra patches, nothing else.
    const claimOwner = {
        namespace: spec.namespace,
        machine: spec.name,
        owner: spec.claimOwner,
        specHash: machineSpecHash(spec),
        ownerKeys: ownerKeys(spec.ownerKey, spec.digestKey),
    };
    const hashOps = [...specHashPatch(observed.claim.allocation, claimOwner), ...ownerMacPatch(observed.claim.allocation, claimOwner)];
    if (hashOps.length) return { kind: "record-spec-hash", ops: hashOps };
    const node = observed.claim.node;
    const ops = ownerRecordOps(spec, node);
    if (ops.length) return { kind: "record-owner", ops };
    if (DEPLOY_IN_PROGRESS.has(node.provision_state)) return { kind: "wait-deploy", reason: `Ironic is ${node.provision_state}` };
    if (node.provision_state !== "active") return { kind: "deploy", reason: `the host is ${node.provision_state}` };
    // Active with another deployment (a claim reused, an image put there out of band): never
    // wipe it on a guess, never call it ready.
    const foreign = foreignDeployment(spec, node);
    if (foreign) return { kind: "refuse", message: `host ${node.name ?? node.uuid} is active with a deployment that is not this Machine's: ${foreign}` };
    // Real hardware usually boots into the image at the end of the deploy; fake hardware (and a
    // host powered off by hand) does not.
    if (node.power_state !== "power on") return { kind: "power-on", reason: "a provisioned machine runs" };
    return { kind: "ready" };
}

/** The next step of a Machine's delete. */
export type MachineDeleteAction =
    /** Undeploy (cleaning per automatedCleaningMode), clear the owner record, power off. */
    | { kind: "undeploy" }
    /** Delete the allocation: the host is free for the next claim. */
    | { kind: "release"; allocationUuid: string }
    | { kind: "done" };

/**
 * Whose node this is, for a delete: the node the allocation holds, or (the allocation gone) a node
 * that still carries this Machine's owner record. Ironic itself destroys the allocation when a
 * tear-down starts, before cleaning: so when an earlier delete failed during cleaning (or the host
 * was undeployed out of band), the allocation is gone but the host is still this Machine's.
 */
export function holdsNode(owner: string, allocation: Allocation | undefined, node: Node | undefined): node is Node {
    if (!node) return false;
    return allocation ? node.allocation_uuid === allocation.uuid : !node.allocation_uuid && node.extra?.[MACHINE_NODE_EXTRA.machine] === owner;
}

/** The node still carries something of the Machine: an image, the owner record, or power. */
function notYetReleased(node: Node): boolean {
    return (
        node.provision_state !== "available" ||
        !!node.target_provision_state ||
        Object.values(MACHINE_NODE_EXTRA).some((k) => node.extra && k in node.extra) ||
        node.power_state !== "power off"
    );
}

/**
 * The next step to remove the Machine: undeploy the host it holds (Ironic refuses to delete the
 * allocation of a deployed node, and a tear-down destroys the allocation itself), then release
 * the allocation if it is still there. `owner` is `<namespace>/<name>`. Idempotent.
 */
export function nextMachineDeleteAction(owner: string, allocation: Allocation | undefined, node: Node | undefined): MachineDeleteAction {
    if (holdsNode(owner, allocation, node) && notYetReleased(node)) return { kind: "undeploy" };
    if (allocation) return { kind: "release", allocationUuid: allocation.uuid };
    return { kind: "done" };
}
