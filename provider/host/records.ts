// The deployment record's format on the node (node.extra, EXTRA.deployment): final, or pending
// while Ironic has not yet accepted the deploy. Pure; read by the lifecycle, the take-over rules
// and the SDK's state.
import type { Node } from "../ironic/types";

/**
 * A deployment record written before Ironic accepted the deploy: `pending:<value>@<the node's
 * provision_updated_at then>`. Ironic cannot take a record while it deploys, so the final one
 * may never be written (the run ends first); a provision state change since the pending one
 * says Ironic took the request, an unchanged one that it never did.
 */
export function pendingRecord(value: string, node: Pick<Node, "provision_updated_at">): string {
    return `${PENDING}${value}@${node.provision_updated_at ?? ""}`;
}
const PENDING = "pending:";

/** The deployment record on the node: its value, and whether Ironic is known to have accepted that deployment. */
export function readRecord(raw: unknown, node: Pick<Node, "provision_updated_at">): { value?: string; pending: boolean; accepted: boolean } {
    if (typeof raw !== "string") return { pending: false, accepted: false };
    if (!raw.startsWith(PENDING)) return { value: raw, pending: false, accepted: true };
    const at = raw.lastIndexOf("@");
    const since = raw.slice(at + 1);
    return { value: raw.slice(PENDING.length, at), pending: true, accepted: (node.provision_updated_at ?? "") !== since };
}
