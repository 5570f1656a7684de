// THE wait helper family: every "wait until Ironic gets there" in pulumi-metal3 goes through here
// (nobody else writes a polling loop). Polls quickly at first (fake hardware and small steps finish
// in well under a second) and backs off to a cap so long deployments cost few API calls; stops at
// once when Ironic reports a failure, and says which node, which state and Ironic's last_error.

import { IronicError } from "./errors";
import { Allocation, Node } from "./types";

export const FIRST_POLL_MS = 250;
export const POLL_BACKOFF = 1.5;
/**
 * The poll cap: no sleep between two looks is ever longer, whatever was learnt or backed off, so
 * a failure (deploy failed, BMC unreachable) is reported at most this long after Ironic shows it.
 */
export const MAX_POLL_MS = 5_000;
/** Looks aimed at a learned end come this long after it, so the change is there to see. */
export const LEARNED_LOOK_MARGIN_MS = 60;
/** During a long phase in one state, onProgress hears the same state again at least this often. */
export const PROGRESS_EVERY_MS = 30_000;

/**
 * How long each kind of transition (e.g. `provision deploying→active`, `power`) took the last
 * time a wait in this process watched one, in ms. The same BMC and conductor take about as long
 * the next time, so a wait looks when the change should be done instead of backing off blindly
 * (a geometric back-off either costs many looks or overshoots by half the duration).
 */
const learnedMs = new Map<string, number>();

/** What was learnt for a kind of transition (ms), and a way to set or forget it (tests, benchmarks). */
export const learnedTransitions = {
    get: (kind: string): number | undefined => learnedMs.get(kind),
    set: (kind: string, ms: number | undefined): void => void (ms === undefined ? learnedMs.delete(kind) : learnedMs.set(kind, ms)),
};

/**
 * A whole-operation deadline over several steps (e.g. a Machine's claim + deploy + power-on):
 * each wait under it gets what is left, not a fresh allowance of its own.
 */
export class Deadline {
    private readonly end: number;
    constructor(readonly totalMs: number) {
        this.end = Date.now() + totalMs;
    }
    /** Ms left (0 once passed): a wait given 0 still looks once, then reports where it stands. */
    left(): number {
        return Math.max(0, this.end - Date.now());
    }
    passed(): boolean {
        return Date.now() >= this.end;
    }
}

/** What poll() needs to learn from a wait: which kind of transition it is, and how long it took. */
interface Learning<T> {
    /** The kind of transition, when the wait knows it before looking (then even the first look is aimed). */
    kind?: string;
    /** Else the kind of transition `inProgress` is in, or undefined when it says nothing. */
    kindOf?: (inProgress: T) => string | undefined;
    /** Ironic's own measure of the transition (its timestamps), from the first in-progress look to the end. */
    serverDurationMs: (inProgress: T, done: T) => number | undefined;
}

