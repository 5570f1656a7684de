// Ironic's provision states grouped by what they mean for a caller: the operation failed, or the
// conductor is still at work. One home for the lifecycle (../host), the waits (wait.ts) and the
// renderers. Pure, a leaf.

/** Ironic states where something is running in the conductor and we can only wait. */
export const TRANSIENT_STATES = new Set([
    "verifying",
    "inspecting",
    "inspect wait",
    "cleaning",
    "clean wait",
    "deploying",
    "wait call-back",
    "deleting",
    "adopting",
    "rescuing",
    "rescue wait",
    "unrescuing",
    "servicing",
    "service wait",
]);

/** Ironic states that mean the last operation failed (node.last_error says why). */
export const FAILED_STATES = new Set([
    "inspect failed",
    "clean failed",
    "deploy failed",
    "adopt failed",
    "rescue failed",
    "unrescue failed",
    "service failed",
    "error",
]);

/**
 * A state the node passes through while the conductor works (it moves on by itself): the known
 * TRANSIENT_STATES and, for states a newer Ironic may add, Ironic's naming rule ("-ing", "wait").
 */
export function isTransientProvisionState(state: string): boolean {
    return TRANSIENT_STATES.has(state) || /ing$|wait/.test(state);
}
