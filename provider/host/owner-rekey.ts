// Rekeying a host's owner record (provider/owner-record.ts): when the node's record must be
// written again under the key the stack now writes with, what that update does (an Ironic extra
// patch, nothing else), and what a refresh records of the node's record. Pure: the SDK
// (sdk/providers/host.ts diff/update/read) asks these and carries out the patch.
import type { JsonPatchOp, Node } from "../ironic/types";
import { EXTRA } from "../extra-keys";
import { OWNER_MAC_KEY, ownerKeyId, ownerMacKeyId, type OwnerVerdict } from "../owner-record";
import { ownerExtra } from "./registration";
import type { HostSpec } from "./spec";

/** What the last run recorded of the owner record: the resource's digest key and the key id of the record it wrote or saw. */
export interface RecordedOwnerKey {
    key?: string;
    ownerKeyId?: string;
}

/**
 * The node's owner record is not (yet) keyed under the key this stack writes with: a state
 * without a record id (a release before keyed records), a record seen "unverified", or the
 * stack's ownerKey set or changed since. Undefined `recorded.key`: state of a release before
 * keyed digests, whose first update writes the record anyway.
 */
export function ownerRecordStale(recorded: RecordedOwnerKey | undefined, stackKey: string | undefined): boolean {
    if (!recorded?.key) return false;
    return recorded.ownerKeyId !== ownerKeyId(stackKey ?? recorded.key);
}

/**
 * The update writes the owner record and does nothing else: it is the only change (the preview
 * said "an Ironic extra patch, nothing else"), on a host that has a node (not detached) and no
 * deploy left to redo. Whatever else the node drifted to meanwhile waits for a declared change.
 */
export function rekeyOnly(changed: readonly string[] | undefined, last: { detached?: unknown; deploymentPending?: unknown }): boolean {
    return last.deploymentPending !== true && last.detached !== true && changed?.length === 1 && changed[0] === "ownerRecord";
}

/** The extra keys that make up the owner record. */
const RECORD_KEYS: readonly string[] = [EXTRA.owner, EXTRA.resource, OWNER_MAC_KEY];

/** The patch that writes `spec`'s owner record on the node: only the record's keys that differ. */
export function rekeyPatch(spec: HostSpec, node: Pick<Node, "extra">): JsonPatchOp[] {
    return Object.entries(ownerExtra(spec))
        .filter(([k, v]) => RECORD_KEYS.includes(k) && node.extra?.[k] !== v)
        .map(([k, v]) => ({ op: "add" as const, path: `/extra/${k}`, value: v }));
}

/**
 * The record key id a refresh keeps in state (its next diff compares it, ownerRecordStale):
 * - an import (no state yet) records nothing on the node: the id the first real update will write;
 * - a host without an owner (a state that never had one): what the state had;
 * - else the node's record as it is now: its key id when it verifies, "unverified" when it was
 *   removed, edited or never keyed (the next update writes it back).
 */
export function refreshedOwnerKeyId(
    opts: { importing: boolean; hasOwner: boolean; verdict: OwnerVerdict | "other"; recorded: RecordedOwnerKey; stackKey: string | undefined },
    node: Pick<Node, "extra">,
): string | undefined {
    if (opts.importing) return ownerKeyId(opts.stackKey ?? opts.recorded.key!);
    if (!opts.hasOwner) return opts.recorded.ownerKeyId;
    return opts.verdict === "verified" ? ownerMacKeyId(node.extra?.[OWNER_MAC_KEY]) : "unverified";
}
