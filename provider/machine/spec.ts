// A Machine as the lifecycle sees it: validated, defaults applied, durations in milliseconds.
// Built from the resource inputs by the Pulumi glue (sdk/providers/machine.ts); nothing here
// knows about Pulumi.
import type { HostSelector } from "../claim/selector";
import { specHash } from "../claim/allocation";
import { canonicalJson } from "../canonical-json";
import { keyedDigest } from "../host/desired";
import type { HostImage } from "../host/spec";
import { timeoutMs } from "../duration";

export type CleaningMode = "metadata" | "disabled";

export interface MachineTimeoutsMs {
    claim: number;
    create: number;
    delete: number;
}

export const DEFAULT_TIMEOUTS_MS: MachineTimeoutsMs = {
    claim: 2 * 60_000,
    create: 60 * 60_000,
    delete: 60 * 60_000,
};

export interface MachineSpec {
    name: string;
    namespace: string;
    host?: string;
    hostSelector?: HostSelector;
    failureDomain?: string;
    image?: HostImage;
    customDeploy?: { method: string };
    userData?: string;
    networkData?: string | Record<string, unknown>;
    metaData?: string | Record<string, unknown>;
    automatedCleaningMode: CleaningMode;
    clusterName?: string;
    /** Recorded on the allocation; only the same owner reuses a claim (see ClaimOwner.owner). */
    claimOwner?: string;
    description?: string;
    labels?: Record<string, string>;
    timeouts: MachineTimeoutsMs;
    /**
     * Keys the spec hash recorded on the allocation (see machineSpecHash): a random key kept only
     * as a secret in the resource's state, as the host's digests are (host/desired.ts keyedDigest).
     */
    digestKey: string;
    /**
     * Keys a pool host's owner record must verify under to be claimed (claim/candidates.ts
     * poolVerdict): the stack's ownerKey and the Machine's poolOwnerKeys.
     */
    poolKeys?: string[];
    /** The stack's ownerKey, when set: the allocation's owner record is keyed under it, else under digestKey. */
    ownerKey?: string;
}

/**
 * What decides the disk contents and the host choice. Its hash is recorded on the allocation so a
 * re-run recognises its own claim and tells it apart from the Machine generation it replaces. It
 * covers the user data, so it is a keyed HMAC (the spec's digestKey): a reader of the allocation
 * cannot test guesses of the user data against it.
 */
export function machineSpecHash(spec: MachineSpec): string {
    return keyedDigest(spec.digestKey, "machine-spec", canonicalJson(hashedFields(spec)));
}

/** The unkeyed hash releases before keyed spec hashes recorded: recognised once (then replaced), never written. */
export function legacyMachineSpecHash(spec: MachineSpec): string {
    return specHash(hashedFields(spec));
}

function hashedFields(spec: MachineSpec): Record<string, unknown> {
    return {
        host: spec.host,
        hostSelector: spec.hostSelector,
        failureDomain: spec.failureDomain,
        image: spec.image,
        customDeploy: spec.customDeploy,
        userData: spec.userData,
        networkData: spec.networkData,
        metaData: spec.metaData,
    };
}

/** A Machine's timeout ("90s", "20m", "1h"; a number: state of earlier releases, seconds) → milliseconds. */
export function durationMs(value: string | number | undefined, fallbackMs: number): number {
    return timeoutMs(value, fallbackMs, "seconds");
}

/** CAPM3's provider ID form. */
export function providerId(namespace: string, hostName: string, machineName: string): string {
    return `metal3://${namespace}/${hostName}/${machineName}`;
}
