// Day-two requests on a host that exists: reboot on request, re-inspection on request, detach and
// re-attach (Metal³'s reboot.metal3.io, inspect.metal3.io and baremetalhost.metal3.io/detached
// annotations, baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go). Pure: the
// lifecycle (lifecycle.ts nextAction) asks these, the preview (plan.ts) shows what they decided,
// converge.ts carries them out.
//
// A request is a token: the node records the last one carried out (node.extra, EXTRA.reboot /
// EXTRA.inspect), written at enrol too, so creating a host with a token never reboots or
// re-inspects it; a token the node has not recorded is a request.
import type { JsonPatchOp, Node } from "../ironic/types";
import { EXTRA } from "../extra-keys";
import type { HostSpec } from "./spec";
import type { Reattach } from "./converge";
import type { HostAction } from "./lifecycle";

/** What a node carries when it never recorded a request (enrolled by a release without them, or adopted). */
const NONE = "";

function recorded(node: Pick<Node, "extra">, key: string): string {
    const v = node.extra?.[key];
    return typeof v === "string" ? v : NONE;
}

/** The request records a new node is enrolled with: the tokens it starts with count as done. */
export function requestRecords(spec: Pick<HostSpec, "rebootRequest" | "inspectRequest">): Record<string, string> {
    const out: Record<string, string> = {};
    if (spec.rebootRequest !== undefined) out[EXTRA.reboot] = spec.rebootRequest;
    if (spec.inspectRequest !== undefined) out[EXTRA.inspect] = spec.inspectRequest;
    return out;
}

/** The patch that records `key` = `token` on the node. */
export function recordOp(key: string, token: string): JsonPatchOp[] {
    return [{ op: "add", path: `/extra/${key}`, value: token }];
}

/** A reboot was asked for that the node has not carried out. */
export function rebootPending(spec: Pick<HostSpec, "rebootRequest">, node: Pick<Node, "extra">): boolean {
    return spec.rebootRequest !== undefined && recorded(node, EXTRA.reboot) !== spec.rebootRequest;
}

/** An inspection was asked for that the node has not carried out. */
export function inspectPending(spec: Pick<HostSpec, "inspectRequest">, node: Pick<Node, "extra">): boolean {
    return spec.inspectRequest !== undefined && recorded(node, EXTRA.inspect) !== spec.inspectRequest;
}

/**
 * A reboot request on an active host: reboot it when it runs and should (power on, online), else
 * only record the token (a host that is off has nothing to reboot; `online` says what it ends as,
 * as BMO drops its reboot annotation on a host that is powered off).
 */
export function rebootDecision(
    spec: HostSpec,
    node: Node,
): { kind: "reboot"; mode: "soft" | "hard"; record: JsonPatchOp[]; reason: string } | { kind: "patch"; ops: JsonPatchOp[]; reason: string } {
    const record = recordOp(EXTRA.reboot, spec.rebootRequest!);
    if (node.power_state === "power on" && spec.online) {
        return { kind: "reboot", mode: spec.powerOffMode, record, reason: `rebootRequest "${spec.rebootRequest}"` };
    }
    return {
        kind: "patch",
        ops: record,
        reason: `rebootRequest "${spec.rebootRequest}" recorded: the host is ${node.power_state ?? "in an unknown power state"}, nothing to reboot`,
    };
}

/** Refusal for an inspection asked of a provisioned host. */
export function inspectRefusal(spec: HostSpec): string {
    return (
        `inspectRequest "${spec.inspectRequest}": a provisioned host cannot be inspected (Ironic inspects only manageable nodes, and getting there from active means deprovisioning, a wipe); ` +
        `remove the inspectRequest change, or deprovision the host first (remove its image) and ask again`
    );
}

/** The re-attach mark once the deployment is described on the node (instance_info), ready for adopt. */
export const REATTACH_DESCRIBED = "active:described";

/** The provision state a detached host had, recorded on its re-enrolled node: "active" is adopted. */
export function reattachingActive(node: Pick<Node, "extra">): boolean {
    const mark = recorded(node, EXTRA.reattach);
    return mark === "active" || mark === REATTACH_DESCRIBED;
}

/** Provision states a node is removed from without waiting (as BMO's detach: Provisioned, ExternallyProvisioned, Ready, Available). */
const STABLE = new Set(["active", "available", "manageable", "enroll"]);

export type DetachStep =
    | { kind: "done" }
    | { kind: "wait"; expect: string[]; reason: string }
    | { kind: "set-maintenance"; reason: string }
    | { kind: "patch"; ops: JsonPatchOp[]; reason: string }
    | { kind: "delete-node" }
    | { kind: "fail"; message: string };

export const DETACH_MAINTENANCE = "pulumi-metal3: detaching (the server is left as it is)";

/**
 * The next step of a detach, as baremetal-operator's (pkg/provisioner/ironic/ironic.go Detach →
 * realDelete, unforced): the Ironic node is deleted, never undeployed, cleaned or powered off; an
 * active node through maintenance (Ironic refuses to delete an active node otherwise); a node
 * busy in the conductor is waited for. A node a Machine holds, or an operator holds in
 * maintenance, is refused: deleting it would pull it from under them.
 */
