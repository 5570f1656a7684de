// The shared node poller: every node any wait in this process is watching (through any client of
// the same Ironic endpoint and credentials) is looked at with ONE batched
// `GET /v1/nodes?fields=...` per tick, instead of one GET per node per poll. A hundred hosts
// waiting at once then cost Ironic a few list calls a second, not a hundred GETs.
//
// Ironic (up to 2025.x) has no node-list filter for a set of UUIDs, so a batch lists every node
// the credentials see with only the fields a wait judges by (small rows, paginated by Ironic's
// `next` links), and picks ours out. On a large shared Ironic that list costs far more than a few
// GETs, so a batch of at most FEW_NODES_FOR_GETS nodes is a plain GET of each (full nodes), and
// lists are spaced at least LIST_MIN_INTERVAL_MS apart, and LIST_COST_FACTOR times as long as the
// last list took: the poller never spends more than a fifth of Ironic's time on one process's
// lists, however many nodes it holds. A node the list does not show (deleted, or just created on
// another page boundary) is fetched with its own GET, so a 404 still reaches its wait as before.
//
// Rows from a list carry only BATCH_FIELDS: the wait helper (wait.ts) fetches the full node once,
// with `complete()`, when its wait is over, because callers keep using the node it returns.

import { createHash } from "crypto";
import type { ResolvedConnection } from "./connection";
import { Node } from "./types";

/** At most one batched look per endpoint per tick. */
export const POLLER_TICK_MS = 250;
/** Up to this many nodes waited for: one GET each instead of a list of every node. */
export const FEW_NODES_FOR_GETS = 4;
/** Lists of every node start at least this far apart. */
export const LIST_MIN_INTERVAL_MS = 1_000;
/** ... and at least this many times as long apart as the last list took (a slow, large Ironic is listed less often). */
export const LIST_COST_FACTOR = 5;
/** Looks asked for within this long of each other go in the same batch (waits started together). */
export const POLLER_COALESCE_MS = 10;
/** What every wait judges and reports by (wait.ts: judge*, its messages, provision learning). Ironic refuses `updated_at` here: power learning then uses the wait's own elapsed time. */
export const BATCH_FIELDS = [
    "uuid",
    "name",
    "provision_state",
    "target_provision_state",
    "provision_updated_at",
    "power_state",
    "target_power_state",
    "maintenance",
    "maintenance_reason",
    "fault",
    "last_error",
];

/** What the poller needs of a client: the one it uses is any client waiting in the batch (so an open one). */
export interface NodeSource {
    getNode(id: string): Promise<Node>;
    listNodes(filter: { fields: string[] }): Promise<Node[]>;
}

/** When the next batch may start: after the coalescing window, and a tick after the last one started. Pure. */
export function nextBatchAt(now: number, lastStartedAt: number | undefined, tickMs = POLLER_TICK_MS, coalesceMs = POLLER_COALESCE_MS): number {
    return Math.max(now + coalesceMs, lastStartedAt === undefined ? -Infinity : lastStartedAt + tickMs);
}

/** Few nodes waited for: a GET of each (full nodes); more: one list. Pure. */
export function planBatch(ids: string[], few = FEW_NODES_FOR_GETS): { kind: "gets"; ids: string[] } | { kind: "list" } {
    return ids.length <= few ? { kind: "gets", ids } : { kind: "list" };
}

/** When the next list of every node may start, given when the last one started and how long it took. Pure. */
export function nextListAt(
    lastListStartedAt: number | undefined,
    lastListTookMs: number,
    minIntervalMs = LIST_MIN_INTERVAL_MS,
    costFactor = LIST_COST_FACTOR,
): number {
    if (lastListStartedAt === undefined) return -Infinity;
    return lastListStartedAt + Math.max(minIntervalMs, costFactor * lastListTookMs);
}

/** The listed node for each id asked for (by UUID or name), and the ids the list did not show. Pure. */
export function matchBatch(ids: string[], listed: Node[]): { found: Map<string, Node>; missing: string[] } {
    const byKey = new Map<string, Node>();
    for (const n of listed) {
        byKey.set(n.uuid, n);
        if (n.name) byKey.set(n.name, n);
    }
    const found = new Map<string, Node>();
    const missing: string[] = [];
    for (const id of ids) {
        const n = byKey.get(id);
        if (n) found.set(id, n);
        else missing.push(id);
    }
    return { found, missing };
}

interface Waiter {
    source: NodeSource;
    resolve: (node: Node) => void;
    reject: (err: unknown) => void;
}

