// The keyed owner record: who declared a node or a claim, in a form another Ironic writer cannot
// forge. Beside the human-readable record (`pulumi_metal3_owner` = `<project>/<stack>`,
// `pulumi_metal3_resource`), the node or allocation carries `pulumi_metal3_owner_mac`, an HMAC
// (host/desired.ts keyedDigest: `hmac-sha256:<key id>:<mac>`) over the node's or allocation's
// name, the stack and the resource, under the owner key: the stack's secret `ownerKey` config when
// set, else the resource's own digest key (a secret in its state). See docs/SECURITY.md#ownership.
// Pure.
import { digestKeyId, keyedDigest, keyIdOf } from "./host/desired";

/** The `extra` key of the MAC, on nodes (BareMetalHost) and allocations (Machine). */
export const OWNER_MAC_KEY = "pulumi_metal3_owner_mac";

/** The keys an owner record is written under and checked against. */
export interface OwnerKeys {
    /** The key new records are written under: the stack key when set, else the resource's digest key. */
    write: string;
    /** Every key a record of ours may carry (the stack key, the resource's digest key). */
    verify: string[];
    /**
     * True when the stack key is set: every record this stack writes then verifies, so a record
     * under any other key is someone else's, whatever its plain text says.
     */
    stackKeyed: boolean;
}

/** The keys of a resource: the stack key (config `ownerKey`) when given, and the resource's own digest key. */
export function ownerKeys(stackKey: string | undefined, resourceKey: string | undefined): OwnerKeys {
    const verify = [stackKey, resourceKey].filter((k): k is string => typeof k === "string" && k !== "");
    if (!verify.length) throw new Error("owner record: no key (neither the stack's ownerKey nor the resource's digest key)");
    return { write: verify[0], verify: [...new Set(verify)], stackKeyed: !!stackKey };
}

/** The MAC of an owner record: bound to the node (or allocation) name, the stack and the resource. */
export function ownerMac(key: string, subject: string, stack: string, resource: string): string {
    return keyedDigest(key, "pulumi-metal3 owner", subject, stack, resource);
}

/**
 * What a record's MAC says, checked against `keys`:
 * - `verified`: made under one of the keys for this subject, stack and resource;
 * - `forged`: claims one of the keys (its key id) but does not match (copied from another node,
 *   edited, or made up): never ours;
 * - `unverifiable`: made under a key this run does not hold (another stack key, or the digest key
 *   of a create whose state was lost with its run);
 * - `unkeyed`: no MAC at all (written by a release before keyed records, or by someone else).
 */
export type OwnerVerdict = "verified" | "forged" | "unverifiable" | "unkeyed";

export function verifyOwnerMac(keys: readonly string[], mac: unknown, subject: string, stack: string | undefined, resource: string | undefined): OwnerVerdict {
    if (mac === undefined || mac === null || mac === "") return "unkeyed";
    const keyId = keyIdOf(mac);
    if (keyId === undefined) return "forged";
    const key = keys.find((k) => digestKeyId(k) === keyId);
    if (key === undefined) return "unverifiable";
    if (stack === undefined || resource === undefined) return "forged";
    return ownerMac(key, subject, stack, resource) === mac ? "verified" : "forged";
}

/** The key id a MAC was made under (for messages and the state's record of it). */
export function ownerMacKeyId(mac: unknown): string | undefined {
    return keyIdOf(mac);
}

/** The id of a key (an HMAC of it: tells keys apart, reveals nothing). */
export function ownerKeyId(key: string): string {
    return digestKeyId(key);
}

/** The verdict in words, for errors and explanations. */
export function verdictText(verdict: OwnerVerdict, mac: unknown, keys: OwnerKeys): string {
    switch (verdict) {
        case "verified":
            return "its owner record verifies under this stack's key";
        case "forged":
            return "its owner record's MAC does not verify (copied, edited or forged: not written by this stack for this node)";
        case "unverifiable":
            return (
                `its owner record is keyed under key id ${ownerMacKeyId(mac)}, not this stack's` +
                (keys.stackKeyed
                    ? ` ownerKey (key id ${ownerKeyId(keys.write)})`
                    : " (this stack sets no ownerKey; the record may be an interrupted create's, whose key was lost with it)")
            );
        case "unkeyed":
            return "its owner record carries no MAC (plain text, which anyone who can write to Ironic can write; or a release before keyed owner records)";
    }
}