export function nextDetachStep(node: Node | undefined, operatorMaintenance: boolean): DetachStep {
    if (!node) return { kind: "done" };
    if (node.allocation_uuid) {
        return {
            kind: "fail",
            message: `detached: the host is claimed by a Machine (Ironic allocation ${node.allocation_uuid}); detaching would remove that Machine's node. Delete the Machine first`,
        };
    }
    if (operatorMaintenance) {
        return {
            kind: "fail",
            message: `detached: the node is in maintenance set by someone else (reason: "${node.maintenance_reason ?? "none given"}"); pulumi-metal3 will not delete it from under them. Run \`baremetal node maintenance unset ${node.name ?? node.uuid}\` when that work is done, then run pulumi again`,
        };
    }
    const state = node.provision_state;
    if (node.target_provision_state || !STABLE.has(state)) {
        if (state.endsWith("failed") || state === "error") {
            return {
                kind: "fail",
                message: `detached: the node is in "${state}" (last_error: ${node.last_error ?? "none"}); fix the host first (run pulumi with detached: false), then detach it`,
            };
        }
        return {
            kind: "wait",
            expect: node.target_provision_state ? [node.target_provision_state] : ["manageable", "available", "active"],
            reason: `Ironic is ${state}; detaching once it is done`,
        };
    }
    if (state === "active") {
        if (!node.maintenance) return { kind: "set-maintenance", reason: DETACH_MAINTENANCE };
        return { kind: "delete-node" };
    }
    if (node.instance_uuid)
        return { kind: "patch", ops: [{ op: "remove", path: "/instance_uuid" }], reason: "clearing a stale instance_uuid before detaching" };
    return { kind: "delete-node" };
}

/** What the last run recorded of a host it may have detached (the resource's outputs). */
export interface DetachRecord {
    detached?: unknown;
    /** The provision state the node had when it was removed. */
    ironicProvisionState?: unknown;
    /** The deployment record the removed node carried. */
    detachedDeploymentRecord?: unknown;
}

/**
 * An update of a host the last run detached (undefined: it did not): the node to enrol again
 * under the same UUID with what the detach recorded (converge.ts Reattach), and whether the host
 * stays detached (`stays`: still declared detached, so nothing is to be done once its node is
 * confirmed gone; a node still there is a detach an earlier run did not finish, which goes on).
 */
export function fromDetached(
    last: DetachRecord | undefined,
    uuid: string | undefined,
    spec: Pick<HostSpec, "detached">,
): { stays: boolean; reattach?: Reattach } | undefined {
    if (last?.detached !== true) return undefined;
    const reattach = uuid
        ? { uuid, provisionState: String(last.ironicProvisionState ?? "available"), deploymentRecord: last.detachedDeploymentRecord as string | undefined }
        : undefined;
    return { stays: spec.detached, ...(reattach ? { reattach } : {}) };
}

/** A refresh looks at the node, but not for a detached host: its node was removed on purpose (re-attach is an update). */
export function refreshReadsNode(last: DetachRecord): boolean {
    return last.detached !== true;
}

/**
 * What a change costs the running server beyond its disk (a wipe is plan.ts's own reading): the
 * preview announces these (sdk/providers/host-preview.ts words them). A new day-two request
 * adds its cost here, read from the same steps the update takes.
 */
export type DayTwoCost =
    /** The Ironic node is removed, the server left as it is. */
    | { kind: "detach" }
    /** The detached host's node is enrolled again under its UUID, no reprovision. */
    | { kind: "reattach" }
    /** The running host is rebooted (rebootRequest), in this power-off mode. */
    | { kind: "reboot"; mode: "soft" | "hard" }
    /** The host is inspected again (inspectRequest). */
    | { kind: "reinspect" }
    /** Firmware settings applied: by servicing an active host (no wipe) or by manual cleaning; either reboots it. */
    | { kind: "firmware"; via: "service" | "clean" }
    /** The data image is inserted in the running host's virtual CD (dataImage; data-image.ts), no reboot. */
    | { kind: "attach-data-image"; url: string }
    /** The data image is ejected from the host's virtual CD. */
    | { kind: "detach-data-image"; url: string }
    /** A data image asked for on a host that is not provisioned after this update: attached once it is. */
    | { kind: "data-image-waits"; url: string; ends: string };

/** The day-two costs of `steps` (a detach or re-attach is the whole story of its change). */
export function dayTwoCosts(steps: readonly HostAction[], change: { detach?: boolean; reattach?: boolean }): DayTwoCost[] {
    // A host that stays detached takes no step: nothing to announce.
    if (change.detach) return steps.length ? [{ kind: "detach" }] : [];
    if (change.reattach) return [{ kind: "reattach" }];
    const costs: DayTwoCost[] = [];
    const reboot = steps.find((s): s is Extract<HostAction, { kind: "reboot" }> => s.kind === "reboot");
    if (reboot) costs.push({ kind: "reboot", mode: reboot.mode });
    if (steps.some((s) => s.kind === "provision" && s.target === "inspect" && s.record)) costs.push({ kind: "reinspect" });
    const firmware = steps.find((s): s is Extract<HostAction, { kind: "configure-firmware" }> => s.kind === "configure-firmware");
    if (firmware) costs.push({ kind: "firmware", via: firmware.via });
    for (const s of steps) if (s.kind === "attach-data-image" || s.kind === "detach-data-image") costs.push({ kind: s.kind, url: s.url });
    return costs;
}