/** Ms between two of Ironic's timestamps, when both are there and in order. */
function between(from: string | null | undefined, to: string | null | undefined): number | undefined {
    if (!from || !to) return undefined;
    const ms = Date.parse(to) - Date.parse(from);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export interface WaitOptions<T> {
    timeoutMs: number;
    /** What the caller is doing, for messages, e.g. `provision host default~h1`. */
    label?: string;
    /** Called on every change, and again at least every `progressEveryMs` while nothing changes. */
    onProgress?: (current: T, elapsedMs: number) => void;
    /** Default PROGRESS_EVERY_MS. */
    progressEveryMs?: number;
}

/** Provision states Ironic leaves a node in when an operation failed; states the conductor passes through (provision-states.ts). */
export { FAILED_STATES as PROVISION_FAILURE_STATES, isTransientProvisionState } from "./provision-states";
import { FAILED_STATES as PROVISION_FAILURE_STATES, HOLD_STATES, holdMessage, isTransientProvisionState } from "./provision-states";

export type Verdict = { done: true } | { done: false; failure?: string };

/** Where a node stands relative to the provision state(s) we wait for. Pure, for unit tests. */
export function judgeProvisionState(node: Node, expected: string[]): Verdict {
    const state = node.provision_state;
    if (expected.includes(state) && !node.target_provision_state) return { done: true };
    if (expected.includes(state) && !isTransientProvisionState(state)) return { done: true };
    if (PROVISION_FAILURE_STATES.has(state)) return { done: false, failure: `Ironic reports provision state "${state}"` };
    if (HOLD_STATES.has(state) && !expected.includes(state)) return { done: false, failure: holdMessage(state, node.name ?? node.uuid) };
    if (node.maintenance && node.fault) {
        // Ironic itself put the node in maintenance (e.g. "power failure"): nothing moves until someone fixes it.
        return { done: false, failure: `Ironic put the node in maintenance (fault "${node.fault}")` };
    }
    if (state === "enroll" && node.last_error && !expected.includes("enroll")) {
        return { done: false, failure: `the node fell back to "enroll"` };
    }
    if (!node.target_provision_state && !isTransientProvisionState(state) && !expected.includes(state)) {
        // Stable, nothing in progress, and not where we want it: it will not get there by itself
        // (e.g. back in "manageable" after a failed "provide").
        return { done: false, failure: `the node is in "${state}" with no operation in progress` };
    }
    return { done: false };
}

/** Where a node stands relative to the power state we wait for. Pure, for unit tests. */
export function judgePowerState(node: Node, expected: string): Verdict {
    if (node.power_state === expected && !node.target_power_state) return { done: true };
    if (!node.target_power_state && node.power_state !== expected && node.last_error) {
        return { done: false, failure: `the power change ended in "${node.power_state}"` };
    }
    return { done: false };
}

export function nodeLabel(node: Pick<Node, "uuid" | "name"> | undefined, fallback: string): string {
    if (!node) return `node ${fallback}`;
    return node.name ? `node ${node.name} (${node.uuid})` : `node ${node.uuid}`;
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/** Where a wait stands when it decides how long to sleep before the next look. */
export interface SleepPlan {
    elapsedMs: number;
    /** How long this kind of transition took before, if learnt. */
    learnedMs?: number;
    /** The current back-off step. */
    backoffMs: number;
    timeoutMs: number;
}

/**
 * How long to sleep before the next look: aimed just after the learnt end when that is near,
 * else the back-off step; never longer than MAX_POLL_MS (a long learnt duration must not hide a
 * failure that comes early) nor past the deadline (one last look right at it). Pure.
 */
export function plannedSleepMs(p: SleepPlan): number {
    const aimed = p.learnedMs !== undefined && p.elapsedMs < p.learnedMs ? p.learnedMs + LEARNED_LOOK_MARGIN_MS - p.elapsedMs : p.backoffMs;
    return Math.max(0, Math.min(aimed, MAX_POLL_MS, p.timeoutMs - p.elapsedMs));
}

/**
 * Shared poll loop: fetch, judge, report progress on change (and every PROGRESS_EVERY_MS while
 * nothing changes), sleep, until done/failed/deadline. Sleeps back off geometrically, except that
 * when this kind of transition has been seen before the next look is aimed just after the time it
 * took then (and fine steps follow if it is late); no sleep is longer than MAX_POLL_MS.
 */
async function poll<T>(
    fetch: () => Promise<T>,
    judge: (current: T) => Verdict,
    changeKey: (current: T) => string,
    fail: (current: T | undefined, why: string, elapsedMs: number) => IronicError,
    opts: WaitOptions<T>,
    learning?: Learning<T>,
    complete?: (current: T) => Promise<T>,
): Promise<T> {
    const start = Date.now();
    const progressEvery = opts.progressEveryMs ?? PROGRESS_EVERY_MS;
    let delay = FIRST_POLL_MS;
    let lastKey: string | undefined;
    let lastProgressAt = 0;
    let current: T | undefined;
    let firstInProgress: { at: T; elapsed: number } | undefined;
    let kind = learning?.kind;
    // Look first after FIRST_POLL_MS, not at once: waits follow a request that has just started
    // the change, so an immediate look would almost always cost an API call to see nothing new.
    // When the kind is only known from the node, that first look stays even if the kind has been
    // learned: it catches quick changes and shows progress.
    const learnedFirst = kind !== undefined ? learnedMs.get(kind) : undefined;
    const firstLook =
        learnedFirst !== undefined
            ? plannedSleepMs({ elapsedMs: 0, learnedMs: learnedFirst, backoffMs: FIRST_POLL_MS, timeoutMs: opts.timeoutMs })
            : FIRST_POLL_MS;
    await sleep(Math.min(firstLook, opts.timeoutMs));
    delay = Math.min(MAX_POLL_MS, delay * POLL_BACKOFF);
    let pastLearned = learnedFirst !== undefined;
    for (;;) {
        current = await fetch();
        // A look from the shared poller's batch carries only the fields waits judge by: the
        // caller gets the full node (one GET), and the wait goes on should it no longer be done.
        if (complete && judge(current).done) current = await complete(current);
        const elapsed = Date.now() - start;
        const key = changeKey(current);
        if (key !== lastKey || elapsed - lastProgressAt >= progressEvery) {
            lastKey = key;
            lastProgressAt = elapsed;
            opts.onProgress?.(current, elapsed);
        }
        const verdict = judge(current);
        if (verdict.done) {
            if (kind && firstInProgress) {
                const measured = learning!.serverDurationMs(firstInProgress.at, current);
                // Ironic's timestamps time the change itself, from when the request started it (just
                // before this wait); without them, our own elapsed time is an upper bound.
                learnedMs.set(kind, measured ?? elapsed);
            } else if (kind && learnedFirst !== undefined && !firstInProgress) {
                // The aimed first look found it done: it may have been quicker this time. Aim a
                // little earlier next time, so an overestimate wears off instead of sticking.
                learnedMs.set(kind, learnedFirst * 0.9);
            }
            return current;
        }
        if (verdict.failure) throw fail(current, verdict.failure, elapsed);
        if (elapsed >= opts.timeoutMs) throw fail(current, `timed out (limit ${seconds(opts.timeoutMs)})`, elapsed);
        if (!firstInProgress && learning) {
            firstInProgress = { at: current, elapsed };
            kind ??= learning.kindOf?.(current);
        }
        const expected = kind !== undefined ? learnedMs.get(kind) : undefined;
        if (expected !== undefined && elapsed < expected) {
            // Aiming at the learned end; if it is late, look again in small steps from there.
            delay = FIRST_POLL_MS;
            pastLearned = true;
        } else if (expected !== undefined && !pastLearned) {
            // Already later than this kind took before (learnt while we slept, e.g. from
            // another host): it should end any moment, so small steps, not a long back-off.
            delay = FIRST_POLL_MS;
            pastLearned = true;
        }
        const aimed = expected !== undefined && elapsed < expected;
        await sleep(plannedSleepMs({ elapsedMs: elapsed, learnedMs: expected, backoffMs: delay, timeoutMs: opts.timeoutMs }));
        if (!aimed) delay = Math.min(MAX_POLL_MS, delay * POLL_BACKOFF);
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeNode(node: Node): string {
    const parts = [`provision state "${node.provision_state}"`, `target "${node.target_provision_state ?? "none"}"`];
    parts.push(`power "${node.power_state ?? "unknown"}"`);
    if (node.maintenance) parts.push(`in maintenance${node.maintenance_reason ? `: ${node.maintenance_reason}` : ""}`);
    parts.push(`last_error: ${node.last_error ?? "none"}`);
    return parts.join(", ");
}

/**
 * `getNode` may be the shared poller's look (poller.ts: a row of a batched list, only
 * BATCH_FIELDS), then `complete` turns the node it ends on into the full node. onProgress may
 * see such rows: only their BATCH_FIELDS are there.
 */
export function waitForProvisionState(
    getNode: () => Promise<Node>,
    id: string,
    expected: string | string[],
    opts: WaitOptions<Node>,
    complete?: (node: Node) => Promise<Node>,
): Promise<Node> {
    const wanted = Array.isArray(expected) ? expected : [expected];
    const operation = `${opts.label ? `${opts.label}: ` : ""}wait for node ${id} to reach provision state ${wanted.map((s) => `"${s}"`).join(" or ")}`;
    return poll(
        getNode,
        (node) => judgeProvisionState(node, wanted),
        (node) => `${node.provision_state}|${node.target_provision_state}`,
        (node, why, elapsed) =>
            new IronicError(
                `${opts.label ? `${opts.label}: ` : ""}${nodeLabel(node, id)} did not reach provision state ${wanted.map((s) => `"${s}"`).join(" or ")}: ` +
                    `${why} after ${seconds(elapsed)}; ${node ? describeNode(node) : "node not seen"}`,
                {
                    operation,
                    node: node?.name ?? id,
                    provisionState: node?.provision_state,
                    lastError: node?.last_error ?? undefined,
                },
            ),
        opts,
        {
            kindOf: (node) => `provision ${node.provision_state}→${wanted.join("|")}`,
            serverDurationMs: (from, to) => between(from.provision_updated_at, to.provision_updated_at),
        },
        complete,
    );
}

/** `getNode` and `complete` as for waitForProvisionState. */
export function waitForPowerState(
    getNode: () => Promise<Node>,
    id: string,
    expected: string,
    opts: WaitOptions<Node>,
    complete?: (node: Node) => Promise<Node>,
): Promise<Node> {
    const operation = `${opts.label ? `${opts.label}: ` : ""}wait for node ${id} to reach power state "${expected}"`;
    return poll(
        getNode,
        (node) => judgePowerState(node, expected),
        (node) => `${node.power_state}|${node.target_power_state}`,
        (node, why, elapsed) =>
            new IronicError(
                `${opts.label ? `${opts.label}: ` : ""}${nodeLabel(node, id)} did not reach power state "${expected}": ${why} after ${seconds(elapsed)}; ` +
                    `power "${node?.power_state ?? "unknown"}", target power "${node?.target_power_state ?? "none"}", ` +
                    `provision state "${node?.provision_state}", last_error: ${node?.last_error ?? "none"}`,
                {
                    operation,
                    node: node?.name ?? id,
                    provisionState: node?.provision_state,
                    lastError: node?.last_error ?? undefined,
                },
            ),
        opts,
        {
            // On and off are the same round trip to the BMC; learn them together.
            kind: "power",
            serverDurationMs: (from, to) => between(from.updated_at, to.updated_at),
        },
        complete,
    );
}

export function judgeAllocation(allocation: Allocation): Verdict {
    if (allocation.state === "active") return { done: true };
    if (allocation.state === "error") return { done: false, failure: `Ironic could not allocate a node` };
    return { done: false };
}

export function waitForAllocation(getAllocation: () => Promise<Allocation>, idOrName: string, opts: WaitOptions<Allocation>): Promise<Allocation> {
    const operation = `${opts.label ? `${opts.label}: ` : ""}wait for allocation ${idOrName}`;
    return poll(
        getAllocation,
        judgeAllocation,
        (a) => `${a.state}|${a.node_uuid}`,
        (a, why, elapsed) =>
            new IronicError(
                `${opts.label ? `${opts.label}: ` : ""}allocation ${a?.name ?? idOrName}${a ? ` (${a.uuid})` : ""} for resource class ` +
                    `"${a?.resource_class}"${a?.traits?.length ? ` with traits ${a.traits.join(", ")}` : ""}` +
                    `${a?.candidate_nodes?.length ? ` among ${a.candidate_nodes.join(", ")}` : ""} did not become active: ${why} after ${seconds(elapsed)}; ` +
                    `state "${a?.state}", last_error: ${a?.last_error ?? "none"}`,
                { operation, lastError: a?.last_error ?? undefined },
            ),
        opts,
    );
}
