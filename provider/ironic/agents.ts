// One HTTP connection pool per Ironic endpoint (and TLS material) in the process, with a bound on
// its connections. The provider opens a client per operation; with a pool each, a
// `pulumi up --parallel 1000` opened a connection per host at once, which overflows a busy
// Ironic's accept queue (connect timeouts, seen at 300 hosts on one `ironic` process). Shared and
// bounded, requests beyond the bound wait in the provider for a free connection instead.
// Clients lease the pool; the last lease to end closes it, so a command that closes its clients
// still exits.
import { Agent } from "undici";
import * as fs from "fs";
import type { ResolvedConnection } from "./connection";

interface Pool {
    agent: Agent;
    leases: number;
}

const pools = new Map<string, Pool>();

export interface AgentLease {
    readonly agent: Agent;
    /** Graceful: the pool closes (letting requests in flight finish) when this was its last lease. */
    release(): Promise<void>;
    /** After a failed connect: the pool's connections are dropped at once when this was its last lease. */
    destroy(): Promise<void>;
}

/** What makes two connections share a pool: where they go, how they prove who they are, the bound. */
function poolKey(c: Pick<ResolvedConnection, "url" | "insecure" | "caFile" | "certFile" | "keyFile" | "maxConnections">): string {
    return JSON.stringify([new URL(c.url).origin, c.insecure, c.caFile ?? "", c.certFile ?? "", c.keyFile ?? "", c.maxConnections]);
}

export function leaseAgent(c: ResolvedConnection): AgentLease {
    const key = poolKey(c);
    let pool = pools.get(key);
    if (!pool) {
        pool = {
            agent: new Agent({
                connections: c.maxConnections,
                connect: {
                    rejectUnauthorized: !c.insecure,
                    ...(c.caFile ? { ca: fs.readFileSync(c.caFile) } : {}),
                    ...(c.certFile ? { cert: fs.readFileSync(c.certFile) } : {}),
                    ...(c.keyFile ? { key: fs.readFileSync(c.keyFile) } : {}),
                },
            }),
            leases: 0,
        };
        pools.set(key, pool);
    }
    const held = pool;
    held.leases++;
    let ended = false;
    const end = async (how: "close" | "destroy") => {
        if (ended) return;
        ended = true;
        if (--held.leases > 0) return;
        if (pools.get(key) === held) pools.delete(key);
        await (how === "close" ? held.agent.close() : held.agent.destroy());
    };
    return { agent: held.agent, release: () => end("close"), destroy: () => end("destroy") };
}

/** How many pools are open (tests). */
export function openPools(): number {
    return pools.size;
}
