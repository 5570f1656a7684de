// Benchmark: N Machines on a pool of N hosts, all at once, against a real Ironic. Reports our
// wall time next to Ironic's own time (what its records say the deploys took) and the API calls
// each Machine cost. Used by the lead's benchmark script; runnable alone:
//   node dist/bench/machines.js N IRONIC_URL
import { IronicClient } from "../provider/ironic";
import { createMachine, deleteMachine } from "../provider/machine/converge";
import { DEFAULT_TIMEOUTS_MS, type MachineSpec } from "../provider/machine/spec";
import { createPoolHosts, destroyPoolHosts, POOL_OWNER_KEY, uniqueTag } from "../test/machine/pool";

export interface MachineBenchResult {
    machines: number;
    /** Making the pool (enrol → manage → provide → power off), not counted in the Machine figures. */
    poolWallMs: number;
    /** All Machines from claim to active, concurrently. */
    createWallMs: number;
    /** Ironic's view of the same: earliest allocation created_at → latest node reaching active. */
    ironicCreateMs: number;
    /** All Machines undeployed and released, concurrently. */
    deleteWallMs: number;
    /** HTTP requests to Ironic per Machine (create + delete), from client.stats.requests. */
    apiCallsPerMachine: number;
    createCallsPerMachine: number;
    deleteCallsPerMachine: number;
}

export async function benchMachines(n: number, ironicUrl: string): Promise<MachineBenchResult> {
    const namespace = "bench";
    const tag = uniqueTag("bench");
    const poolClient = await IronicClient.connect({ url: ironicUrl, authType: "none" });
    const client = await IronicClient.connect({ url: ironicUrl, authType: "none" });
    let pool: Awaited<ReturnType<typeof createPoolHosts>> = [];
    try {
        let t = Date.now();
        pool = await createPoolHosts(
            poolClient,
            namespace,
            Array.from({ length: n }, (_, i) => ({ name: `${tag}-h${i}`, labels: { pool: tag } })),
        );
        const poolWallMs = Date.now() - t;

        const specs: MachineSpec[] = Array.from({ length: n }, (_, i) => ({
            name: `${tag}-m${i}`,
            namespace,
            digestKey: `bench-digest-key-${i}`,
            poolKeys: [POOL_OWNER_KEY], // the key the fixture pool is enrolled under
            hostSelector: { matchLabels: { pool: tag } },
            image: { url: "http://images.example/bench.qcow2", checksum: "http://images.example/bench.qcow2.sha256", format: "qcow2" },
            userData: "#cloud-config\n",
            automatedCleaningMode: "metadata",
            timeouts: DEFAULT_TIMEOUTS_MS,
        }));

        const beforeCreate = client.stats.requests;
        t = Date.now();
        const machines = await Promise.all(specs.map((s) => createMachine(client, s)));
        const createWallMs = Date.now() - t;
        const createCalls = client.stats.requests - beforeCreate;

        // Ironic's own clock: allocations' creation to the nodes' last provision update (active).
        const allocations = await poolClient.listAllocations();
        const ours = allocations.filter((a) => machines.some((m) => m.allocationUuid === a.uuid));
        const nodes = await Promise.all(machines.map((m) => poolClient.getNode(m.nodeUuid)));
        const start = Math.min(...ours.map((a) => Date.parse(a.created_at)));
        const end = Math.max(...nodes.map((node) => Date.parse((node.provision_updated_at ?? node.updated_at ?? node.created_at) as string)));
        const ironicCreateMs = end - start;

        const beforeDelete = client.stats.requests;
        t = Date.now();
        await Promise.all(machines.map((m, i) => deleteMachine(client, m.allocationUuid, specs[i])));
        const deleteWallMs = Date.now() - t;
        const deleteCalls = client.stats.requests - beforeDelete;

        return {
            machines: n,
            poolWallMs,
            createWallMs,
            ironicCreateMs,
            deleteWallMs,
            apiCallsPerMachine: (createCalls + deleteCalls) / n,
            createCallsPerMachine: createCalls / n,
            deleteCallsPerMachine: deleteCalls / n,
        };
    } finally {
        await destroyPoolHosts(poolClient, pool);
        await poolClient.close();
        await client.close();
    }
}

if (require.main === module) {
    const [count, url] = process.argv.slice(2);
    benchMachines(Number(count ?? 5), url ?? process.env.IRONIC_URL ?? "http://127.0.0.1:6385")
        .then((r) => process.stdout.write(JSON.stringify(r, null, 2) + "\n"))
        .catch((err) => {
            process.stderr.write(`${(err as Error).stack}\n`);
            process.exit(1);
        });
}
