// Whose maintenance a node is in, and what that allows: this project's own (its reason text,
// cleared by it), Ironic's (a fault) or an operator's (never cleared, refused). Also: a node moved
// on by another writer during a wait. Pure; lifecycle.ts and provision.ts ask these.
import type { Node } from "../ironic/types";
import { isTransientProvisionState } from "../ironic/provision-states";
import { FAILED_STATES } from "./states";

/**
 * Maintenance this project sets starts with this text; maintenance with any other reason is
 * someone else's (an operator's) and is never cleared by pulumi-metal3.
 */
export const OWN_MAINTENANCE_REASON = "pulumi-metal3";
/** Reasons earlier versions wrote before the prefix existed (still ours). */
const LEGACY_OWN_MAINTENANCE = new Set(["forcing deletion in pulumi-metal3", "deleting an externally provisioned host without deprovisioning"]);

export function ownMaintenanceReason(why: string): string {
    return `${OWN_MAINTENANCE_REASON}: ${why}`;
}

/**
 * Who put the node in maintenance: nobody, this project (its own reason text), Ironic (a fault it
 * recorded, e.g. after a failed clean) or someone else (any other reason: an operator at work).
 */
export function maintenanceBy(node: Pick<Node, "maintenance" | "maintenance_reason" | "fault">): "none" | "ours" | "ironic" | "operator" {
    if (!node.maintenance) return "none";
    if (node.fault) return "ironic";
    const reason = node.maintenance_reason ?? "";
    if (reason.startsWith(`${OWN_MAINTENANCE_REASON}:`) || LEGACY_OWN_MAINTENANCE.has(reason)) return "ours";
    return "operator";
}

/**
 * A wait for `expected` ended with the node stable somewhere else. True when that is another
 * writer's doing (an operator's `baremetal node provide` right after our manage), not a failure:
 * no last_error, nothing in progress, not a failed state, not fallen back to enroll. The next step
 * is then decided from where the node is, as after Ironic refuses our request from its new state.
 */
export function movedOnByAnotherWriter(node: Node, expected: string[]): boolean {
    const state = node.provision_state;
    return (
        !expected.includes(state) &&
        !node.last_error &&
        !node.target_provision_state &&
        !isTransientProvisionState(state) &&
        !FAILED_STATES.has(state) &&
        state !== "enroll"
    );
}

/** The refusal for a step that would power or provision a node an operator holds in maintenance. */
export function operatorMaintenanceMessage(node: Pick<Node, "uuid" | "name" | "maintenance_reason">, step: string): string {
    const id = node.name ?? node.uuid;
    return (
        `the node is in maintenance set by someone else (reason: "${node.maintenance_reason ?? "none given"}"), so pulumi-metal3 will not ${step}; ` +
        `when that work is done, run \`baremetal node maintenance unset ${id}\` and run pulumi again`
    );
}

/**
 * Before a deploy or undeploy: Ironic refuses provision changes on nodes in maintenance. As BMO,
 * ours (or none given by a fault) is unset; a fault Ironic recorded, or an operator's
 * maintenance (any reason not ours), is refused and never cleared.
 */
export function maintenanceBeforeProvisioning(
    node: Pick<Node, "maintenance" | "maintenance_reason" | "fault">,
): "none" | "unset" | "refuse-fault" | "refuse-operator" {
    if (!node.maintenance) return "none";
    if (node.fault) return "refuse-fault";
    return maintenanceBy(node) === "operator" ? "refuse-operator" : "unset";
}