export class NodePoller {
    private pending = new Map<string, Waiter[]>();
    private timer: NodeJS.Timeout | undefined;
    private running = false;
    private lastStartedAt: number | undefined;
    private lastListStartedAt: number | undefined;
    private lastListTookMs = 0;
    /** Rows from a list (only BATCH_FIELDS), as opposed to full nodes from a GET. */
    private readonly partial = new WeakSet<Node>();
    /** What the poller asked Ironic (tests and benchmarks read it). */
    readonly stats = { batches: 0, lists: 0, gets: 0 };

    constructor(
        private readonly tickMs = POLLER_TICK_MS,
        private readonly coalesceMs = POLLER_COALESCE_MS,
        private readonly few = FEW_NODES_FOR_GETS,
        private readonly listMinIntervalMs = LIST_MIN_INTERVAL_MS,
    ) {}

    /** The node as the next batch sees it: a list row (BATCH_FIELDS only) or a full node. */
    look(id: string, source: NodeSource): Promise<Node> {
        return new Promise((resolve, reject) => {
            const waiters = this.pending.get(id) ?? [];
            waiters.push({ source, resolve, reject });
            this.pending.set(id, waiters);
            this.schedule();
        });
    }

    /** Whether `node` is a list row (only BATCH_FIELDS), so its holder must GET the full node. */
    isPartial(node: Node): boolean {
        return this.partial.has(node);
    }

    /** The full node: `node` itself when it is full, else a GET of it. */
    complete(node: Node, source: NodeSource): Promise<Node> {
        return this.isPartial(node) ? source.getNode(node.uuid) : Promise.resolve(node);
    }

    private schedule(): void {
        if (this.timer || this.running || !this.pending.size) return;
        const now = Date.now();
        let at = nextBatchAt(now, this.lastStartedAt, this.tickMs, this.coalesceMs);
        // The next batch will be a list: no sooner than the list bound allows.
        if (this.pending.size > this.few) at = Math.max(at, nextListAt(this.lastListStartedAt, this.lastListTookMs, this.listMinIntervalMs));
        this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.flush();
        }, at - now);
    }

    private async flush(): Promise<void> {
        // Grown past a few nodes since it was scheduled: a list, so not before the list bound.
        const listAt = nextListAt(this.lastListStartedAt, this.lastListTookMs, this.listMinIntervalMs);
        if (this.pending.size > this.few && Date.now() < listAt) {
            this.timer = setTimeout(() => {
                this.timer = undefined;
                void this.flush();
            }, listAt - Date.now());
            return;
        }
        const batch = this.pending;
        this.pending = new Map();
        this.running = true;
        this.lastStartedAt = Date.now();
        this.stats.batches++;
        const settle = (id: string, get: Promise<Node>) =>
            get.then(
                (n) => batch.get(id)!.forEach((w) => w.resolve(n)),
                (e) => batch.get(id)!.forEach((w) => w.reject(e)),
            );
        try {
            const ids = [...batch.keys()];
            const plan = planBatch(ids, this.few);
            // Any waiter's client will do: it is open, since its wait is waiting for this answer.
            const source = batch.get(ids[0])![0].source;
            if (plan.kind === "gets") {
                this.stats.gets += plan.ids.length;
                await Promise.all(plan.ids.map((id) => settle(id, source.getNode(id))));
                return;
            }
            let listed: Node[];
            this.lastListStartedAt = Date.now();
            try {
                this.stats.lists++;
                listed = await source.listNodes({ fields: BATCH_FIELDS });
            } catch (e) {
                for (const waiters of batch.values()) waiters.forEach((w) => w.reject(e));
                return;
            } finally {
                this.lastListTookMs = Date.now() - this.lastListStartedAt;
            }
            const { found, missing } = matchBatch(ids, listed);
            for (const [id, n] of found) {
                this.partial.add(n);
                batch.get(id)!.forEach((w) => w.resolve(n));
            }
            this.stats.gets += missing.length;
            await Promise.all(missing.map((id) => settle(id, source.getNode(id))));
        } finally {
            this.running = false;
            this.schedule();
        }
    }
}

const pollers = new Map<string, NodePoller>();

/** Which clients may share a poller: same endpoint, same credentials (they may see different nodes). */
export function pollerKey(c: Pick<ResolvedConnection, "url" | "authType" | "username" | "password" | "token">): string {
    const secret = createHash("sha256")
        .update(`${c.username ?? ""}\0${c.password ?? ""}\0${c.token ?? ""}`)
        .digest("hex");
    return `${c.url}|${c.authType}|${secret}`;
}

/** The process's one poller for this endpoint and credentials. */
export function sharedPoller(connection: ResolvedConnection): NodePoller {
    const key = pollerKey(connection);
    let p = pollers.get(key);
    if (!p) pollers.set(key, (p = new NodePoller()));
    return p;
}
