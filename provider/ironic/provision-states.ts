// Ironic's provision states grouped by what they mean for a caller: the operation failed, or the
// conductor is still at work. One home for the lifecycle (../host), the waits (wait.ts) and the
// renderers. Pure, a leaf.

/**
 * Every provision state a node can be in, as Ironic 39 names them (ironic/common/states.py; the
 * verbs and target-only words such as `deleted` are not states a node rests in). A node's
 * `provision_state` stays a string (a newer Ironic may add states); `knownProvisionState` narrows
 * it, so a switch over the result is checked exhaustive by the compiler (`unknownState`).
 */
export const PROVISION_STATES = [
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
    "deploying",
    "wait call-back",
    "deploy failed",
    "deploy hold",
    "active",
    "deleting",
    "error",
    "adopting",
    "adopt failed",
    "rescue",
    "rescuing",
    "rescue wait",
    "rescue failed",
    "unrescuing",
    "unrescue failed",
    "servicing",
    "service wait",
    "service failed",
    "service hold",
] as const;
export type ProvisionState = (typeof PROVISION_STATES)[number];

const KNOWN: ReadonlySet<string> = new Set(PROVISION_STATES);

/** The state as one of Ironic's known states, or undefined for a state this code does not know. */
export function knownProvisionState(state: string | null | undefined): ProvisionState | undefined {
    return state && KNOWN.has(state) ? (state as ProvisionState) : undefined;
}

/**
 * The `default` of an exhaustive switch over `knownProvisionState(...)`: it compiles only when every
 * known state has its case, so a state added to PROVISION_STATES is a compile error until handled.
 */
export function unknownState(state: undefined): undefined {
    return state;
}

/** Ironic states where something is running in the conductor and we can only wait. */
export const TRANSIENT_STATES: ReadonlySet<string> = new Set<ProvisionState>([
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
export const FAILED_STATES: ReadonlySet<string> = new Set<ProvisionState>([
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
 * States where Ironic (API 1.85+ / Ironic 2023.2+; not in 21.4) parks a node on purpose: a `hold`
 * step in the deploy, clean or service steps stops there until someone sends `unhold`. Neither
 * at work nor failed: a wait that meets one will not end by itself.
 */
export const HOLD_STATES: ReadonlySet<string> = new Set<ProvisionState>(["deploy hold", "clean hold", "service hold"]);

/** What to tell the operator about a node in a hold state (`baremetal node unhold`). */
export function holdMessage(state: string, node: string): string {
    return `Ironic holds ${node} in "${state}" (a hold step asked for it): when it may go on, run \`baremetal node unhold ${node}\``;
}

/**
 * A state the node passes through while the conductor works (it moves on by itself): the known
 * TRANSIENT_STATES and, for states a newer Ironic may add, Ironic's naming rule ("-ing", "wait").
 */
export function isTransientProvisionState(state: string): boolean {
    return !HOLD_STATES.has(state) && (TRANSIENT_STATES.has(state) || /ing$|wait/.test(state));
}
